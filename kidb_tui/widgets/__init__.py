"""Reusable widgets shared by the kiosk screens."""
