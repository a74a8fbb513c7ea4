"""A Temporal interceptor that carries the web request id from client calls into workflows,
their update handlers and their activities, so every log line of one click shares an id."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Protocol

import temporalio.activity
import temporalio.api.common.v1
import temporalio.client
import temporalio.converter
import temporalio.worker
import temporalio.workflow

with temporalio.workflow.unsafe.imports_passed_through():
    from workflows.correlation import HEADER, request_id


class _HasHeaders(Protocol):
    headers: Mapping[str, temporalio.api.common.v1.Payload]


def _send(call: Any, converter: temporalio.converter.PayloadConverter) -> None:
    current = request_id.get()
    if current:
        call.headers = {**call.headers, HEADER: converter.to_payload(current)}


@contextmanager
def _received(
    call: _HasHeaders, converter: temporalio.converter.PayloadConverter
) -> Iterator[None]:
    payload = call.headers.get(HEADER)
    token = request_id.set(converter.from_payload(payload, str)) if payload else None
    try:
        yield
    finally:
        if token is not None:
            request_id.reset(token)


class CorrelationInterceptor(temporalio.client.Interceptor, temporalio.worker.Interceptor):
    def intercept_client(
        self, next: temporalio.client.OutboundInterceptor
    ) -> temporalio.client.OutboundInterceptor:
        return _ClientOutbound(next)

    def intercept_activity(
        self, next: temporalio.worker.ActivityInboundInterceptor
    ) -> temporalio.worker.ActivityInboundInterceptor:
        return _ActivityInbound(next)

    def workflow_interceptor_class(
        self, input: temporalio.worker.WorkflowInterceptorClassInput
    ) -> type[temporalio.worker.WorkflowInboundInterceptor]:
        return _WorkflowInbound


_DEFAULT = temporalio.converter.default().payload_converter


class _ClientOutbound(temporalio.client.OutboundInterceptor):
    async def start_workflow(self, input: temporalio.client.StartWorkflowInput) -> Any:
        _send(input, _DEFAULT)
        return await super().start_workflow(input)

    async def start_workflow_update(self, input: temporalio.client.StartWorkflowUpdateInput) -> Any:
        _send(input, _DEFAULT)
        return await super().start_workflow_update(input)


class _ActivityInbound(temporalio.worker.ActivityInboundInterceptor):
    async def execute_activity(self, input: temporalio.worker.ExecuteActivityInput) -> Any:
        with _received(input, temporalio.activity.payload_converter()):
            return await self.next.execute_activity(input)


class _WorkflowInbound(temporalio.worker.WorkflowInboundInterceptor):
    def init(self, outbound: temporalio.worker.WorkflowOutboundInterceptor) -> None:
        self.next.init(_WorkflowOutbound(outbound))

    async def execute_workflow(self, input: temporalio.worker.ExecuteWorkflowInput) -> Any:
        with _received(input, temporalio.workflow.payload_converter()):
            return await self.next.execute_workflow(input)

    def handle_update_validator(self, input: temporalio.worker.HandleUpdateInput) -> None:
        with _received(input, temporalio.workflow.payload_converter()):
            self.next.handle_update_validator(input)

    async def handle_update_handler(self, input: temporalio.worker.HandleUpdateInput) -> Any:
        with _received(input, temporalio.workflow.payload_converter()):
            return await self.next.handle_update_handler(input)


class _WorkflowOutbound(temporalio.worker.WorkflowOutboundInterceptor):
    def start_activity(
        self, input: temporalio.worker.StartActivityInput
    ) -> temporalio.workflow.ActivityHandle[Any]:
        _send(input, temporalio.workflow.payload_converter())
        return self.next.start_activity(input)
