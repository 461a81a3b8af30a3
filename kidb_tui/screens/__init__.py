"""One module per screen, grouped by feature area: auth/, claim/, account/."""
