"""The pieces of the session host on their own: `kidb attach` imports only the standard
library, the request checks, the window clamp in the kiosk's driver, the caps from the
environment, and the log's flood guard."""

from __future__ import annotations

import argparse
import json
import logging
import subprocess
import sys

import pytest
from textual import events
from textual.geometry import Size

from kidb_tui.host import protocol
from kidb_tui.host.child import ClampedDriver
from kidb_tui.ssh import limits
from kidb_tui.ssh.log_limits import BOUNDED, FloodGuard

ATTACH_MODULES = {"kidb_tui", "kidb_tui.attach", "kidb_tui.host", "kidb_tui.host.protocol", "kidb_tui.resources",
                  "kidb_tui.ssh", "kidb_tui.ssh.key_lines", "kidb_tui.ssh.limits", "kidb_tui.cli", "kidb_tui.time_zones"}


def imported_by(module: str) -> set[str]:
    """The modules a fresh isolated interpreter loads to import `module`, beyond its own start-up."""
    code = f"import sys; before = set(sys.modules); import {module}; print(*sorted(set(sys.modules) - before))"
    result = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True, timeout=60, check=True)
    return set(result.stdout.split())


@pytest.mark.parametrize("module", ["kidb_tui.attach", "kidb_tui.cli"])
def test_kidb_attach_starts_with_the_standard_library_only(module):
    """`python -I -m kidb_tui attach` (kidb_tui.attach) and the `kidb attach` console script
    (kidb_tui.cli) load no third-party module: no asyncssh, Textual, SQLAlchemy or pydantic."""
    loaded = imported_by(module)
    foreign = {name for name in loaded
               if name.split(".")[0] not in sys.stdlib_module_names and name not in ATTACH_MODULES}
    assert module in loaded and not foreign, sorted(foreign)


SCREENSHOT = """
import asyncio, sys
from kidb_tui import bootstrap
from kidb_tui.app import KidbApp
from kidb_tui.config import load_settings
from kidb_tui.host import styles, warm

shared = sys.argv[1] == "shared"
if shared:
    warm.import_all()  # as the host does before parsing
before = styles.parse_all() if shared else 0
rt = bootstrap.prepare(load_settings("sqlite://"))

async def main():
    app = KidbApp(rt, None, kiosk=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("f3")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        return app.export_screenshot()

screenshot = asyncio.run(main())
print(before, styles.parsed_count() if shared else 0)
print(screenshot)
"""


def test_sessions_look_up_the_styles_the_host_parsed(kiosk_env):
    """With the host's style sheets parsed (styles.parse_all), a kiosk parses none of its own
    on the way to its login screen and activation screen, and draws exactly what it draws
    when it parses them itself."""
    def screenshot(mode: str) -> tuple[str, str]:
        result = subprocess.run([sys.executable, "-I", "-c", SCREENSHOT, mode], capture_output=True, text=True,
                                timeout=120, check=True)
        counts, _, picture = result.stdout.partition("\n")
        return counts, picture

    counts, shared = screenshot("shared")
    _, parsed_by_itself = screenshot("own")
    before, after = map(int, counts.split())
    assert before > 50 and after == before
    assert shared == parsed_by_itself and "NIB" in shared


def good_request(**changes) -> dict:
    return {**protocol.request("JKT-01", "Jakarta Pusat", "kiosk", "xterm-256color", 80, 24, None), **changes}


@pytest.mark.parametrize(("changes", "field"), [
    ({"terminal_id": "../etc"}, "terminal_id"), ({"terminal_id": ""}, "terminal_id"),
    ({"branch": "Pusat\x1b[2J"}, "branch"), ({"role": "root"}, "role"), ({"term": "xterm\n"}, "term"),
    ({"columns": 65535}, "columns"), ({"rows": 0}, "rows"), ({"rows": "24"}, "rows"), ({"language": "fr"}, "language"),
    ({"timezone": "UTC"}, "timezone"), ({"timezone": None}, "timezone"),
])
def test_the_host_checks_every_field_of_a_request(changes, field):
    with pytest.raises(protocol.ProtocolError, match=f"bad {field}"):
        protocol.check_request(good_request(**changes))
    assert protocol.check_request(good_request()) == good_request()


