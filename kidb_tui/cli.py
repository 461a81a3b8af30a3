"""The `kidb` command: the kiosk UI by default, plus demo, database, import, export, check and
config subcommands. Settings errors, schema mismatches and refused operations are one line on
stderr, never a traceback. A refusal by the domain is a sentence in the chosen language (`--language`
or the settings) naming the field and the rule: exit status 2 for bad input (a field broke a rule,
a wrong combination of options), 1 for a failure (nothing found, a file not written, a check or
import that found problems)."""

from __future__ import annotations

import argparse
import contextlib
import getpass
import sys
import time
from pathlib import Path
from typing import NoReturn

from kidb_tui import __version__
from kidb_tui.ssh.limits import add_arguments as add_limit_arguments
from kidb_tui.ssh.limits import add_session_arguments

DEMO_FILE = "demo.sqlite3"
DEMO_MAIL_FILE = "demo-mail.txt"


def _add_options(parser: argparse.ArgumentParser) -> None:
    """The options given before any command (the kiosk's own)."""
    parser.add_argument("--database", metavar="URL", help="SQLAlchemy URL (default: KIDB_DATABASE_URL or a SQLite file)")
    parser.add_argument("--language", choices=("id", "en"), help="starting language of the kiosk (default id)")
    parser.add_argument("--kiosk", action="store_true", help="lock the kiosk down: quit keys log out instead of leaving")
    parser.add_argument("--config", type=Path, metavar="FILE",
                        help="settings file (default: KIDB_CONFIG, else /etc/kidb/kidb.toml when it exists)")
    parser.add_argument("--log-format", choices=("kv", "json"), help="log lines as key=value (default) or JSON")


def _parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The command line's parser; `attach`'s own arguments (and the modules that define them)
    only when `argv` may name it, so that the kiosk does not import them before its first frame."""
    parser = argparse.ArgumentParser(prog="kidb", description="KIDB kiosk for BPJS Ketenagakerjaan claims.")
    _add_options(parser)
    parser.add_argument("--version", action="version", version=f"kidb {__version__}")
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("demo", help="create or refresh the demo database, then start the kiosk on it")
    db = commands.add_parser("db", help="database schema, backup and restore")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    upgrade = db_commands.add_parser("upgrade", help="migrate to the latest schema (backs up a SQLite database first)")
    upgrade.add_argument("--dry-run", action="store_true", help="only say what the upgrade would do")
    upgrade.add_argument("--backup", type=Path, metavar="FILE",
                         help="where the SQLite backup goes (default: backups/ in the data directory)")
    db_commands.add_parser("current", help="the database's schema revision (exit 1 when it is not current)")
    backup = db_commands.add_parser("backup", help="copy the database to FILE while kiosks run (PostgreSQL: pg_dump)")
    backup.add_argument("file", type=Path)
    backup.add_argument("--print", action="store_true", dest="print_only",
                        help="PostgreSQL: print the pg_dump command instead of running it")
    restore = db_commands.add_parser("restore", help="replace the database with the backup FILE (not while in use)")
    restore.add_argument("file", type=Path)
    restore.add_argument("--print", action="store_true", dest="print_only",
                         help="PostgreSQL: print the pg_restore command instead of running it")
    people = commands.add_parser("participants", help="participant records")
    people_commands = people.add_subparsers(dest="participants_command", required=True)
    importer = people_commands.add_parser("import", help="import or update participants from a CSV file")
    importer.add_argument("file", type=Path)
    check = commands.add_parser("check", help="check the installation: one line per check, exit 0 when all pass")
    check.add_argument("--authorized-keys", type=Path, help="the terminals' keys (default: in the data directory)")
    check.add_argument("--host-key", type=Path, help="the SSH host key (default: in the data directory)")
    config = commands.add_parser("config", help="settings")
    config.add_subparsers(dest="config_command", required=True).add_parser(
        "show", help="the effective settings and where each comes from, secrets masked")
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
    add_session_arguments(host)
    host.add_argument("--caps-by-parent", action="store_true",
                      help="apply no session cap: the process that started it does (as kidb serve does)")
    attach = commands.add_parser("attach", help="OpenSSH's forced command: this terminal's session from the session host")
    if argv is None or "attach" in argv:
        from kidb_tui.attach import add_arguments as add_attach_arguments

        add_attach_arguments(attach)
    claims = commands.add_parser("claims", help="claims")
    claim_commands = claims.add_subparsers(dest="claims_command", required=True)
    export = claim_commands.add_parser(
        "export", help="write the claims of one stage not exported before to a CSV file, as a new batch")
    export.add_argument("--stage", help="the stage whose claims to export (required unless --again)")
    export.add_argument("--again", metavar="BATCH", help="write the claims of an earlier batch again")
    export.add_argument("--delimiter", default=",", help="field separator: one character, e.g. ';' (default ',')")
    export.add_argument("--bom", action="store_true", help="start with a UTF-8 byte order mark (for spreadsheets)")
    export.add_argument("file", type=Path)
    notify = commands.add_parser("notify", help="notifications by email and webhook")
    notify_run = notify.add_subparsers(dest="notify_command", required=True).add_parser(
        "run", help="deliver the outbox until stopped (kidb serve does this too)")
    notify_run.add_argument("--once", action="store_true", help="deliver what is due now, then exit")
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
    from kidb_tui import gc_tuning
    from kidb_tui.app import KidbApp

    gc_tuning.settle()
    return _run_app(KidbApp(rt, args.language, kiosk=args.kiosk), _sealers(rt))


def _run_kiosk_on_its_own(settings, args) -> int:
    """`kidb` (`--kiosk`): the login screen is drawn first and the database prepared behind it
    (kidb_tui/pending_runtime.py); a database it cannot prepare ends the app, then is said here."""
    from kidb_tui.app import KidbApp
    from kidb_tui.host.styles import keep_parsed
    from kidb_tui.pending_runtime import PendingRuntime

    keep_parsed()  # Textual parses each style sheet again in every reparse of its start
    sealers: list = []

    def prepare(settings, clock):
        from kidb_tui import bootstrap, gc_tuning
        from kidb_tui.money import format_rupiah

        try:
            rt = bootstrap.prepare(settings, clock)
        except BaseException:
            gc_tuning.release()
            raise
        sealers.extend(_sealers(rt))
        rt.hasher.prepare_dummy()
        # the first login's screen and the session's countdown, imported off the UI thread
        from kidb_tui.screens import menu, session_modals  # noqa: F401

        format_rupiah(0)  # babel and its id_ID data, for the menu's first amount, off the UI thread too

        gc_tuning.settle()
        return rt

    app = KidbApp(PendingRuntime(settings, prepare), args.language, kiosk=args.kiosk)
    status = _run_app(app, sealers)
    if app.prepare_failed is not None:
        from kidb_tui.bootstrap import SchemaMismatch

        if not isinstance(app.prepare_failed, SchemaMismatch):
            raise app.prepare_failed
        print(f"kidb: {app.prepare_failed}", file=sys.stderr)
        return 2
    return status


def _sealers(rt) -> list:
    """The app's audit sealer, started (none in a session of `kidb serve`, which seals for it)."""
    from kidb_tui.services.audit_seal import app_sealer

    return [sealer for sealer in (app_sealer(rt),) if sealer is not None]


