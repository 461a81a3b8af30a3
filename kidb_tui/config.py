"""Settings, read in one place and checked at start: defaults, then the config file
(`/etc/kidb/kidb.toml`, `$KIDB_CONFIG` or `--config FILE`), then `KIDB_*` environment
variables, then command-line flags, each overriding the one before. A bad value stops the
command with one line (SettingsError) naming where it came from, what is wrong with it and
what is allowed. Secret keys come from the environment, a file it names, or the data
directory (load_key)."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import stat
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import platformdirs

from kidb_tui import time_zones
from kidb_tui.masked import SecretBytes, SecretStr, masked, masked_bytes

if TYPE_CHECKING:
    from pydantic import ValidationError

APP_NAME = "kidb"
_URL_SCHEME = re.compile(r"([\w+]+)://")
"""What SQLAlchemy's `make_url` reads the dialect from (not imported here: the settings are
loaded before the kiosk's first frame, the database layer after it)."""
KEY_MIN_BYTES = 32
ENV_PREFIX = "KIDB_"
CONFIG_ENV = "KIDB_CONFIG"
DEFAULT_CONFIG_FILE = Path("/etc/kidb/kidb.toml")
DEFAULT_TIMEZONE = time_zones.DEFAULT


def user_data_dir() -> Path:
    """Where the default database, pepper key and host keys live."""
    return Path(os.environ.get("KIDB_DATA_DIR") or platformdirs.user_data_dir(APP_NAME))


def default_database_url() -> str:
    return f"sqlite:///{user_data_dir() / 'kidb.sqlite3'}"


@dataclass(frozen=True)
class Argon2Params:
    """argon2id cost parameters; defaults are OWASP's (m=19 MiB, t=2, p=1)."""

    memory_kib: int = 19 * 1024
    time_cost: int = 2
    parallelism: int = 1


@dataclass(frozen=True)
class Settings:
    database_url: str = field(default_factory=default_database_url)
    pepper: SecretBytes = SecretBytes(b"")  # noqa: RUF009  (immutable, like the frozen Settings)
    audit_key: SecretBytes = SecretBytes(b"")  # noqa: RUF009
    argon2: Argon2Params = Argon2Params()
    language: str = "id"
    lock_threshold: int = 5
    lock_minutes: int = 30
    terminal_failure_limit: int = 10
    terminal_window_minutes: int = 10
    failure_delay_base: float = 1.0
    failure_delay_max: float = 8.0
    contact_max_age_days: int = 183
    small_balance_limit: int = 10_000_000
    supervisor_threshold: int = 50_000_000
    idle_seconds: int = 180
    idle_warning_seconds: int = 20
    session_limit_seconds: int = 1800
    audit_checkpoint_seconds: int = 300
    audit_seal_seconds: float = 5.0
    terminal_id: str = ""
    branch: str = ""
    timezone: str = DEFAULT_TIMEZONE
    smtp_url: str = ""
    smtp_password: SecretStr = field(default_factory=lambda: SecretStr(""))
    mail_from: str = "kidb@localhost"
    mail_file: str = ""
    webhook_url: str = ""
    webhook_key: SecretBytes = field(default_factory=lambda: SecretBytes(b""))
    notify_max_attempts: int = 8
    notify_retry_seconds: int = 60
    memory_merge: bool = True
    host_spares: int = 2

    def __post_init__(self) -> None:
        """Keys given as plain bytes or text (tests, callers) are masked on the way in."""
        object.__setattr__(self, "pepper", masked_bytes(self.pepper))
        object.__setattr__(self, "audit_key", masked_bytes(self.audit_key))
        object.__setattr__(self, "webhook_key", masked_bytes(self.webhook_key))
        object.__setattr__(self, "smtp_password", masked(self.smtp_password))

    @property
    def mail_configured(self) -> bool:
        """Whether email leaves the kiosk (an SMTP server or, for the demo, a file sink)."""
        return bool(self.smtp_url or self.mail_file)

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **changes)

    @property
    def zone(self) -> ZoneInfo:
        """The branch's time zone, in which every time is shown (the database keeps UTC)."""
        return ZoneInfo(self.timezone)


class KeyFileError(Exception):
    """A key file that must not be used: readable by others, too short, or unreadable."""


def _check_key_file(path: Path) -> bytes:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise KeyFileError(f"{path}: mode {mode:04o} lets others read it; chmod 600 {path}")
    data = path.read_bytes()
    if len(data) < KEY_MIN_BYTES:
        raise KeyFileError(f"{path}: {len(data)} bytes; a key needs at least {KEY_MIN_BYTES}")
    return data


