"""The domain: pure Python over a database session. Never imports Textual."""
