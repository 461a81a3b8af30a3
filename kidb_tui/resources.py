"""Locate the files shipped with the package: `data/` and `styles/`.

In a wheel they live inside the package (`kidb_tui.data`, `kidb_tui.styles`); in a source
checkout (editable install, tests) they are the top-level folders of the repository.
"""

from __future__ import annotations

import importlib.resources
from functools import cache
from pathlib import Path

_REPO_ROOT = Path(__file__).resolve().parent.parent


@cache
def _folder(package: str, checkout_name: str) -> Path:
    checkout = _REPO_ROOT / checkout_name
    if (checkout / ".kidb-resources").exists():
        return checkout
    return Path(str(importlib.resources.files(package)))


def data_dir() -> Path:
    """The folder holding claim types, banks, demo participants and translations."""
    return _folder("kidb_tui.data", "data")


def styles_dir() -> Path:
    """The folder holding the `.tcss` style sheets."""
    return _folder("kidb_tui.styles", "styles")