def _run_app(app, sealers: list) -> int:
    """Run a terminal app with the session log set up; its audit sealers are stopped (sealing
    once more) when it ends."""
    from kidb_tui import logs

    logs.configure()
    try:
        app.run()
    finally:
        for sealer in sealers:
            sealer.stop()
    return app.return_code or 0


def _demo_mail(settings):
    """The demo's mail goes to a file in the data directory unless a mail server is configured."""
    from kidb_tui.config import user_data_dir

    return settings if settings.mail_configured else settings.with_(mail_file=str(user_data_dir() / DEMO_MAIL_FILE))


def _demo(rt, args, demo_url: str) -> int:
    """The kiosk on the demo database, with a sender delivering its notifications meanwhile."""
    import threading

    from kidb_tui.delivery import runner, transports

    stop = threading.Event()
    worker = threading.Thread(target=runner.run_until, args=(rt, transports.configured(rt.settings), stop),
                              name="kidb-demo-sender", daemon=True)
    worker.start()
    try:
        status = _run_kiosk(rt, args)
    finally:
        stop.set()
        worker.join()
    print(f"demo database: {demo_url}\nback office on it: kidb --database {demo_url} backoffice")
    if rt.settings.mail_file:
        print(f"demo notifications (email): {rt.settings.mail_file}")
    return status


class _NotTheKiosk(Exception):
    """The command line is not the kiosk's own options alone."""


