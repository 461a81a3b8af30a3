"""KIDB: the BPJS Ketenagakerjaan self-service claim kiosk for terminals."""

__version__ = "0.1.0"
