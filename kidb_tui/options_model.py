"""The pydantic model that checks the operator's options (kidb_tui/config.py's RULES) when a
value is not plainly valid, and whose errors word the refusal. Imported only then: the kiosk
reads plainly valid settings before its first frame without pydantic."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from kidb_tui.config import RULES, broken_rule

_WHY = {"smtp_url": "not an SMTP URL", "webhook_url": "not an HTTP URL",
        "timezone": "not a time zone of Indonesia", "database_url": "not a database URL"}


def _field(name: str) -> Any:
    rule = RULES[name]
    return Field(rule.default, ge=rule.low, le=rule.high, max_length=rule.longest)


class OptionsModel(BaseModel):
    """config.Options with pydantic's checks: each field's kind, bounds and length from RULES."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    database_url: str | None = _field("database_url")
    data_dir: Path | None = _field("data_dir")
    pepper_file: Path | None = _field("pepper_file")
    audit_key_file: Path | None = _field("audit_key_file")
    language: Literal["id", "en"] = _field("language")
    timezone: str = _field("timezone")
    log_format: Literal["kv", "json"] = _field("log_format")
    argon2_memory_kib: int = _field("argon2_memory_kib")
    argon2_time_cost: int = _field("argon2_time_cost")
    argon2_parallelism: int = _field("argon2_parallelism")
    lock_threshold: int = _field("lock_threshold")
    lock_minutes: int = _field("lock_minutes")
    terminal_failure_limit: int = _field("terminal_failure_limit")
    terminal_window_minutes: int = _field("terminal_window_minutes")
    failure_delay: float = _field("failure_delay")
    supervisor_threshold: int = _field("supervisor_threshold")
    idle_seconds: int = _field("idle_seconds")
    idle_warning_seconds: int = _field("idle_warning_seconds")
    session_limit_seconds: int = _field("session_limit_seconds")
    audit_checkpoint_seconds: int = _field("audit_checkpoint_seconds")
    audit_seal_seconds: float = _field("audit_seal_seconds")
    terminal_id: str = _field("terminal_id")
    branch: str = _field("branch")
    smtp_url: str = _field("smtp_url")
    smtp_password_file: Path | None = _field("smtp_password_file")
    mail_from: str = _field("mail_from")
    mail_file: Path | None = _field("mail_file")
    webhook_url: str = _field("webhook_url")
    webhook_key_file: Path | None = _field("webhook_key_file")
    notify_max_attempts: int = _field("notify_max_attempts")
    notify_retry_seconds: int = _field("notify_retry_seconds")
    memory_merge: bool = _field("memory_merge")
    host_spares: int = _field("host_spares")

    @field_validator("smtp_url", "webhook_url", "timezone", "database_url")
    @classmethod
    def _own_rule(cls, value: Any, info: Any) -> Any:
        broken = broken_rule(info.field_name, value)
        if broken is not None:
            raise PydanticCustomError(broken, _WHY[broken])
        return value
