"""The HTML pages through a browser-like test client, CSRF on, on a real Temporal server and
worker: each test reads the pages the way a user does (forms, their hidden CSRF token, the text
shown, flash messages, redirects) and checks what the database then holds. support.py reads
pages; request_support.py fills in the request types' forms and the console's."""