def _create_key_file(key_file: Path) -> None:
    """A new random key, written whole (mode 0600) and linked into place, so two processes
    starting at once end up with the same key."""
    folder = key_file.parent
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    draft = folder / f".{key_file.name}.{os.getpid()}.{secrets.token_hex(4)}"
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(secrets.token_bytes(KEY_MIN_BYTES))
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(draft, key_file)
    finally:
        draft.unlink()


def load_key(env_name: str, file_name: str, data_dir: Path | None = None,
             named_file: Path | None = None) -> SecretBytes:
    """A secret key: `$ENV_NAME` itself, else the file `$ENV_NAME_FILE` names (systemd
    credentials), else `named_file` (the config file's `…_file`), else `file_name` in the data
    directory, created on first use. Refuses a key shorter than 32 bytes or a file others can
    read (KeyFileError)."""
    env = os.environ.get(env_name)
    if env:
        if len(env.encode("utf-8")) < KEY_MIN_BYTES:
            raise KeyFileError(f"{env_name}: a key needs at least {KEY_MIN_BYTES} bytes")
        return SecretBytes(env.encode("utf-8"))
    named = os.environ.get(f"{env_name}_FILE") or named_file
    if named:
        try:
            return SecretBytes(_check_key_file(Path(named)))
        except OSError as error:
            raise KeyFileError(f"{named}: {error.strerror or error}") from None
    key_file = (data_dir or user_data_dir()) / file_name
    if not key_file.exists():
        _create_key_file(key_file)
    return SecretBytes(_check_key_file(key_file))


def load_pepper(data_dir: Path | None = None, named_file: Path | None = None) -> SecretBytes:
    """The pepper of PIN hashing: `KIDB_PEPPER`, `KIDB_PEPPER_FILE`, `pepper_file`, or `pepper.key`."""
    return load_key("KIDB_PEPPER", "pepper.key", data_dir, named_file)


def load_audit_key(data_dir: Path | None = None, named_file: Path | None = None) -> SecretBytes:
    """The key of the audit chain: `KIDB_AUDIT_KEY`, `KIDB_AUDIT_KEY_FILE`, `audit_key_file`, or `audit.key`."""
    return load_key("KIDB_AUDIT_KEY", "audit.key", data_dir, named_file)


class SettingsError(Exception):
    """A setting that cannot be used; the message is one line for the operator."""


@dataclass(frozen=True)
class Rule:
    """What one option takes: its kind (`text`, `optional_text`, `path`, `choice`, `whole`,
    `number` or `flag`), its default, and its bounds, longest text or choices."""

    kind: str
    default: Any
    low: float | None = None
    high: float | None = None
    longest: int | None = None
    choices: tuple[str, ...] = ()


def _whole(low: int, high: int, default: int) -> Rule:
    return Rule("whole", default, low, high)


_PATH = Rule("path", None)
RULES: dict[str, Rule] = {
    "database_url": Rule("optional_text", None),
    "data_dir": _PATH,
    "pepper_file": _PATH,
    "audit_key_file": _PATH,
    "language": Rule("choice", "id", choices=("id", "en")),
    "timezone": Rule("text", DEFAULT_TIMEZONE),
    "log_format": Rule("choice", "kv", choices=("kv", "json")),
    "argon2_memory_kib": _whole(8, 4 * 1024 * 1024, 19 * 1024),
    "argon2_time_cost": _whole(1, 100, 2),
    "argon2_parallelism": _whole(1, 64, 1),
    "lock_threshold": _whole(1, 100, 5),
    "lock_minutes": _whole(1, 7 * 24 * 60, 30),
    "terminal_failure_limit": _whole(1, 1000, 10),
    "terminal_window_minutes": _whole(1, 24 * 60, 10),
    "failure_delay": Rule("number", 1.0, 0, 8),
    "supervisor_threshold": _whole(0, 10**15, 50_000_000),
    "idle_seconds": _whole(1, 24 * 3600, 180),
    "idle_warning_seconds": _whole(0, 3600, 20),
    "session_limit_seconds": _whole(1, 24 * 3600, 1800),
    "audit_checkpoint_seconds": _whole(0, 24 * 3600, 300),
    "audit_seal_seconds": Rule("number", 5.0, 0.1, 3600),
    "terminal_id": Rule("text", "", longest=40),
    "branch": Rule("text", "", longest=80),
    "smtp_url": Rule("text", ""),
    "smtp_password_file": _PATH,
    "mail_from": Rule("text", "kidb@localhost", longest=254),
    "mail_file": _PATH,
    "webhook_url": Rule("text", ""),
    "webhook_key_file": _PATH,
    "notify_max_attempts": _whole(1, 100, 8),
    "notify_retry_seconds": _whole(1, 24 * 3600, 60),
    "memory_merge": Rule("flag", True),
    "host_spares": _whole(0, 64, 2),
}
"""What an operator may set: `KIDB_<NAME>` in the environment, `<name>` in the config file.
The pydantic model that checks them (kidb_tui/options_model.py) is built from these rules."""


