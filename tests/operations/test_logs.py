"""One log line per event: logfmt `key=value` by default, one JSON object with
`KIDB_LOG_FORMAT=json` (`--log-format json`); either way one printable line, whatever the
message holds (kidb_tui/logs.py)."""

from __future__ import annotations

import json
import logging
import re

import pytest

from kidb_tui import logs
from kidb_tui.cli import main

LOGFMT = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|\S+)')


def record(message: str, *args: object, error: BaseException | None = None) -> logging.LogRecord:
    exc_info = (type(error), error, error.__traceback__) if error else None
    return logging.LogRecord("kidb.ssh", logging.WARNING, __file__, 1, message, args, exc_info)


def failing() -> BaseException:
    try:
        raise RuntimeError('boom "quoted"\nsecond line')
    except RuntimeError as error:
        return error


def parse_logfmt(line: str) -> dict[str, str]:
    fields = {}
    for name, value in LOGFMT.findall(line):
        fields[name] = json.loads(value) if value.startswith('"') else value
    return fields


def test_key_value_lines_parse_back_into_their_fields():
    line = logs.formatter("kidb-serve", "kv").format(record('refused %s: "%s"', "JKT-01", "evil\nline\x1b[2J"))
    assert "\n" not in line
    fields = parse_logfmt(line)
    assert fields["level"] == "WARNING" and fields["program"] == "kidb-serve" and fields["logger"] == "kidb.ssh"
    assert fields["msg"] == 'refused JKT-01: "evil\\nline\\x1b[2J"'
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", fields["time"])
    assert fields["pid"].isdigit()


def test_json_lines_are_one_object_each_with_the_traceback_escaped():
    line = logs.formatter("kidb", "json").format(record("session error", error=failing()))
    assert "\n" not in line and line.isascii()
    fields = json.loads(line)
    assert (fields["level"], fields["msg"], fields["program"]) == ("WARNING", "session error", "kidb")
    assert "Traceback" in fields["error"] and "boom" in fields["error"] and "\n" not in fields["error"]


@pytest.mark.parametrize("chosen, check", [("json", json.loads), ("kv", parse_logfmt)])
def test_the_session_log_takes_the_format_from_the_environment(data_dir, monkeypatch, chosen, check):
    monkeypatch.setenv(logs.LOG_FORMAT_ENV, chosen)
    root = logging.getLogger()
    before = list(root.handlers)
    earlier = [h for h in before if getattr(h, "_kidb", False)]  # left by a test run before this one
    for handler in earlier:
        root.removeHandler(handler)
    try:
        logs.configure()
        logging.getLogger("kidb.test").info("event=login_ok terminal=%s", "JKT-01")
    finally:
        for handler in [h for h in root.handlers if h not in before]:
            handler.close()
            root.removeHandler(handler)
        for handler in earlier:
            root.addHandler(handler)
    [line] = (data_dir / logs.LOG_FILE).read_text().splitlines()
    assert check(line)["msg"] == "event=login_ok terminal=JKT-01"
    assert "level=INFO" in line or '"level": "INFO"' in line


def test_the_flag_reaches_the_sessions_through_the_environment(data_dir, capsys):
    assert main(["--log-format", "json", "config", "show"]) == 0
    assert 'log_format = "json"  # --log-format' in capsys.readouterr().out
    import os

    assert os.environ[logs.LOG_FORMAT_ENV] == "json"
