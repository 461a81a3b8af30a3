"""Every translation key the code can ask for exists in both catalogues, and every placeholder
of its text is a parameter the code passes. Keys are found by reading kidb_tui/ (ast): `t("...")`
calls, TITLE_KEY, Binding descriptions, domain-error keys, ValidationError fields and rules,
requirement lines (`req.<key>.<status>`) and notification kinds (`notif.<kind>.title|body`).

Placeholders are checked where the parameters are visible at the call: `t(...)`, ValidationError
and requirement lines; a domain error's screen may add its own (activation.mismatch does)."""

import ast
import string
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

import kidb_tui
from kidb_tui import i18n
from kidb_tui.i18n import LANGUAGES

SOURCE = Path(kidb_tui.__file__).resolve().parent
NOT_DOMAIN_KEYS = {"ValidationError", "FormErrors"}


@dataclass(frozen=True)
class Use:
    key: str
    params: frozenset[str] | None
    where: str


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@cache
def modules() -> dict[str, ast.Module]:
    paths = sorted(p for p in SOURCE.rglob("*.py") if "migrations" not in p.parts)
    return {str(p.relative_to(SOURCE.parent)): ast.parse(p.read_text(encoding="utf-8")) for p in paths}


def name_of(node: ast.AST) -> str:
    return node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else ""


def literal(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def arg(call: ast.Call, index: int, keyword: str = "") -> ast.AST | None:
    if len(call.args) > index and not isinstance(call.args[index], ast.Starred):
        return call.args[index]
    return next((k.value for k in call.keywords if k.arg == keyword), None)


def passed(call: ast.Call) -> frozenset[str] | None:
    """The keyword parameters of a call, or None when some come from a `**mapping`."""
    if any(k.arg is None for k in call.keywords):
        return None
    return frozenset(k.arg for k in call.keywords)


def calls():
    for where, tree in modules().items():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                yield f"{where}:{node.lineno}", node


@cache
def domain_error_classes() -> set[str]:
    found = {"DomainError"}
    classes = [n for tree in modules().values() for n in ast.walk(tree) if isinstance(n, ast.ClassDef)]
    while True:
        more = {c.name for c in classes if any(name_of(b) in found for b in c.bases)} - found
        if not more:
            return found - NOT_DOMAIN_KEYS
        found |= more


@cache
def text_uses() -> list[Use]:
    domain = domain_error_classes()
    uses = []
    for where, call in calls():
        name = name_of(call.func)
        if name == "t" and (key := literal(arg(call, 0))):
            uses.append(Use(key, passed(call), where))
        elif name == "Binding" and (key := literal(arg(call, 2, "description"))):
            uses.append(Use(key, frozenset(), where))
        elif (name in domain and (key := literal(arg(call, 0)))) or (
                name in ("LoginResult", "OfficerLogin") and (key := literal(arg(call, 1, "error_key")))):
            uses.append(Use(key, None, where))
    for where, tree in modules().items():
        for node in ast.walk(tree):
            if (isinstance(node, ast.Assign) and any(name_of(t) == "TITLE_KEY" for t in node.targets)
                    and (key := literal(node.value))):
                uses.append(Use(key, frozenset(), f"{where}:{node.lineno}"))
    return uses


@cache
def validation_uses() -> list[Use]:
    uses = []
    for where, call in calls():
        if name_of(call.func) == "ValidationError":
            if field := literal(arg(call, 0)):
                uses.append(Use(f"field.{field}", frozenset(), where))
            if rule := literal(arg(call, 1)):
                uses.append(Use(f"rule.{rule}", passed(call), where))
        elif name_of(call.func) in ("clean_text", "a_date") and (field := literal(arg(call, 1, "field"))):
            uses.append(Use(f"field.{field}", frozenset(), where))
        elif name_of(call.func) == "ValueError" and where.startswith("kidb_tui/money.py"):
            uses.append(Use(f"rule.{literal(arg(call, 0))}", frozenset(), where))
    return uses


@cache
def requirement_uses() -> list[Use]:
    """Each `add(key, ok, fallback, **params)` line can be met, or the fallback (unmet by default)."""
    uses = []
    for where, call in calls():
        if not where.startswith("kidb_tui/services/requirements.py") or name_of(call.func) != "add":
            continue
        key, ok = literal(arg(call, 0)), arg(call, 1)
        params = {k.arg for k in call.keywords if k.arg}
        params |= {literal(d) for k in call.keywords if k.arg is None for d in ast.walk(k.value)
                   if isinstance(d, ast.Constant) and isinstance(d.value, str)}
        statuses = []
        if not (isinstance(ok, ast.Constant) and ok.value is False):
            statuses.append("met")
        if not (isinstance(ok, ast.Constant) and ok.value is True):
            statuses.append(literal(arg(call, 2)) or _constant_named(call, 2) or "unmet")
        uses += [Use(f"req.{key}.{status}", frozenset(params), where) for status in statuses]
    return uses


def _constant_named(call: ast.Call, index: int) -> str | None:
    """`IN_FLOW` and friends: module constants of requirements.py."""
    node = arg(call, index)
    if not isinstance(node, ast.Name):
        return None
    tree = modules()["kidb_tui/services/requirements.py"]
    for statement in tree.body:
        if isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Tuple):
            target = statement.targets[0]
            names = [name_of(t) for t in target.elts] if isinstance(target, ast.Tuple) else []
            if node.id in names:
                return literal(statement.value.elts[names.index(node.id)])
    return None


