"""The Corporate Billing Portal: billing requests approved by technicians, run as Temporal
workflows. The web application is `portal.app.create_app`; the worker is `portal worker`.

Nothing is imported here, so that the worker and the workflows can use `portal.clock`,
`portal.models` and the domain modules without loading Flask."""
