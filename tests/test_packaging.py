"""The wheel carries everything the kiosk needs at run time: every module, data, styles, migrations."""

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _shipped(folder: str, pattern: str) -> set[str]:
    return {f"kidb_tui/{folder}/{path.relative_to(ROOT / folder).as_posix()}" for path in (ROOT / folder).rglob(pattern)}


def test_wheel_contains_data_styles_and_migrations(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = tmp_path.glob("kidb_tui-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = (
        _shipped("data", "*.json") | _shipped("data", "*.txt") | _shipped("styles", "*.tcss")
        | {"kidb_tui/migrations/script.py.mako", "kidb_tui/migrations/env.py"}
        | {path.relative_to(ROOT).as_posix() for path in (ROOT / "kidb_tui").rglob("*.py")}
    )
    assert expected - names == set()
