"""`rt` and `demo_rt` for the back-office service tests: the same per-test copies of session
templates as the service tests use, on SQLite and on PostgreSQL."""

from tests.services.conftest import (  # noqa: F401  (fixtures, registered by import)
    demo_rt,
    demo_template,
    empty_template,
    pg_demo_template,
    pg_empty_template,
    rt,
    sqlite_demo_rt,
)
