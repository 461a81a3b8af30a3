"""Serving the kiosk to branch terminals over SSH."""