class _OptionsOnly(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise _NotTheKiosk(message)


def _parse(argv: list[str]) -> argparse.Namespace:
    """`argv` parsed as the full parser does. The kiosk's own command line (options, no command)
    is read by a parser of the options alone: building every command's parser costs the kiosk
    about 5 to 15 ms before its first frame (argparse looks up a translation of each of their
    messages). Anything else (a command, help, version, a wrong option) goes to the full parser."""
    if not any(arg in ("-h", "--help") or arg.startswith("--v") for arg in argv):
        with contextlib.suppress(_NotTheKiosk):
            options = _OptionsOnly(prog="kidb", add_help=False)
            _add_options(options)
            args, rest = options.parse_known_args(argv)
            if not rest:
                args.command = None
                return args
    return _parser(argv).parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """The command; the cyclic collector waits for the kiosk's first frame (kidb_tui/gc_tuning.py:
    its prepare thread settles it), any other command has it from the start."""
    from kidb_tui import gc_tuning

    gc_tuning.hold()
    try:
        return _main(sys.argv[1:] if argv is None else argv)
    finally:
        gc_tuning.release()


def _main(argv: list[str]) -> int:
    from kidb_tui import gc_tuning

    args = _parse(argv)
    if args.command is not None:
        gc_tuning.release()
    if args.command == "attach":
        from kidb_tui.attach import run

        return run(args)
    from kidb_tui.config import KeyFileError, SettingsError, load_options, load_settings, user_data_dir

    try:
        loaded = load_options(
            {"database_url": args.database, "language": args.language, "log_format": args.log_format}, args.config)
    except SettingsError as error:
        print(f"kidb: {error}", file=sys.stderr)
        return 2
    if args.command == "config":
        from kidb_tui.operations import show_config

        print(show_config(loaded))
        return 0
    if args.command == "check":
        from kidb_tui.operations import run_checks

        return run_checks(loaded, args.database, args.authorized_keys, args.host_key)
    demo_url = args.database or f"sqlite:///{user_data_dir() / DEMO_FILE}"
    try:
        settings = load_settings(demo_url if args.command == "demo" else args.database, loaded=loaded)
    except (KeyFileError, SettingsError) as error:
        print(f"kidb: {error}", file=sys.stderr)
        return 2
    if args.command is None:
        return _run_kiosk_on_its_own(settings, args)
    from kidb_tui import bootstrap

    if args.command == "demo":
        return _demo(bootstrap.build_demo(_demo_mail(settings)), args, demo_url)
    if args.command == "host":
        from kidb_tui.host.main import run_host
        from kidb_tui.ssh.limits import session_caps

        try:
            caps = session_caps(args)
        except ValueError as error:
            print(f"kidb: {error}", file=sys.stderr)
            return 2
        return run_host(settings, args.socket, args.exit_with_parent, caps)
    if args.command == "db":
        from kidb_tui.operations import database_command

        return database_command(settings, args)
    try:
        rt = bootstrap.prepare(settings)
    except bootstrap.SchemaMismatch as error:
        print(f"kidb: {error}", file=sys.stderr)
        return 2
    if args.command == "participants":
        return _import(rt, args)
    handler = {
        "accounts": _unlock,
        "officer": _add_officer,
        "backoffice": _run_backoffice,
        "claims": _export,
        "audit": _verify_audit,
        "serve": _serve,
        "notify": _notify,
    }[args.command]
    from kidb_tui.errors import DomainError

    try:
        return handler(rt, args)
    except DomainError as error:
        return _refused(rt, error)


def _text(rt, key: str, **params: object) -> str:
    from kidb_tui.i18n import Translator

    return Translator(rt.settings.language).t(key, **params)


def _refused(rt, error) -> int:
    """Each error of a domain refusal as a sentence on stderr; 2 for bad input, 1 otherwise."""
    from kidb_tui.errors import FormErrors, ValidationError
    from kidb_tui.i18n import Translator

    translator = Translator(rt.settings.language)
    for each in error.errors if isinstance(error, FormErrors) else [error]:
        print(f"kidb: {translator.error(each)}", file=sys.stderr)
    return 2 if isinstance(error, (FormErrors, ValidationError)) else 1


ERRORS_SHOWN = 100
PROGRESS_EVERY = 2.0
"""Seconds between plain progress lines when stderr is not a terminal (none for a quick import)."""


def _progress(stream):
    """A progress callback for the importer and the function that ends it: a rich progress bar
    on a terminal, else a plain line at most every PROGRESS_EVERY seconds."""
    labels = {"validate": "validating rows", "store": "storing rows"}
    if stream.isatty():
        from rich.console import Console
        from rich.progress import Progress, TaskID

        bar = Progress(console=Console(file=stream), transient=True)
        bar.start()
        tasks: dict[str, TaskID] = {}

        def on_terminal(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = bar.add_task(labels[phase], total=total)
            bar.update(tasks[phase], completed=done)

        return on_terminal, bar.stop
    last = [time.monotonic()]

    def plain(phase: str, done: int, total: int) -> None:
        now = time.monotonic()
        if now - last[0] >= PROGRESS_EVERY:
            last[0] = now
            print(f"{labels[phase]}: {done}/{total}", file=stream, flush=True)

    return plain, lambda: None


def _import(rt, args) -> int:
    """`kidb participants import FILE`: every error by line (the first ERRORS_SHOWN, then how many
    more), or the counts and how long the write lock was held."""
    from kidb_tui.services.participants import import_file

    progress, done = _progress(sys.stderr)
    try:
        report = import_file(rt, args.file, actor=_actor(), progress=progress)
    finally:
        done()
    if not report.ok:
        for error in report.errors[:ERRORS_SHOWN]:
            print(error, file=sys.stderr)
        if len(report.errors) > ERRORS_SHOWN:
            print(f"... and {len(report.errors) - ERRORS_SHOWN} more error(s)", file=sys.stderr)
        print(f"nothing imported: {len(report.errors)} error(s)", file=sys.stderr)
        return 1
    print(f"imported: {report.created} new, {report.updated} updated")
    print(f"write lock held {report.lock_seconds:.2f} s", file=sys.stderr)
    return 0


def _actor() -> str:
    """Who runs this command, for the audit log: `cli:<operating-system user>`, or `cli:unknown`
    when the system cannot name the user."""
    from kidb_tui.logs import escape
    from kidb_tui.models import AuditEvent

    try:
        user = getpass.getuser()
    except (OSError, KeyError, ImportError):
        user = ""
    limit = AuditEvent.__table__.c.actor.type.length  # type: ignore[attr-defined]  # SQLModel sets __table__ at class creation
    return f"cli:{escape(user) or 'unknown'}"[:limit]


def _unlock(rt, args) -> int:
    from kidb_tui.services.auth import unlock

    unlocked = unlock(rt, args.nib, actor=_actor())
    print(_text(rt, "cli.unlocked" if unlocked else "cli.not_locked", nib=args.nib.strip()))
    return 0


def _read_password(rt, from_stdin: bool) -> str:
    from kidb_tui.errors import ValidationError

    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass(_text(rt, "cli.password_prompt"))
    if first != getpass.getpass(_text(rt, "cli.password_repeat")):
        raise ValidationError("password", "secret_mismatch")
    return first


def _add_officer(rt, args) -> int:
    from kidb_tui.services.officers import add_officer

    password = _read_password(rt, args.password_stdin)
    officer = add_officer(rt, args.username, password, args.role, args.branch, actor=_actor())
    print(f"officer {officer.username} ({officer.role}) added")
    return 0


def _run_backoffice(rt, args) -> int:
    from kidb_tui.backoffice.app import BackofficeApp

    return _run_app(BackofficeApp(rt, args.language, kiosk=args.kiosk), _sealers(rt))


def _serve(rt, args) -> int:
    from kidb_tui.ssh.server import serve

    return serve(rt, args)


def _notify(rt, args) -> int:
    """`kidb notify run [--once]`: exit 2 when no channel is configured."""
    import asyncio

    from kidb_tui import logs
    from kidb_tui.delivery import runner, transports

    channels = transports.configured(rt.settings)
    if not channels:
        print("kidb notify: no channel configured: set KIDB_SMTP_URL (or KIDB_MAIL_FILE, KIDB_WEBHOOK_URL)",
              file=sys.stderr)
        return 2
    if args.once:
        outcome = runner.run_once(rt, channels)
        print(f"sent {outcome.sent}, to retry {outcome.retried}, dead {outcome.dead}")
        return 0
    logs.configure()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(runner.send_every(rt, channels))
    return 0


def _export(rt, args) -> int:
    from kidb_tui.errors import ValidationError
    from kidb_tui.services.export import export_again, export_claims

    if (args.stage is None) == (args.again is None):
        raise ValidationError("stage", "stage_or_again")
    try:
        if args.again is not None:
            exported = export_again(rt, args.again, args.file, _actor(), args.delimiter, args.bom)
        else:
            exported = export_claims(rt, args.stage, args.file, _actor(), args.delimiter, args.bom)
    except OSError as error:
        print(f"kidb: {_text(rt, 'cli.file_not_written', path=str(args.file), error=error.strerror or error)}",
              file=sys.stderr)
        return 1
    if not exported.count:
        print(f"no claim in stage {args.stage} that was not exported before; {args.file} has only the header "
              "and the control line")
        return 0
    print(f"batch {exported.batch}: {exported.count} claim(s), amount {exported.amount_total}, approved "
          f"{exported.approved_total}, written to {args.file}")
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
