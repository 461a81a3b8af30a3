"""The `kidb` command: the kiosk UI by default, plus demo, database and import subcommands."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from kidb_tui.config import load_settings, user_data_dir

DEMO_FILE = "demo.sqlite3"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kidb", description="KIDB kiosk for BPJS Ketenagakerjaan claims.")
    parser.add_argument("--database", metavar="URL", help="SQLAlchemy URL (default: KIDB_DATABASE_URL or a SQLite file)")
    parser.add_argument("--language", choices=("id", "en"), help="starting language of the kiosk (default id)")
    parser.add_argument("--kiosk", action="store_true", help="lock the kiosk down: quit keys log out instead of leaving")
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
    officer = commands.add_parser("officer", help="back-office officers")
    officer_commands = officer.add_subparsers(dest="officer_command", required=True)
    add = officer_commands.add_parser("add", help="create an officer account")
    add.add_argument("username")
    add.add_argument("--role", choices=("officer", "supervisor"), default="officer")
    add.add_argument("--branch", default="")
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    commands.add_parser("backoffice", help="start the officers' review UI in this terminal")
    serve = commands.add_parser("serve", help="serve the kiosk to branch terminals over SSH")
    serve.add_argument("--listen", default="127.0.0.1:2222", metavar="HOST:PORT")
    serve.add_argument("--authorized-keys", type=Path, help="OpenSSH authorized-keys file of the terminals")
    serve.add_argument("--host-key", type=Path, help="ed25519 host key (created on first start)")
    claims = commands.add_parser("claims", help="claims")
    claim_commands = claims.add_subparsers(dest="claims_command", required=True)
    export = claim_commands.add_parser("export", help="write the claims of one stage to a CSV file")
    export.add_argument("--stage", required=True)
    export.add_argument("file", type=Path)
    audit = commands.add_parser("audit", help="the audit log")
    audit.add_subparsers(dest="audit_command", required=True).add_parser("verify", help="check the hash chain")
    return parser


def _run_kiosk(rt, args) -> int:
    from kidb_tui.app import KidbApp

    KidbApp(rt, args.language, kiosk=args.kiosk).run()
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from kidb_tui import bootstrap

    if args.command == "demo":
        url = args.database or f"sqlite:///{user_data_dir() / DEMO_FILE}"
        rt = bootstrap.build_demo(load_settings(url))
        status = _run_kiosk(rt, args)
        print(f"demo database: {url}\nback office on it: kidb --database {url} backoffice")
        return status
    rt = bootstrap.prepare(load_settings(args.database))
    if args.command is None:
        return _run_kiosk(rt, args)
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
    handler = {
        "accounts": _unlock,
        "officer": _add_officer,
        "backoffice": _run_backoffice,
        "claims": _export,
        "audit": _verify_audit,
        "serve": _serve,
    }[args.command]
    return handler(rt, args)


def _unlock(rt, args) -> int:
    from kidb_tui.errors import ValidationError
    from kidb_tui.services.auth import unlock

    try:
        unlocked = unlock(rt, args.nib, actor="cli")
    except ValidationError as error:
        print(f"{error.field}: {error.rule}", file=sys.stderr)
        return 2
    print("unlocked" if unlocked else "no lock recorded for that NIB")
    return 0


def _read_password(from_stdin: bool) -> str | None:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password (at least 12 characters): ")
    if first != getpass.getpass("Repeat the password: "):
        print("the two passwords differ", file=sys.stderr)
        return None
    return first


def _add_officer(rt, args) -> int:
    from kidb_tui.errors import FormErrors
    from kidb_tui.services.officers import add_officer

    password = _read_password(args.password_stdin)
    if password is None:
        return 1
    try:
        officer = add_officer(rt, args.username, password, args.role, args.branch)
    except FormErrors as errors:
        for error in errors.errors:
            print(f"{error.field}: {error.rule}", file=sys.stderr)
        return 1
    print(f"officer {officer.username} ({officer.role}) added")
    return 0


def _run_backoffice(rt, args) -> int:
    from kidb_tui.backoffice.app import BackofficeApp

    BackofficeApp(rt, args.language, kiosk=args.kiosk).run()
    return 0


def _serve(rt, args) -> int:
    from kidb_tui.ssh.server import serve

    return serve(rt, args)


def _export(rt, args) -> int:
    from kidb_tui.errors import ValidationError
    from kidb_tui.services.export import export_claims

    try:
        count = export_claims(rt, args.stage, args.file)
    except ValidationError as error:
        print(f"{error.field}: {error.rule}", file=sys.stderr)
        return 2
    print(f"{count} claim(s) in stage {args.stage} written to {args.file}")
    return 0


def _verify_audit(rt, args) -> int:
    from kidb_tui.services.audit import verify_chain

    problem = verify_chain(rt)
    if problem is not None:
        print(problem, file=sys.stderr)
        return 1
    print("audit chain verified")
    return 0
