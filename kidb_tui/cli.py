"""The `kidb` command: the kiosk UI by default, plus demo, database and import subcommands."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kidb_tui.config import load_settings, user_data_dir

DEMO_FILE = "demo.sqlite3"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kidb", description="KIDB kiosk for BPJS Ketenagakerjaan claims.")
    parser.add_argument("--database", metavar="URL", help="SQLAlchemy URL (default: KIDB_DATABASE_URL or a SQLite file)")
    parser.add_argument("--language", choices=("id", "en"), help="starting language of the kiosk (default id)")
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("demo", help="create or refresh the demo database, then start the kiosk on it")
    db = commands.add_parser("db", help="database schema")
    db.add_subparsers(dest="db_command", required=True).add_parser("upgrade", help="migrate to the latest schema")
    people = commands.add_parser("participants", help="participant records")
    people_commands = people.add_subparsers(dest="participants_command", required=True)
    importer = people_commands.add_parser("import", help="import or update participants from a CSV file")
    importer.add_argument("file", type=Path)
    accounts = commands.add_parser("accounts", help="kiosk accounts")
    account_commands = accounts.add_subparsers(dest="accounts_command", required=True)
    unlock = account_commands.add_parser("unlock", help="clear the failed-login lock of an NIB")
    unlock.add_argument("nib")
    return parser


def _run_kiosk(rt, language: str | None) -> int:
    from kidb_tui.app import KidbApp

    KidbApp(rt, language).run()
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from kidb_tui import bootstrap

    if args.command == "demo":
        url = args.database or f"sqlite:///{user_data_dir() / DEMO_FILE}"
        rt = bootstrap.build_demo(load_settings(url))
        return _run_kiosk(rt, args.language)
    rt = bootstrap.prepare(load_settings(args.database))
    if args.command is None:
        return _run_kiosk(rt, args.language)
    if args.command == "db":
        print("database is at the latest schema")
        return 0
    if args.command == "participants":
        from kidb_tui.services.participants import import_file

        report = import_file(rt, args.file)
        if not report.ok:
            for error in report.errors:
                print(error, file=sys.stderr)
            print(f"nothing imported: {len(report.errors)} error(s)", file=sys.stderr)
            return 1
        print(f"imported: {report.created} new, {report.updated} updated")
        return 0
    from kidb_tui.services.auth import unlock

    print("unlocked" if unlock(rt, args.nib, actor="cli") else "no lock recorded for that NIB")
    return 0