@dataclass(frozen=True)
class Options:
    """The validated options (`load_options`); the same fields, in the same order, as RULES, whose
    defaults they take (`defaults()`)."""

    database_url: str | None
    data_dir: Path | None
    pepper_file: Path | None
    audit_key_file: Path | None
    language: Literal["id", "en"]
    timezone: str
    log_format: Literal["kv", "json"]
    argon2_memory_kib: int
    argon2_time_cost: int
    argon2_parallelism: int
    lock_threshold: int
    lock_minutes: int
    terminal_failure_limit: int
    terminal_window_minutes: int
    failure_delay: float
    supervisor_threshold: int
    idle_seconds: int
    idle_warning_seconds: int
    session_limit_seconds: int
    audit_checkpoint_seconds: int
    audit_seal_seconds: float
    terminal_id: str
    branch: str
    smtp_url: str
    smtp_password_file: Path | None
    mail_from: str
    mail_file: Path | None
    webhook_url: str
    webhook_key_file: Path | None
    notify_max_attempts: int
    notify_retry_seconds: int
    memory_merge: bool
    host_spares: int


def defaults() -> dict[str, Any]:
    """Every option's default value, by name (RULES')."""
    return {name: rule.default for name, rule in RULES.items()}


def broken_rule(name: str, value: Any) -> str | None:
    """The rule of its own (beyond kind and bounds) that an option's value breaks, if any."""
    if name == "smtp_url" and value and urlsplit(value).scheme not in ("smtp", "smtps"):
        return name
    if name == "webhook_url" and value and urlsplit(value).scheme not in ("http", "https"):
        return name
    if name == "timezone" and value not in time_zones.ZONES:
        return name
    if name == "database_url" and value is not None and _backend_name(value) not in ("sqlite", "postgresql"):
        return name
    return None


_UNSURE = object()
_WHOLE = re.compile(r"0|[1-9][0-9]{0,17}")
_NUMBER = re.compile(r"(0|[1-9][0-9]{0,17})(\.[0-9]{1,17})?")
_FLAGS = {"true": True, "1": True, "yes": True, "on": True, "false": False, "0": False, "no": False, "off": False}


def _plain(rule: Rule, value: Any) -> Any:
    """`value` as the model would take it, when it plainly is one the model takes; else _UNSURE."""
    kind, text = rule.kind, type(value) is str
    if value is None and kind in ("optional_text", "path"):
        return None
    if kind in ("text", "optional_text"):
        return value if text and (rule.longest is None or len(value) <= rule.longest) else _UNSURE
    if kind == "path":
        return Path(value) if text and value.strip() == value and value else _UNSURE
    if kind == "choice":
        return value if text and value in rule.choices else _UNSURE
    if kind == "flag":
        return value if type(value) is bool else _FLAGS.get(value, _UNSURE) if text else _UNSURE
    if kind == "whole":
        number = value if type(value) is int else int(value) if text and _WHOLE.fullmatch(value) else _UNSURE
    else:
        number = (float(value) if type(value) in (int, float) or (text and _NUMBER.fullmatch(value))
                  else _UNSURE)
    if number is _UNSURE or not (rule.low <= number <= rule.high):  # type: ignore[operator]  # numbers have bounds
        return _UNSURE
    return number


def _plainly_valid(values: dict[str, Any]) -> Options | None:
    """The Options of `values` when every value is plainly valid, without pydantic (the kiosk
    reads its settings before its first frame); None when the model must decide (and word why not)."""
    taken = defaults()
    for name, value in values.items():
        rule = RULES.get(name)
        plain = _UNSURE if rule is None else _plain(rule, value)
        if plain is _UNSURE or broken_rule(name, plain) is not None:
            return None
        taken[name] = plain
    return Options(**taken)


FLAGS = {"database_url": "--database", "language": "--language", "log_format": "--log-format"}


@dataclass(frozen=True)
class Loaded:
    """The validated options, where each came from (`default`, `file PATH`, `KIDB_X`, `--flag`),
    and the config file read, if any."""

    options: Options
    sources: dict[str, str]
    config_file: Path | None


