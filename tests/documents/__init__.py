"""Documents and the W-9: the PDFs themselves, who may download what (pages and API), what an
upload must be, and storing a document once. No worker: nothing here starts a workflow."""
