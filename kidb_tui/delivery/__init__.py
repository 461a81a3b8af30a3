"""Delivery of the outbox: messages rendered in the participant's language and sent over SMTP,
a webhook or a file, outside any kiosk transaction (the queue itself is services/sender.py)."""
