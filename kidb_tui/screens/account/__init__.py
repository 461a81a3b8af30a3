"""The participant's own records: claim status, balance, profile, notifications."""