def test_requests_carry_a_clamped_window_and_a_sane_term():
    request = protocol.request("JKT-01", "", "backoffice", "xterm\x1b[31m", 65535, 65535, "en")
    assert (request["columns"], request["rows"], request["term"]) == (500, 200, "xterm")
    assert protocol.clamp_size(0, 0) == (80, 24)
    assert [protocol.exit_code(status) for status in (0, 3, -9, None)] == [0, 3, 137, 1]


async def test_the_kiosk_driver_never_reports_more_than_500x200(monkeypatch):
    """Whatever the terminal says (its size, or an in-band resize from the client)."""
    import shutil

    sent = []
    driver = ClampedDriver(app=object())
    driver.send_message = sent.append
    monkeypatch.setattr(shutil, "get_terminal_size", lambda: (65535, 65535))
    assert driver._get_terminal_size() == (500, 200)
    huge = Size(65535, 65535)
    driver.process_message(events.Resize(huge, huge, huge, Size(9000, 9000)))
    [resize] = sent
    assert (resize.size, resize.virtual_size, resize.container_size) == (Size(500, 200),) * 3


def test_caps_from_flags_then_environment_then_defaults(monkeypatch):
    parser = argparse.ArgumentParser()
    limits.add_arguments(parser)
    assert limits.from_arguments(parser.parse_args([])) == limits.Limits(64, 200, 1)
    monkeypatch.setenv("KIDB_MAX_SESSIONS", "30")
    monkeypatch.setenv("KIDB_MAX_UNAUTHENTICATED", "10")
    assert limits.from_arguments(parser.parse_args(["--max-unauthenticated", "5"])) == limits.Limits(5, 30, 1)
    monkeypatch.setenv("KIDB_MAX_SESSIONS_PER_TERMINAL", "0")
    with pytest.raises(ValueError, match="KIDB_MAX_SESSIONS_PER_TERMINAL"):
        limits.from_arguments(parser.parse_args([]))
    assert limits.use_host(parser.parse_args([])) and not limits.use_host(parser.parse_args(["--no-host"]))


def test_kidb_host_caps_its_sessions_unless_its_parent_does(monkeypatch):
    """`kidb host` on its own takes the session caps of its flags or environment; the host
    `kidb serve` starts (`--caps-by-parent`) has none, the server applies them."""
    from kidb_tui.cli import _parser as build_parser

    monkeypatch.setenv("KIDB_MAX_SESSIONS", "30")
    assert limits.session_caps(build_parser().parse_args(["host"])) == limits.Limits(64, 30, 1)
    assert limits.session_caps(build_parser().parse_args(["host", "--max-sessions-per-terminal", "2"])) == \
        limits.Limits(64, 30, 2)
    assert limits.session_caps(build_parser().parse_args(["host", "--caps-by-parent"])) is None


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_flood_of_one_kind_of_line_is_cut_and_counted(caplog):
    clock = Clock()
    guard = FloodGuard(burst=3, traceback_burst=1, window=10, clock=clock)
    logger = logging.getLogger("kidb.test.flood")
    caplog.set_level(logging.INFO)
    caplog.handler.addFilter(guard)
    try:
        for number in range(50):
            logger.info("connection from %s", number)
            logger.info("session start %s", number, extra=BOUNDED)
        for _ in range(5):
            try:
                raise OSError(24, "Too many open files")
            except OSError:
                logger.exception("accept failed")
        clock.now = 11
        guard.summarise()
        logger.info("connection from %s", "later")
    finally:
        caplog.handler.removeFilter(guard)
    messages = [record.getMessage() for record in caplog.records]
    assert [m for m in messages if m.startswith("connection from")] == [
        "connection from 0", "connection from 1", "connection from 2", "connection from later"]
    assert len([m for m in messages if m.startswith("session start")]) == 50
    assert len([m for m in messages if m == "accept failed"]) == 1
    assert "47 more kidb.test.flood line(s) like 'connection from %s' left out in 10 s" in messages
    assert "4 more kidb.test.flood line(s) like 'accept failed' left out in 10 s" in messages




