"""Everything a session needs, loaded once in the session host before it forks: the kiosk and
back-office apps with every screen, widget and service, the models, the database driver, the
style sheets parsed (styles.py), both translation catalogues with their date formats, the
common-password list, rich's character widths, the argon2 dummy hash, SQLAlchemy's mappers
configured and a session's database work rehearsed on a throwaway database (rehearse.py; the
reference data is put in the real database by the host's start, main.py). No connection to
the real database, no event loop,
no thread; the objects are then frozen out of the garbage collector, so that the forked
sessions share their memory pages instead of copying them."""

from __future__ import annotations

import contextlib
import ctypes
import importlib
import pkgutil
import time
from datetime import date, datetime

from rich.cells import cell_len
from sqlalchemy.engine import make_url
from sqlalchemy.orm import configure_mappers

from kidb_tui import gc_tuning
from kidb_tui.config import Settings
from kidb_tui.host import handlers, pools, rehearse, styles
from kidb_tui.services.hashing import SecretHasher

PACKAGES = ("kidb_tui.screens", "kidb_tui.backoffice", "kidb_tui.widgets", "kidb_tui.services")
MODULES = (
    "kidb_tui.app", "kidb_tui.backoffice.app", "kidb_tui.bootstrap", "kidb_tui.logs", "kidb_tui.models",
    "textual.drivers.linux_driver", "textual._xterm_parser", "textual._compositor", "textual.screen",
    "textual.widgets", "textual.css.stylesheet", "textual.scrollbar", "textual.pilot",
    "textual.drivers.headless_driver", "concurrent.futures.thread", "sqlalchemy.sql.default_comparator",
    "sqlalchemy.orm.strategies", "zxcvbn", "zxcvbn.matching",
)
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 256 * 1024
DRIVERS = {"sqlite": ("sqlalchemy.dialects.sqlite.pysqlite",),
           "postgresql": ("sqlalchemy.dialects.postgresql.psycopg", "psycopg")}


def import_all() -> None:
    """Import every module a session can use (the host, and tests that stand for it)."""
    for name in MODULES:
        importlib.import_module(name)
    for package_name in PACKAGES:
        package = importlib.import_module(package_name)
        for info in pkgutil.walk_packages(package.__path__, f"{package_name}."):
            importlib.import_module(info.name)


def _load_data() -> None:
    """Catalogues and date formats of both languages, the password list, character widths."""
    from kidb_tui import clock, i18n
    from kidb_tui.services import secret_policy

    for language in i18n.LANGUAGES:
        i18n.catalogue(language)
        translator = i18n.Translator(language)
        translator.date(date(2026, 1, 1))
        translator.datetime(datetime(2026, 1, 1, 8, 0, tzinfo=clock.DISPLAY_TIMEZONE))
    secret_policy.common_secrets()
    cell_len("•…—·")  # rich loads its table of character widths on the first wide or symbol character


def _fixed_mmap_threshold() -> None:
    """glibc raises its mmap threshold after the first large free (argon2's 19 MiB), so that a
    session's later hashes would stay in its heap, private, for good; fixed, they are mapped
    and returned each time."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)


def warm_up(settings: Settings) -> tuple[SecretHasher, float]:
    """Load and prepare everything; returns the hasher with its dummy hash made, and the seconds taken."""
    started = time.monotonic()
    _fixed_mmap_threshold()
    import_all()
    for name in DRIVERS.get(make_url(settings.database_url).get_backend_name(), ()):
        importlib.import_module(name)
    _load_data()
    configure_mappers()
    styles.parse_all()
    handlers.count_all()
    hasher = SecretHasher(settings.pepper, settings.argon2)
    hasher.prepare_dummy()
    rehearse.rehearse(settings)
    gc_tuning.settle()
    pools.fill()
    return hasher, time.monotonic() - started
