"""Locate the files shipped with the package: `data/` and `styles/`.

In a wheel they are installed inside the package (`kidb_tui/data`, `kidb_tui/styles`); in a
source checkout (editable install, tests) they are the top-level folders of the repository.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


@cache
def _folder(name: str) -> Path:
    installed = _PACKAGE_DIR / name
    return installed if installed.is_dir() else _PACKAGE_DIR.parent / name


def data_dir() -> Path:
    """The folder holding claim types, banks, the common-password list and translations."""
    return _folder("data")


def styles_dir() -> Path:
    """The folder holding the `.tcss` style sheets."""
    return _folder("styles")
