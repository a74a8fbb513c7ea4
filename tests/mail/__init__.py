"""Mails: composed in each recipient's language, delivered over real SMTP (an aiosmtpd server on
127.0.0.1), shown on the development outbox page; and the French catalogue is complete."""
