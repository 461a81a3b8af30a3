"""Fuzz the form fields through the pilot: arbitrary Unicode, control characters, ANSI/OSC escape
sequences, Rich/Textual markup and very long strings. The app never crashes, nothing with a
control character is stored, and what is shown is shown literally."""

import asyncio

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import func, select

from kidb_tui.models import Claim, KioskAccount, Participant
from kidb_tui.services import auth
from kidb_tui.validation import has_forbidden_characters
from tests import ui
from tests.conftest import SITI, settle
from tests.screens.claim_steps import LABEL, fill_form, open_form

NASTY = st.sampled_from([
    "[bold]x[/bold]", "[@click=app.quit]quit[/]", "\x1b[2J\x1b[H", "\x1b]0;owned\x07", "\x1b]52;c;ZXZpbA==\x07",
    "\x00", "\x7f", "\u0085", "\u202etxt", "\u2066x\u2069", "\u200b", "\ufeff", "é", "名前", "🙂", "%s%n{0}",
    "Robert'); DROP TABLE claim;--", "\r\n", "\t",
])
TEXT = st.one_of(
    st.lists(st.one_of(NASTY, st.text(max_size=12)), max_size=6).map("".join),
    st.text(min_size=300, max_size=2000),
)
SLOW = settings(
    max_examples=12, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _participant(rt) -> Participant:
    with rt.read() as session:
        return session.exec(select(Participant).where(Participant.nib == SITI.nib)).one()


def _run(coroutine) -> None:
    asyncio.run(coroutine)


@SLOW
@given(amount=TEXT, account=TEXT, holder=TEXT, reason=TEXT)
def test_claim_form_survives_anything(make_app, demo_rt, amount, account, holder, reason):
    async def drive() -> None:
        app = make_app(signed_in=SITI)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            await open_form(pilot)
            await fill_form(pilot, amount=amount, account_number=account, account_holder=holder, reason=reason)
            await ui.keys(pilot, "f5")
            assert app.is_running
            if ui.at(app, "claim.form_title"):
                await ui.focus_field(pilot, LABEL["reason"])
                assert app.focused.text.splitlines() == reason.splitlines(), "kept, its line breaks made one kind"

    _run(drive())
    with demo_rt.read() as session:
        owned = select(func.count()).select_from(Claim).where(Claim.participant_id == _participant(demo_rt).id)
        assert session.exec(owned).one() == 0


@SLOW
@given(address=TEXT, postal=TEXT, phone=TEXT, email=TEXT)
def test_profile_survives_anything_and_stores_no_control_characters(make_app, demo_rt, address, postal, phone, email):
    async def drive() -> None:
        app = make_app(signed_in=SITI)
        async with app.run_test(size=(80, 24)) as pilot:
            await ui.keys(pilot, "4")
            assert ui.at(app, "profile.title")
            for name, value in (("address", address), ("postal_code", postal), ("phone", phone), ("email", email)):
                await ui.put(pilot, LABEL[name], value)
            await ui.keys(pilot, "f5")
            assert app.is_running

    _run(drive())
    row = _participant(demo_rt)
    for value in (row.address, row.postal_code, row.phone, row.email):
        assert not has_forbidden_characters(value)


async def test_markup_in_an_address_is_shown_literally_and_does_not_run(make_app, demo_rt):
    app = make_app(signed_in=SITI)
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.keys(pilot, "4")
        await ui.put(pilot, LABEL["address"], "Jl. [bold]Merdeka[/bold] [@click=app.quit]10[/]")
        await ui.keys(pilot, "f5")
        assert app.is_running
        assert ui.row_after(app, LABEL["address"]).startswith("Jl. [bold]Merdeka[/bold]")
    assert _participant(demo_rt).address == "Jl. [bold]Merdeka[/bold] [@click=app.quit]10[/]"


def _accounts(rt) -> list[str]:
    with rt.read() as session:
        return sorted(session.exec(select(KioskAccount.secret_hash)).all())


@SLOW
@given(values=st.lists(TEXT, min_size=7, max_size=7))
def test_login_activation_and_reset_survive_anything(make_app, demo_rt, values):
    before = _accounts(demo_rt)

    async def drive() -> None:
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            for key, fields in (
                (None, ("field.nib", "field.secret")),
                ("f3", ("field.nib", "field.nik", "field.birth_date", "field.secret", "field.secret_confirm")),
                ("f4", ("field.nib", "field.reset_code", "reset.new_secret", "reset.new_secret_confirm")),
            ):
                if key:
                    await ui.keys(pilot, key)
                for label, value in zip(fields, values, strict=False):
                    await ui.put(pilot, ui.t(label), value)
                await ui.keys(pilot, "enter")
                assert app.is_running
                if key:
                    await ui.keys(pilot, "escape")

    _run(drive())
    assert _accounts(demo_rt) == before


@SLOW
@given(values=st.lists(TEXT, min_size=4, max_size=4), secrets=st.lists(TEXT, min_size=3, max_size=3))
def test_personal_data_step_and_change_pin_survive_anything(make_app, demo_rt, values, secrets):
    before = _accounts(demo_rt)
    auth.unlock(demo_rt, SITI.nib, "test")

    async def drive() -> None:
        app = make_app(signed_in=SITI)
        async with app.run_test(size=(80, 24)) as pilot:
            await open_form(pilot)
            await fill_form(pilot)
            await ui.keys(pilot, "f5")
            for name, value in zip(("address", "postal_code", "phone", "email"), values, strict=False):
                await ui.put(pilot, LABEL[name], value)
            await ui.keys(pilot, "f5")
            assert app.is_running
            for _ in range(6):
                if ui.at(app, "menu.title"):
                    break
                await ui.keys(pilot, "y" if ui.shows(app, "Batalkan pengisian?") else "escape")
            await ui.keys(pilot, "7")
            assert ui.at(app, "change.title")
            labels = ("field.secret_current", "change.new_secret", "change.new_secret_confirm")
            for label, value in zip(labels, secrets, strict=False):
                await ui.put(pilot, ui.t(label), value)
            await ui.keys(pilot, "enter")
            assert app.is_running

    _run(drive())
    assert _accounts(demo_rt) == before
