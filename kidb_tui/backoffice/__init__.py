"""The back office: the officers' UI on the same database (review queue, claim actions, counter help)."""
