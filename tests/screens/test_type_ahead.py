"""Keys that arrive together (a fast typist, a paste, a lagging link) land where the person meant:
each key acts on the state the keys before it produced. The keys are queued all at once before
the app handles the first (`ui.burst`), then read back from the screen and the database."""

from sqlmodel import select

from kidb_tui.models import AuditEvent
from tests import ui
from tests.conftest import RINA, SITI

NIB_LABEL = "NIB (nomor peserta)"
SECRET_LABEL = "PIN / kata sandi"


async def test_nib_tab_pin_in_one_burst_puts_the_pin_in_its_masked_field(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.burst(pilot, *SITI.nib, "tab", *SITI.secret)
        assert ui.focused_label(app) == SECRET_LABEL
        assert ui.focused_value(app) == "•" * len(SITI.secret)
        assert ui.row_after(app, NIB_LABEL) == SITI.nib
        assert SITI.secret not in ui.text(app)


async def test_nib_tab_pin_enter_in_one_burst_signs_in(make_app, demo_rt):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.burst(pilot, *SITI.nib, "tab", *SITI.secret, "enter")
        assert ui.at(app, "menu.title")
        assert SITI.name in ui.title(app)
    with demo_rt.read() as session:
        actions = session.exec(select(AuditEvent.action).where(AuditEvent.subject == SITI.nib)).all()
    assert "auth.login" in actions
    assert "auth.login_failed" not in actions


async def test_keys_typed_ahead_of_the_menu_act_on_the_menu(make_app):
    """NIB, Enter, PIN, Enter and the menu key 3 in one burst: the 3 waits for the login to be
    checked and the menu to be shown, then opens the balance."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.burst(pilot, *SITI.nib, "enter", *SITI.secret, "enter", "3")
        assert ui.at(app, "balance.title")


async def test_nib_enter_nik_in_one_burst_during_activation_puts_the_nik_in_its_field(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.burst(pilot, "f3", *RINA.nib, "enter", *RINA.nik)
        assert ui.at(app, "activation.title")
        fields = [line.strip() for line in ui.lines(app)]
        assert any(line.endswith(RINA.nik) and RINA.nib not in line for line in fields), ui.text(app)
        assert not any(RINA.nib + RINA.nik[:1] in line for line in fields), ui.text(app)
        assert ui.focused_value(app) == RINA.nik


async def test_a_key_typed_ahead_waits_only_on_the_parts_of_the_screen_still_at_work(make_app, monkeypatch):
    """Before handing on each key the type-ahead asks every part of the screen still handling
    messages to say when it is done; the parts waiting idle are not asked (each question woke
    them, about twenty per key on the login screen)."""
    from textual import events
    from textual.message_pump import MessagePump

    asked = []
    post = MessagePump.post_message

    def counted(self, message):
        if isinstance(message, events.Callback) and getattr(message.callback, "__name__", "") == "arrived":
            asked.append(self)
        return post(self, message)

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.until(pilot, lambda: NIB_LABEL in ui.text(app))
        await pilot.pause()
        parts = len([app, app.screen, *app.screen.walk_children()])
        monkeypatch.setattr(MessagePump, "post_message", counted)
        await ui.burst(pilot, *SITI.nib)
        assert ui.row_after(app, NIB_LABEL) == SITI.nib
    assert len(asked) < len(SITI.nib) * parts / 4


async def _changes_of_a_burst(make_app, monkeypatch, names: list[str]) -> tuple[list[str], dict[str, str]]:
    """The values the login screen's fields announced (Input.Changed) while `names` arrived
    together; and what the screen shows then (the NIB, the focused field's label and content)."""
    from textual.message_pump import MessagePump
    from textual.widgets import Input

    changed: list[str] = []
    seen: dict[int, Input.Changed] = {}  # the messages kept, so that no id is reused
    post = MessagePump.post_message

    def counted(self, message):
        if isinstance(message, Input.Changed) and id(message) not in seen:  # once, not at each parent it bubbles to
            seen[id(message)] = message
            changed.append(message.value)
        return post(self, message)

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.until(pilot, lambda: NIB_LABEL in ui.text(app))
        await pilot.pause()
        monkeypatch.setattr(MessagePump, "post_message", counted)
        await ui.burst(pilot, *names)
        rows = {"nib": ui.row_after(app, NIB_LABEL), "focused": ui.focused_label(app), "value": ui.focused_value(app)}
    return changed, rows


async def test_the_login_screen_takes_keys_that_arrive_together_in_one_change(make_app, monkeypatch):
    """The NIB's keys, Enter and the PIN's keys in one burst: each field changes once, with all
    its characters (each key was a round of the screen's message loops and a frame of its own)."""
    changed, rows = await _changes_of_a_burst(make_app, monkeypatch, [*SITI.nib, "enter", *SITI.secret])
    assert changed == [SITI.nib, SITI.secret]
    assert rows == {"nib": SITI.nib, "focused": SECRET_LABEL, "value": "•" * len(SITI.secret)}


async def test_keys_beyond_a_fields_length_are_dropped_as_when_typed_one_by_one(make_app, monkeypatch):
    """25 digits into the NIB (at most 20 characters): the first 20 stay, as when typed one by
    one (a paste longer than the field would be refused whole). A guard, true before too."""
    digits = "1234567890" * 2 + "98765"
    changed, _rows = await _changes_of_a_burst(make_app, monkeypatch, list(digits))
    assert changed[-1] == digits[:20]  # (the field is narrower than 20: what it shows depends on its scroll)
    assert all(digits.startswith(value) for value in changed)
