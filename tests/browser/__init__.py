"""Journeys in a real browser (Debian's Chromium driven by Playwright) against the portal served
on 127.0.0.1, with the real Temporal server and worker; axe-core checks every main page.
`make screenshots` saves their screenshots in docs/screenshots/ (the README shows them)."""
