"""The local kiosk's start does no work twice before its first frame: each style sheet source is
parsed once (Textual parses them again in each reparse of its start; kidb_tui/host/styles.py
keeps them), `attach`'s arguments are defined only for a command line that may name it, and the
kiosk's own options are read without building every command's parser, as that parser reads them;
the cyclic collector runs no collection before the first frame and is back on once the database
is prepared (kidb_tui/gc_tuning.py), and from the start for any other command."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from kidb_tui import bootstrap, cli
from kidb_tui.cli import _parser
from kidb_tui.config import Settings

ROOT = Path(__file__).resolve().parents[2]

_PROBE = """
import gc, json, sys
from collections import Counter
import textual.css.stylesheet as stylesheet
from kidb_tui.app import KidbApp
from kidb_tui.cli import main
from kidb_tui.terminal_app import TerminalApp

parsed = Counter()
parse = stylesheet.parse

def counted(scope, css, read_from, *args, **kwargs):
    parsed[repr((read_from, scope, kwargs.get("tie_breaker")))] += 1
    return parse(scope, css, read_from, *args, **kwargs)

stylesheet.parse = counted
seen = {}
run = KidbApp.run

on_ready = TerminalApp.on_ready

def first_frame(app):
    seen["screen"] = type(app.screen).__name__
    seen["parsed"] = dict(parsed)
    seen["collections"] = collections() - seen["collections_before"]
    seen["collector_on"] = gc.isenabled()
    on_ready(app)

def prepared(app):
    seen["collector_on_when_prepared"] = gc.isenabled()
    app.exit()

TerminalApp.on_ready = first_frame
TerminalApp.on_runtime_prepared = prepared
collections = lambda: sum(generation["collections"] for generation in gc.get_stats())
seen["collections_before"] = collections()
KidbApp.run = lambda app: run(app, headless=True, size=(80, 24))
main(["--database", sys.argv[1]])
print(json.dumps(seen))
"""


def test_the_kiosk_parses_each_style_sheet_once_and_collects_nothing_before_its_first_frame(tmp_path, settings: Settings):
    bootstrap.prepare(settings).engine.dispose()
    data_dir = tmp_path / "data"
    data_dir.mkdir(mode=0o700)
    env = {**os.environ, "KIDB_DATA_DIR": str(data_dir), "KIDB_PEPPER": "pepper-for-the-start-test-0123456789",
           "KIDB_AUDIT_KEY": "audit-key-for-the-start-test-0123456789"}
    done = subprocess.run([sys.executable, "-c", _PROBE, settings.database_url], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=120, check=True)
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["screen"] == "LoginScreen"
    assert any("base.tcss" in source for source in seen["parsed"])
    assert Counter(seen["parsed"].values()) == Counter({1: len(seen["parsed"])})
    assert (seen["collections"], seen["collector_on"], seen["collector_on_when_prepared"]) == (0, False, True)


def test_a_command_other_than_the_kiosk_runs_with_the_collector_on(monkeypatch, capsys):
    states = []
    monkeypatch.setattr("kidb_tui.operations.show_config", lambda loaded: states.append(gc.isenabled()) or "")
    assert cli.main(["config", "show"]) == 0
    assert states == [True] and gc.isenabled()


def test_attach_keeps_its_arguments_on_the_kidb_command_line():
    args = _parser(["attach", "keys", "--language", "en"]).parse_args(["attach", "keys", "--language", "en"])
    assert (args.command, args.authorized_keys, args.language) == ("attach", Path("keys"), "en")
    assert _parser().parse_args(["attach"]).authorized_keys is None


COMMAND_LINES = [[], ["--database", "sqlite:///k.db"], ["--data", "x", "--kiosk"], ["--database=x", "--kiosk"],
                 ["--kiosk", "--language", "en", "--log-format", "json", "--config", "kidb.toml"], ["--lo", "kv"],
                 ["demo"], ["--database", "x", "demo"], ["--language", "fr"], ["-d", "x"], ["--", "x"],
                 ["--kiosk", "x"], ["--config"], ["--l", "en"], ["--version"], ["--help"], ["db", "current"]]


@pytest.mark.parametrize("argv", COMMAND_LINES)
def test_the_kiosk_s_own_options_are_read_as_the_full_parser_reads_them(argv, capsys):
    def outcome(parse):
        try:
            return parse(), capsys.readouterr()
        except SystemExit as end:
            return ("exit", end.code), capsys.readouterr()

    assert outcome(lambda: cli._parse(argv)) == outcome(lambda: cli._parser(argv).parse_args(argv))


def test_the_login_screen_s_first_frame_on_a_terminal_has_its_key_bar(tmp_path, settings: Settings):
    from bench.pty_term import PtyProgram
    from bench.startup import login_markers

    bootstrap.prepare(settings).engine.dispose()
    data_dir = tmp_path / "data"
    data_dir.mkdir(mode=0o700)
    env = {**os.environ, "KIDB_DATA_DIR": str(data_dir), "KIDB_PEPPER": "pepper-for-the-start-test-0123456789",
           "KIDB_AUDIT_KEY": "audit-key-for-the-start-test-0123456789"}
    title, help_key = login_markers()
    kiosk = PtyProgram([sys.executable, "-m", "kidb_tui", "--database", settings.database_url], env, cwd=str(ROOT))
    try:
        while title not in kiosk.text():
            assert kiosk.process.poll() is None, kiosk.text()
            kiosk._read(0.05)
        assert help_key in kiosk.text()
    finally:
        kiosk.close()