def config_file_path(flag: Path | None = None) -> Path | None:
    """`--config FILE`, else `$KIDB_CONFIG`, else /etc/kidb/kidb.toml when it exists."""
    if flag is not None:
        return flag
    named = os.environ.get(CONFIG_ENV)
    if named:
        return Path(named)
    return DEFAULT_CONFIG_FILE if DEFAULT_CONFIG_FILE.exists() else None


def _read_config_file(path: Path) -> dict[str, Any]:
    import tomllib  # only with a config file: the kiosk often has none

    try:
        with path.open("rb") as handle:
            values = tomllib.load(handle)
    except OSError as error:
        raise SettingsError(f"config file {path}: {error.strerror or error}") from None
    except tomllib.TOMLDecodeError as error:
        raise SettingsError(f"config file {path}: not TOML ({error})") from None
    unknown = sorted(set(values) - set(RULES))
    if unknown:
        raise SettingsError(f"config file {path}: unknown setting {unknown[0]!r}; allowed: "
                            + ", ".join(RULES))
    return values


def _allowed(name: str) -> str:
    """The values `name` may take, in words."""
    if name == "database_url":
        return "sqlite:///PATH or postgresql+psycopg://USER@HOST/DATABASE"
    if name == "timezone":
        return "one of " + time_zones.allowed()
    if name == "smtp_url":
        return "smtp://[USER@]HOST[:PORT] (STARTTLS) or smtps://[USER@]HOST[:PORT] (TLS)"
    if name == "webhook_url":
        return "http(s)://HOST/PATH"
    rule = RULES[name]
    if rule.kind == "choice":
        return "one of " + ", ".join(rule.choices)
    if rule.longest is not None:
        return f"text of at most {rule.longest} characters"
    if rule.kind in ("whole", "number"):
        kind = "a whole number" if rule.kind == "whole" else "a number"
        return f"{kind} from {rule.low} to {rule.high}"
    if rule.kind == "flag":
        return "true or false (1 or 0)"
    return "a file path" if rule.kind == "path" else "text"


_PROBLEMS = {
    "int_parsing": "is not a whole number", "int_from_float": "is not a whole number",
    "float_parsing": "is not a number", "greater_than_equal": "is too small", "less_than_equal": "is too large",
    "literal_error": "is not a supported value", "bool_parsing": "is not true or false", "string_too_long": "is too long",
    "database_url": "is not a database URL", "smtp_url": "is not an SMTP URL",
    "webhook_url": "is not an HTTP URL", "timezone": "is not a time zone of Indonesia",
}


def _origin(name: str, flags: dict[str, Any], config_file: Path | None) -> str:
    if flags.get(name) is not None:
        return FLAGS.get(name, name)
    env_name = ENV_PREFIX + name.upper()
    if os.environ.get(env_name):
        return env_name
    return f"{config_file}: {name}"


def _one_line(error: ValidationError, flags: dict[str, Any], config_file: Path | None) -> str:
    first = error.errors()[0]
    name = str(first["loc"][0]) if first["loc"] else ""
    if name not in RULES:
        return f"setting {name!r}: {first['msg']}"
    shown = "(not shown: it may hold a password)" if name == "database_url" else repr(first["input"])[:60]
    problem = _PROBLEMS.get(first["type"], "is not valid")
    joint = " " if name == "database_url" else "="
    return f"{_origin(name, flags, config_file)}{joint}{shown} {problem}; allowed: {_allowed(name)}"


def _sources(flags: dict[str, Any], file_values: dict[str, Any], config_file: Path | None) -> dict[str, str]:
    sources = {}
    for name in RULES:
        if flags.get(name) is not None:
            sources[name] = FLAGS.get(name, name)
        elif os.environ.get(ENV_PREFIX + name.upper()):
            sources[name] = ENV_PREFIX + name.upper()
        elif name in file_values:
            sources[name] = f"file {config_file}"
        else:
            sources[name] = "default"
    return sources


def _environment_values() -> dict[str, str]:
    """`KIDB_<NAME>` variables of the options, named in any case; empty ones are ignored."""
    names = {ENV_PREFIX.lower() + name: name for name in RULES}
    return {names[key.lower()]: value for key, value in os.environ.items() if value and key.lower() in names}


def _checked(values: dict[str, Any], flags: dict[str, Any], config_file: Path | None) -> Options:
    """The Options of `values` as the pydantic model takes them, or SettingsError naming the first
    bad one (pydantic is imported only here: for a value that is not plainly valid)."""
    from pydantic import ValidationError

    from kidb_tui.options_model import OptionsModel

    try:
        model = OptionsModel(**values)
    except ValidationError as error:
        raise SettingsError(_one_line(error, flags, config_file)) from None
    return Options(**{name: getattr(model, name) for name in RULES})


