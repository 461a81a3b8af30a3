"""Fuzz the form fields through the pilot: arbitrary Unicode, control characters, ANSI/OSC escape
sequences, Rich/Textual markup and very long strings. The app never crashes, nothing with a
control character is stored, and what is shown is shown literally."""

import asyncio

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import func, select

from kidb_tui.models import Claim, KioskAccount, Participant
from kidb_tui.screens.account.profile import ProfileScreen
from kidb_tui.services import auth
from kidb_tui.screens.claim.form import ClaimFormScreen
from kidb_tui.validation import has_forbidden_characters
from tests.conftest import SITI, settle
from tests.screens.test_claim_flow import fill_form, open_form

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
            await pilot.press("f5")
            await settle(pilot)
            assert app.is_running
            if isinstance(app.screen, ClaimFormScreen):
                shown = str(app.screen.query_one("#reason").value)
                assert shown == reason

    _run(drive())
    with demo_rt.read() as session:
        assert session.exec(select(func.count()).select_from(Claim).where(Claim.participant_id == _participant(demo_rt).id)).one() == 0


@SLOW
@given(address=TEXT, postal=TEXT, phone=TEXT, email=TEXT)
def test_profile_survives_anything_and_stores_no_control_characters(make_app, demo_rt, address, postal, phone, email):
    async def drive() -> None:
        app = make_app(signed_in=SITI)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            await pilot.press("4")
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, ProfileScreen)
            for name, value in (("address", address), ("postal_code", postal), ("phone", phone), ("email", email)):
                screen.query_one(f"#{name}").value = value
            await pilot.press("f5")
            await settle(pilot)
            assert app.is_running

    _run(drive())
    row = _participant(demo_rt)
    for value in (row.address, row.postal_code, row.phone, row.email):
        assert not has_forbidden_characters(value)


async def test_markup_in_an_address_is_shown_literally_and_does_not_run(make_app, demo_rt):
    app = make_app(signed_in=SITI)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("4")
        await settle(pilot)
        app.screen.query_one("#address").value = "Jl. [bold]Merdeka[/bold] [@click=app.quit]10[/]"
        await pilot.press("f5")
        await settle(pilot)
        assert app.is_running
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
            for key, fields, submit in (
                (None, ("nib", "secret"), "enter"),
                ("f3", ("nib", "nik", "birth_date", "secret", "secret_confirm"), "enter"),
                ("f4", ("nib", "reset_code", "secret", "secret_confirm"), "enter"),
            ):
                if key:
                    await pilot.press(key)
                    await pilot.pause()
                for name, value in zip(fields, values):
                    app.screen.query_one(f"#{name}").value = value
                app.screen.query_one(f"#{fields[-1]}").focus()
                await pilot.press(submit)
                await settle(pilot)
                assert app.is_running
                if key:
                    await pilot.press("escape")
                    await pilot.pause()

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
            await settle(pilot)
            await open_form(pilot)
            await fill_form(pilot)
            await pilot.press("f5")
            await settle(pilot)
            for name, value in zip(("address", "postal_code", "phone", "email"), values):
                app.screen.query_one(f"#{name}").value = value
            await pilot.press("f5")
            await settle(pilot)
            assert app.is_running
            app.back_to_menu()
            await pilot.pause()
            await pilot.press("7")
            await pilot.pause()
            for name, value in zip(("secret_current", "secret", "secret_confirm"), secrets):
                app.screen.query_one(f"#{name}").value = value
            app.screen.query_one("#secret_confirm").focus()
            await pilot.press("enter")
            await settle(pilot)
            assert app.is_running

    _run(drive())
    assert _accounts(demo_rt) == before
