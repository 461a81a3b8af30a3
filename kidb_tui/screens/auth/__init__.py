"""Login, account activation and changing the PIN/password."""
