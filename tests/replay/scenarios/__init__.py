"""The paths `python -m tests.replay.record` records, one coroutine each: purchase-order edits
(po_edits.py) and the other request types (other_request_types.py) on the dev server, the paths
with timers on the time-skipping one (timers.py); catalogue.py lists them (SCENARIOS) with the
files each one writes."""
