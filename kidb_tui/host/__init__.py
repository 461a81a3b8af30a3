"""The session host: one warm process that forks a kiosk or back-office session per terminal."""
