"""Everything a session needs, loaded once in the session host before it forks: the kiosk and
back-office apps with every screen, widget and service, the models, the database driver, the
style sheets parsed, both translation catalogues and their date formats, the reference data,
the common-password list and the argon2 dummy hash. No database connection, no event loop,
no thread; the objects are then frozen out of the garbage collector, so that the forked
sessions share their memory pages instead of copying them."""

from __future__ import annotations

import ctypes
import gc
import importlib
import json
import pkgutil
import time
from datetime import date, datetime

from sqlalchemy.engine import make_url

from kidb_tui.config import Settings
from kidb_tui.services.hashing import SecretHasher

PACKAGES = ("kidb_tui.screens", "kidb_tui.backoffice", "kidb_tui.widgets", "kidb_tui.services")
MODULES = (
    "kidb_tui.app", "kidb_tui.backoffice.app", "kidb_tui.bootstrap", "kidb_tui.logs", "kidb_tui.models",
    "textual.drivers.linux_driver", "textual._xterm_parser", "textual._compositor", "textual.screen",
    "textual.widgets", "textual.css.stylesheet", "sqlite3", "sqlalchemy.dialects.sqlite.pysqlite",
    "sqlalchemy.sql.default_comparator", "sqlalchemy.orm.strategies",
)
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 256 * 1024
DRIVERS = {"sqlite": ("sqlalchemy.dialects.sqlite.pysqlite",),
           "postgresql": ("sqlalchemy.dialects.postgresql.psycopg", "psycopg")}


def _import_all() -> int:
    for name in MODULES:
        importlib.import_module(name)
    for package_name in PACKAGES:
        package = importlib.import_module(package_name)
        for info in pkgutil.walk_packages(package.__path__, f"{package_name}."):
            importlib.import_module(info.name)
    return len(PACKAGES) + len(MODULES)


def _load_data() -> None:
    """Catalogues and date formats of both languages, reference data, the password list."""
    from kidb_tui import i18n
    from kidb_tui.resources import data_dir
    from kidb_tui.services import secret_policy

    for language in i18n.LANGUAGES:
        i18n.catalogue(language)
        translator = i18n.Translator(language)
        translator.date(date(2026, 1, 1))
        translator.datetime(datetime(2026, 1, 1, 8, 0, tzinfo=i18n.DISPLAY_TIMEZONE))
    for name in ("claim_types.json", "banks.json"):
        json.loads((data_dir() / name).read_text(encoding="utf-8"))
    secret_policy.common_secrets()


def _parse_styles() -> None:
    """Parse every style sheet once: a sheet that does not parse stops the host at start, and
    Textual's parser caches (selectors, tokens) are filled before the fork."""
    from textual.app import App
    from textual.css.stylesheet import Stylesheet

    from kidb_tui.terminal_app import style_sheets

    sheet = Stylesheet(variables=App().get_css_variables())
    sheet.read_all(style_sheets())
    sheet.parse()


def _fixed_mmap_threshold() -> None:
    """glibc raises its mmap threshold after the first large free (argon2's 19 MiB), so that a
    session's later hashes would stay in its heap, private, for good; fixed, they are mapped
    and returned each time."""
    try:
        ctypes.CDLL(None).mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)
    except (OSError, AttributeError):
        pass


def warm_up(settings: Settings) -> tuple[SecretHasher, float]:
    """Load and prepare everything; returns the hasher with its dummy hash made, and the seconds taken."""
    started = time.monotonic()
    _fixed_mmap_threshold()
    _import_all()
    for name in DRIVERS.get(make_url(settings.database_url).get_backend_name(), ()):
        importlib.import_module(name)
    _load_data()
    _parse_styles()
    hasher = SecretHasher(settings.pepper, settings.argon2)
    hasher.prepare_dummy()
    gc.collect()
    gc.freeze()
    return hasher, time.monotonic() - started
