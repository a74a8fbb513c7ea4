"""The JSON API on the real Temporal server and worker: its rules (who may do what, what bad input
is refused, each time with nothing stored and nothing changed) and every request type."""