def load_options(flags: dict[str, Any] | None = None, config_file: Path | None = None) -> Loaded:
    """Every setting from flags > environment > config file > defaults, validated; SettingsError
    names the first bad one. See `_publish` for what is then set in the environment."""
    flags = {name: value for name, value in (flags or {}).items() if value is not None}
    path = config_file_path(config_file)
    file_values = _read_config_file(path) if path is not None else {}
    values = {**file_values, **_environment_values(), **flags}
    options = _plainly_valid(values) or _checked(values, flags, path)
    if options.idle_warning_seconds >= options.idle_seconds:
        raise SettingsError(
            f"{_origin('idle_warning_seconds', flags, path)}={options.idle_warning_seconds} is too large; allowed: "
            f"less than idle_seconds ({options.idle_seconds})")
    if options.argon2_memory_kib < 8 * options.argon2_parallelism:
        raise SettingsError(
            f"{_origin('argon2_memory_kib', flags, path)}={options.argon2_memory_kib} is too small; allowed: "
            f"at least 8 per lane of argon2_parallelism ({8 * options.argon2_parallelism})")
    sources = _sources(flags, file_values, path)
    _publish(options, sources, config_file)
    return Loaded(options, sources, path)


def _publish(options: Options, sources: dict[str, str], config_file: Path | None) -> None:
    """Settings that other modules and child processes (sessions, the session host) read from
    the environment, set there when a flag or the config file chose them."""
    if config_file is not None:
        os.environ[CONFIG_ENV] = os.path.abspath(config_file)
    for name in ("data_dir", "log_format"):
        env_name = ENV_PREFIX + name.upper()
        if sources[name] != "default" and sources[name] != env_name:
            os.environ[env_name] = str(getattr(options, name))


def load_settings(database_url: str | None = None, *, loaded: Loaded | None = None) -> Settings:
    """The Settings of `loaded` (default: `load_options()`, the environment and config file);
    an explicit `database_url` (`--database`) wins over everything. Raises SettingsError or
    KeyFileError."""
    options = (loaded or load_options()).options
    return Settings(
        database_url=database_url or options.database_url or default_database_url(),
        pepper=load_pepper(named_file=options.pepper_file),
        audit_key=load_audit_key(named_file=options.audit_key_file),
        argon2=Argon2Params(
            memory_kib=options.argon2_memory_kib,
            time_cost=options.argon2_time_cost,
            parallelism=options.argon2_parallelism,
        ),
        language=options.language,
        lock_threshold=options.lock_threshold,
        lock_minutes=options.lock_minutes,
        terminal_failure_limit=options.terminal_failure_limit,
        terminal_window_minutes=options.terminal_window_minutes,
        failure_delay_base=options.failure_delay,
        supervisor_threshold=options.supervisor_threshold,
        idle_seconds=options.idle_seconds,
        idle_warning_seconds=options.idle_warning_seconds,
        session_limit_seconds=options.session_limit_seconds,
        audit_checkpoint_seconds=options.audit_checkpoint_seconds,
        audit_seal_seconds=options.audit_seal_seconds,
        terminal_id=options.terminal_id,
        branch=options.branch,
        timezone=options.timezone,
        smtp_url=options.smtp_url,
        smtp_password=SecretStr(_read_secret_file(options.smtp_password_file).decode("utf-8").strip()),
        mail_from=options.mail_from,
        mail_file=str(options.mail_file or ""),
        webhook_url=options.webhook_url,
        webhook_key=SecretBytes(_read_secret_file(options.webhook_key_file).strip()),
        notify_max_attempts=options.notify_max_attempts,
        notify_retry_seconds=options.notify_retry_seconds,
        memory_merge=options.memory_merge,
        host_spares=options.host_spares,
    )


def _read_secret_file(path: Path | None) -> bytes:
    """The content of a password or key file (empty without one); one readable by others, or
    unreadable, is refused like a key file (KeyFileError)."""
    if path is None:
        return b""
    mode = stat.S_IMODE(path.stat().st_mode) if path.exists() else 0
    if mode & 0o077:
        raise KeyFileError(f"{path}: readable by others (mode {mode:o}); chmod 600 it")
    try:
        return path.read_bytes()
    except OSError as error:
        raise KeyFileError(f"{path}: {error.strerror or error}") from None


def _backend_name(url: str) -> str:
    """The database backend a SQLAlchemy URL names ("postgresql" for "postgresql+psycopg://..."),
    "" when the text is no URL."""
    found = _URL_SCHEME.match(url)
    return found.group(1).split("+")[0] if found else ""
