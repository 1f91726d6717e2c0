"""Messages that leave the site: e-mail and SMS (短信), the preferences that choose them, daily
digests, and the outbox that sends each message once."""
