"""Security, on the real app, Temporal server and worker:

- test_authorization_matrix.py: an authorization matrix generated from the app's URL map: every
  route, every role, an object of its own account and of another one, against a table of what
  each route family allows (GATES in gates.py; a route missing from it fails, so a new route
  cannot be forgotten);
- test_csrf.py: CSRF refused on every state-changing form, with nothing changed;
- test_headers_and_cookies.py: cookie flags in development and outside it, security headers, no
  inline script;
- test_throttling.py: sign-in throttling per e-mail and per address, for the pages and the API,
  with no user enumeration;
- test_api_fuzzing.py: every JSON API body fuzzed with hypothesis: never a 500, always a JSON
  error.

support.py walks the URL map; conftest.py builds the world it walks.
"""
