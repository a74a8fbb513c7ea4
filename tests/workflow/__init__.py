"""The request workflow's logic alone, on the time-skipping dev server, with every activity
faked (fakes.py) and one server for the package (harness.py, the `harness` fixture in
conftest.py); the tests by topic."""
