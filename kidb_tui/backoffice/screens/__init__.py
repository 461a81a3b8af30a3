"""Back-office screens: officer login, review queue, claim detail with its actions, counter help."""
