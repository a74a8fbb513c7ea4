"""What an upload must be: a small real PDF, whatever its name or declared type."""

from __future__ import annotations

import pytest

from portal.documents import operations
from portal.errors import ValidationFailed
from tests.documents.support import SMALL_PDF

pytestmark = pytest.mark.dates  # `make test` runs these again at other dates


@pytest.mark.parametrize(
    ("filename", "content_type", "data"),
    [
        ("notes.txt", "text/plain", b"just text"),
        ("invoice.pdf", "application/pdf", b"<html>not a pdf</html>"),
        ("invoice.pdf", "image/png", SMALL_PDF),
        ("big.pdf", "application/pdf", b"%PDF-1.4\n" + b"0" * (6 * 1024 * 1024)),
        ("empty.pdf", "application/pdf", b""),
    ],
    ids=["not-a-pdf", "fake-pdf", "declared-image", "six-mib", "empty"],
)
def test_check_upload_refuses_anything_but_a_small_pdf(
    filename: str, content_type: str, data: bytes
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        operations.check_upload(filename, content_type, data)
    assert set(refused.value.fields) == {"attachment"}
    assert refused.value.fields["attachment"]


def test_check_upload_accepts_a_small_real_pdf() -> None:
    operations.check_upload("Contract copy.PDF", "application/pdf", SMALL_PDF)
    operations.check_upload("scan.pdf", "application/octet-stream", SMALL_PDF)
    exactly_five = b"%PDF-1.4\n" + b"0" * (5 * 1024 * 1024 - 9)
    operations.check_upload("max.pdf", "application/pdf", exactly_five)