@cache
def notification_kinds() -> dict[str, str]:
    """kind -> where. A kind passed as a variable is traced to its assignment or to the callers."""
    kinds = {}
    for where, tree in modules().items():
        functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]
        for function in functions:
            for call in [n for n in ast.walk(function) if isinstance(n, ast.Call)]:
                if name_of(call.func) not in ("notify", "notify_participant") or len(call.args) < 4:
                    continue
                kind = call.args[3]
                found = [literal(kind)] if literal(kind) else []
                if isinstance(kind, ast.Name):
                    found += [literal(c) for a in ast.walk(function) if isinstance(a, ast.Assign)
                              and any(name_of(t) == kind.id for t in a.targets)
                              for c in ast.walk(a.value) if literal(c)]
                    parameters = [a.arg for a in function.args.args]
                    if kind.id in parameters:
                        position = parameters.index(kind.id)
                        found += [literal(c.args[position]) for c in ast.walk(tree) if isinstance(c, ast.Call)
                                  and name_of(c.func) == function.name and len(c.args) > position
                                  and literal(c.args[position])]
                kinds.update({k: f"{where}:{call.lineno}" for k in found})
    return kinds


def missing(uses: list[Use], language: str) -> list[str]:
    catalogue = i18n.catalogue(language)
    return sorted({f"{use.key}  ({use.where})" for use in uses if use.key not in catalogue})


def unfilled(uses: list[Use], language: str) -> list[str]:
    catalogue = i18n.catalogue(language)
    return sorted({
        f"{use.key} needs {sorted(placeholders(catalogue[use.key]) - use.params)}  ({use.where})"
        for use in uses
        if use.params is not None and use.key in catalogue and placeholders(catalogue[use.key]) - use.params
    })


def test_the_scanner_finds_what_it_looks_for():
    keys = {use.key for use in text_uses() + validation_uses() + requirement_uses()}
    assert {"login.title", "key.language", "auth.reauth_failed", "auth.failed", "field.amount",
            "rule.amount_max", "rule.amount_whole", "req.contact_recent.in_flow", "req.card_active.unmet"} <= keys
    assert {"claim_received", "contact_changed", "account_activated", "claim_rejected"} <= set(notification_kinds())


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_literal_key_exists(language):
    assert missing(text_uses(), language) == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_validation_field_and_rule_has_a_text(language):
    assert missing(validation_uses(), language) == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_requirement_line_has_a_text(language):
    assert missing(requirement_uses(), language) == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_notification_kind_has_a_title_and_body(language):
    catalogue = i18n.catalogue(language)
    absent = sorted(f"notif.{kind}.{part}  ({where})" for kind, where in notification_kinds().items()
                    for part in ("title", "body") if f"notif.{kind}.{part}" not in catalogue)
    assert absent == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_placeholder_is_passed_by_the_code(language):
    assert unfilled(text_uses() + validation_uses() + requirement_uses(), language) == []
