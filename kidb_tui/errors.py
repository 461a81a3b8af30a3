"""Typed domain exceptions. Each carries a translation key, the field and the rule's parameters;
screens turn them into messages in the participant's language."""

from __future__ import annotations


class DomainError(Exception):
    """A refusal the participant can act on: `key` names the message, `params` fill it."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


class ValidationError(DomainError):
    """One field broke one rule; the message key is `rule.<rule>`."""

    def __init__(self, field: str, rule: str, **params: object) -> None:
        super().__init__(f"rule.{rule}", **params)
        self.field = field
        self.rule = rule


class FormErrors(DomainError):
    """Several fields failed at once; nothing was written."""

    def __init__(self, errors: list[ValidationError]) -> None:
        super().__init__("form.has_errors", count=len(errors))
        self.errors = errors

    def by_field(self) -> dict[str, ValidationError]:
        found: dict[str, ValidationError] = {}
        for error in self.errors:
            found.setdefault(error.field, error)
        return found


class AuthError(DomainError):
    """Login or re-authentication refused."""


class RequirementError(DomainError):
    """A claim requirement is not met at the moment of saving."""


class NotFound(DomainError):
    """The record asked for does not exist (or is not the participant's)."""


class SystemBusy(DomainError):
    """The database is busy, locked or unreachable: an expected condition, not a crash.
    Nothing was written; the participant keeps what they typed and tries again."""

    def __init__(self) -> None:
        super().__init__("system.busy")
