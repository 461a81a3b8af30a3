"""Every back-office screen at 80x24: login, queue (all and filtered), detail, each action form,
counter help and the reset code."""

from types import SimpleNamespace

import pytest

from kidb_tui.services import reset_codes
from tests import ui
from tests.backoffice.conftest import ANI, BAMBANG, advance
from tests.conftest import SITI, settle

SIZE = (80, 24)


def test_login(snap_compare, make_bo):
    assert snap_compare(make_bo(), terminal_size=SIZE)


def test_login_failed(snap_compare, make_bo):
    async def wrong_password(pilot):
        await pilot.press(*"ani.petugas", "enter", *"salah-sekali-12", "enter")
        await settle(pilot)

    assert snap_compare(make_bo(), run_before=wrong_password, terminal_size=SIZE)


def test_queue(snap_compare, make_bo):
    assert snap_compare(make_bo(signed_in=ANI), terminal_size=SIZE)


def test_queue_filtered_rejected(snap_compare, make_bo):
    assert snap_compare(make_bo(signed_in=ANI), press=["6"], terminal_size=SIZE)


def test_queue_english(snap_compare, make_bo):
    assert snap_compare(make_bo(signed_in=ANI), press=["f2"], terminal_size=SIZE)


def test_detail(snap_compare, make_bo):
    assert snap_compare(make_bo(signed_in=ANI), press=["enter"], terminal_size=SIZE)


def test_detail_rejected_claim(snap_compare, make_bo):
    assert snap_compare(make_bo(signed_in=ANI), press=["6", "enter"], terminal_size=SIZE)


def test_assess_form(snap_compare, make_bo):
    assert snap_compare(make_bo(signed_in=ANI), press=["enter", "f3"], terminal_size=SIZE)


def test_assess_form_errors(snap_compare, make_bo):
    assert snap_compare(
        make_bo(signed_in=ANI), press=["enter", "f3", "ctrl+u", *"5.000.000", "f10"], terminal_size=SIZE,
    )


def test_approve_form_above_threshold(snap_compare, make_bo, demo_rt):
    demo_rt.settings = demo_rt.settings.with_(supervisor_threshold=1_000_000)
    advance(demo_rt, "penetapan")
    assert snap_compare(make_bo(signed_in=BAMBANG), press=["enter", "f4"], terminal_size=SIZE)


def test_payment_form(snap_compare, make_bo, demo_rt):
    advance(demo_rt, "persetujuan")
    assert snap_compare(make_bo(signed_in=ANI), press=["enter", "f5"], terminal_size=SIZE)


def test_close_form(snap_compare, make_bo, demo_rt):
    advance(demo_rt, "pembayaran")
    assert snap_compare(make_bo(signed_in=BAMBANG), press=["enter", "f6"], terminal_size=SIZE)


def test_reject_form(snap_compare, make_bo):
    assert snap_compare(make_bo(signed_in=ANI), press=["enter", "f8"], terminal_size=SIZE)


def test_detail_closed_claim(snap_compare, make_bo, demo_rt):
    advance(demo_rt, "selesai")
    assert snap_compare(make_bo(signed_in=ANI), press=["enter", "end"], terminal_size=SIZE)


def test_counter(snap_compare, make_bo):
    assert snap_compare(make_bo(signed_in=ANI), press=["f5"], terminal_size=SIZE)


@pytest.fixture
def fixed_code(monkeypatch):
    letters = iter("K7PQ2MX9")
    monkeypatch.setattr(reset_codes, "secrets", SimpleNamespace(choice=lambda _alphabet: next(letters)))


def test_reset_code_shown(snap_compare, make_bo, fixed_code):
    async def issue(pilot):
        await pilot.press("f5", *SITI.nib)
        await ui.focus_field(pilot, ui.t("field.ktp_seen"))
        await pilot.press("space", "f4")
        await settle(pilot)

    assert snap_compare(make_bo(signed_in=ANI), run_before=issue, terminal_size=SIZE)


def test_help_on_the_detail(snap_compare, make_bo):
    assert snap_compare(make_bo(signed_in=ANI), press=["enter", "f1"], terminal_size=SIZE)


def test_help_on_the_login_english(snap_compare, make_bo):
    assert snap_compare(make_bo(language="en"), press=["f1"], terminal_size=SIZE)