GC_IN_A_SESSION = """
import asyncio, gc, json, os
from kidb_tui import gc_tuning
from kidb_tui.app import KidbApp
from kidb_tui.bootstrap import prepare
from kidb_tui.config import load_settings
from kidb_tui.host import warm

settings = load_settings()
prepare(settings).engine.dispose()
warm.warm_up(settings)
read, write = os.pipe()
if os.fork() == 0:
    async def session():
        app = KidbApp(prepare(settings), None, kiosk=True)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("f3")
            await pilot.pause()
    asyncio.run(session())
    found = {"threshold": gc.get_threshold(), "frozen": gc.get_freeze_count(), "tracked": len(gc.get_objects())}
    os.write(write, json.dumps(found).encode())
    os._exit(0)
os.close(write)
print(json.dumps({**json.loads(os.read(read, 1000)), "expected": gc_tuning.THRESHOLDS}))
"""


def test_a_forked_session_collects_only_its_own_objects(kiosk_env):
    """The host freezes what it loaded out of the garbage collector and raises its thresholds
    before it forks (kidb_tui/gc_tuning.py): a session that has drawn two screens keeps both, and
    a full collection in it walks far fewer objects than the host had loaded."""
    result = subprocess.run([sys.executable, "-I", "-c", GC_IN_A_SESSION], capture_output=True, text=True,
                            timeout=120, check=True)
    found = json.loads(result.stdout)
    assert found["threshold"] == found["expected"]
    assert found["frozen"] > 100_000 and found["tracked"] < found["frozen"] / 2


def test_kidb_attach_imports_neither_dataclasses_nor_hashlib():
    """`kidb attach` reads the authorized-keys file at each connection: dataclasses (with inspect)
    and hashlib were a third of its start; a fingerprint is worked out only when logged."""
    assert {"dataclasses", "inspect", "hashlib"} & imported_by("kidb_tui.attach") == set()


ATTACH_ARGUMENTS = """
import json, sys
from kidb_tui import attach
seen = []
attach.run = lambda args: seen.append(vars(args)) or 0
attach.main(%r)
print(json.dumps({"args": {k: str(v) for k, v in seen[0].items()}, "argparse": "argparse" in sys.modules,
                  "shutil": "shutil" in sys.modules}))
"""


@pytest.mark.parametrize(("argv", "expected"), [
    (["/etc/kidb/authorized_keys"], {"authorized_keys": "/etc/kidb/authorized_keys"}),
    (["/etc/kidb/keys", "--language", "en"], {"authorized_keys": "/etc/kidb/keys", "language": "en"}),
    (["--language=id"], {"authorized_keys": "None", "language": "id"}),
    ([], {"authorized_keys": "None"}),
])
def test_kidb_attach_reads_the_forced_commands_arguments_without_argparse(argv, expected):
    """The forced command's arguments are read as argparse reads them, without importing it
    (argparse's help formatter brings shutil, bz2 and lzma: about 3 ms of each connection)."""
    result = subprocess.run([sys.executable, "-I", "-c", ATTACH_ARGUMENTS % (argv,)], capture_output=True, text=True,
                            timeout=60, check=True)
    assert json.loads(result.stdout) == {"args": expected, "argparse": False, "shutil": False}


@pytest.mark.parametrize("argv", [["--language", "fr"], ["a", "b"], ["--help"]])
def test_kidb_attach_leaves_anything_else_to_argparse(argv, capsys):
    from kidb_tui import attach

    with pytest.raises(SystemExit):
        attach.main(argv)
    captured = capsys.readouterr()
    assert "kidb attach" in captured.out + captured.err  # argparse's usage or help
