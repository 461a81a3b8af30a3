"""The `kidb` command: the kiosk UI by default, plus demo, database and import subcommands."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from kidb_tui.attach import add_arguments as add_attach_arguments
from kidb_tui.ssh.limits import add_arguments as add_limit_arguments

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
    add_limit_arguments(serve)
    host = commands.add_parser("host", help="run only the session host, for OpenSSH and `kidb attach`")
    host.add_argument("--socket", type=Path, metavar="PATH",
                      help="its UNIX socket (default: KIDB_HOST_SOCKET or host.sock in the data directory)")
    host.add_argument("--exit-with-parent", action="store_true",
                      help="stop listening when the process that started it ends (as kidb serve starts it)")
    add_attach_arguments(commands.add_parser(
        "attach", help="OpenSSH's forced command: this terminal's session from the session host"))
    claims = commands.add_parser("claims", help="claims")
    claim_commands = claims.add_subparsers(dest="claims_command", required=True)
    export = claim_commands.add_parser("export", help="write the claims of one stage to a CSV file")
    export.add_argument("--stage", required=True)
    export.add_argument("file", type=Path)
    audit = commands.add_parser("audit", help="the audit log")
    audit_commands = audit.add_subparsers(dest="audit_command", required=True)
    verify = audit_commands.add_parser("verify", help="check the hash chain, and against the checkpoints")
    verify.add_argument("--checkpoints", type=Path, metavar="FILE",
                        help="checkpoints file (default: audit-checkpoints in the data directory, if any)")
    checkpoint = audit_commands.add_parser("checkpoint", help="append the chain's head to the checkpoints file")
    checkpoint.add_argument("--file", type=Path, metavar="FILE",
                            help="checkpoints file (default: audit-checkpoints in the data directory)")
    audit_commands.add_parser("seal", help="chain the audit rows written since the last seal (kidb serve does it "
                                           "every few seconds)")
    return parser


def _run_kiosk(rt, args) -> int:
    from kidb_tui import logs
    from kidb_tui.app import KidbApp

    logs.configure()
    app = KidbApp(rt, args.language, kiosk=args.kiosk)
    app.run()
    return app.return_code or 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "attach":
        from kidb_tui.attach import run

        return run(args)
    from kidb_tui import bootstrap
    from kidb_tui.config import KeyFileError, load_settings, user_data_dir

    demo_url = args.database or f"sqlite:///{user_data_dir() / DEMO_FILE}"
    try:
        settings = load_settings(demo_url if args.command == "demo" else args.database)
    except KeyFileError as error:
        print(f"kidb: {error}", file=sys.stderr)
        return 2
    if args.command == "demo":
        rt = bootstrap.build_demo(settings)
        status = _run_kiosk(rt, args)
        print(f"demo database: {demo_url}\nback office on it: kidb --database {demo_url} backoffice")
        return status
    if args.command == "host":
        from kidb_tui.host.main import run_host

        return run_host(settings, args.socket, args.exit_with_parent)
    rt = bootstrap.prepare(settings)
    if args.command is None:
        return _run_kiosk(rt, args)
    if args.command == "db":
        print("database is at the latest schema")
        return 0
    if args.command == "participants":
        from kidb_tui.services.participants import import_file

        report = import_file(rt, args.file, actor=_actor())
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


def _actor() -> str:
    """Who runs this command, for the audit log: `cli:<operating-system user>`, or `cli:unknown`
    when the system cannot name the user."""
    from kidb_tui.logs import escape
    from kidb_tui.models import AuditEvent

    try:
        user = getpass.getuser()
    except (OSError, KeyError, ImportError):
        user = ""
    limit = AuditEvent.__table__.c.actor.type.length
    return f"cli:{escape(user) or 'unknown'}"[:limit]


def _unlock(rt, args) -> int:
    from kidb_tui.errors import ValidationError
    from kidb_tui.services.auth import unlock

    try:
        unlocked = unlock(rt, args.nib, actor=_actor())
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
        officer = add_officer(rt, args.username, password, args.role, args.branch, actor=_actor())
    except FormErrors as errors:
        for error in errors.errors:
            print(f"{error.field}: {error.rule}", file=sys.stderr)
        return 1
    print(f"officer {officer.username} ({officer.role}) added")
    return 0


def _run_backoffice(rt, args) -> int:
    from kidb_tui import logs
    from kidb_tui.backoffice.app import BackofficeApp

    logs.configure()
    app = BackofficeApp(rt, args.language, kiosk=args.kiosk)
    app.run()
    return app.return_code or 0


def _serve(rt, args) -> int:
    from kidb_tui.ssh.server import serve

    return serve(rt, args)


def _export(rt, args) -> int:
    from kidb_tui.errors import ValidationError
    from kidb_tui.services.export import export_claims

    try:
        count = export_claims(rt, args.stage, args.file, actor=_actor())
    except ValidationError as error:
        print(f"{error.field}: {error.rule}", file=sys.stderr)
        return 2
    print(f"{count} claim(s) in stage {args.stage} written to {args.file}")
    return 0


def _verify_audit(rt, args) -> int:
    from kidb_tui.services import audit_checkpoint

    if args.audit_command == "checkpoint":
        return _checkpoint_audit(rt, args)
    if args.audit_command == "seal":
        return _seal_audit(rt)
    path = args.checkpoints or audit_checkpoint.default_path()
    try:
        checkpoints = [] if args.checkpoints is None and not path.exists() else audit_checkpoint.read_checkpoints(path)
    except OSError as error:
        print(f"kidb audit verify: {error}", file=sys.stderr)
        return 2
    except audit_checkpoint.CheckpointFileError as error:
        print(error, file=sys.stderr)
        return 1
    result = audit_checkpoint.verify(rt, checkpoints)
    if result.problem is not None:
        print(result.problem, file=sys.stderr)
        return 1
    pending = f"; {result.unsealed} row(s) written in the last minute not sealed yet" if result.unsealed else ""
    print(f"audit chain verified ({result.rows} rows, {result.checkpoints} checkpoints){pending}")
    return 0


def _seal_audit(rt) -> int:
    from kidb_tui.errors import SystemBusy
    from kidb_tui.services.audit_seal import seal_pending

    try:
        done = seal_pending(rt)
    except SystemBusy:
        print("kidb audit seal: the database is busy or unreachable; try again", file=sys.stderr)
        return 2
    for row_id in done.refused:
        print(f"audit row {row_id} not sealed: its writer's signature does not hold", file=sys.stderr)
    if done.busy:
        print(f"sealed {done.rows} row(s); another sealer is at work on the rest")
    elif done.rows:
        print(f"sealed {done.rows} row(s): places {done.first_seq} to {done.last_seq}")
    else:
        print("nothing to seal")
    return 1 if done.refused else 0


def _checkpoint_audit(rt, args) -> int:
    from kidb_tui.services.audit_checkpoint import default_path, write_checkpoint

    try:
        checkpoint = write_checkpoint(rt, args.file or default_path())
    except OSError as error:
        print(f"kidb audit checkpoint: {error}", file=sys.stderr)
        return 2
    print(checkpoint.line())
    return 0
