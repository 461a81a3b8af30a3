"""The notification inbox: newest first, unread count, opening marks read, and only one's own
notifications can be opened (kidb_tui/services/notifications.py)."""

import pytest

from kidb_tui.errors import NotFound
from kidb_tui.models import Notification
from kidb_tui.services import notifications
from kidb_tui.services.notifications import inbox, open_notification, unread_count
from tests.conftest import BUDI, FROZEN_AT, SITI
from tests.services.helpers import all_rows, participant_row


def read_at(rt, notification_id: int):
    [row] = all_rows(rt, Notification, Notification.id == notification_id)
    return row.read_at.replace(tzinfo=None)


@pytest.fixture
def siti_id(demo_rt) -> int:
    """Siti with three notifications one hour apart, after the one from her activation."""
    participant_id = participant_row(demo_rt, SITI).id
    for kind in ("contact_changed", "claim_received", "secret_changed"):
        demo_rt.clock.advance(hours=1)
        with demo_rt.write() as session:
            notifications.notify(session, demo_rt, participant_id, kind, n=kind)
    return participant_id


def test_inbox_is_newest_first(demo_rt, siti_id):
    views = inbox(demo_rt, siti_id)
    assert [v.kind for v in views] == ["secret_changed", "claim_received", "contact_changed", "account_activated"]
    assert [v.created_at for v in views] == sorted((v.created_at for v in views), reverse=True)
    assert views[0].params == {"n": "secret_changed"}
    assert not any(v.read for v in views)


def test_same_moment_falls_back_to_insertion_order(demo_rt, siti_id):
    with demo_rt.write() as session:
        notifications.notify(session, demo_rt, siti_id, "first")
        notifications.notify(session, demo_rt, siti_id, "second")
    assert [v.kind for v in inbox(demo_rt, siti_id)][:2] == ["second", "first"]


def test_open_marks_read_once(demo_rt, siti_id, clock):
    newest = inbox(demo_rt, siti_id)[0]
    assert unread_count(demo_rt, siti_id) == 4
    opened = open_notification(demo_rt, siti_id, newest.id)
    assert opened.read and opened.id == newest.id
    assert unread_count(demo_rt, siti_id) == 3
    assert [v.read for v in inbox(demo_rt, siti_id)] == [True, False, False, False]
    first_read = read_at(demo_rt, newest.id)
    assert first_read == clock.now().replace(tzinfo=None)
    clock.advance(hours=1)
    assert open_notification(demo_rt, siti_id, newest.id).read
    assert read_at(demo_rt, newest.id) == first_read
    assert unread_count(demo_rt, siti_id) == 3


def test_another_participants_notification_is_not_found(demo_rt, siti_id):
    budi_id = participant_row(demo_rt, BUDI).id
    budi_unread = unread_count(demo_rt, budi_id)
    budi_first = inbox(demo_rt, budi_id)[0]
    with pytest.raises(NotFound) as caught:
        open_notification(demo_rt, siti_id, budi_first.id)
    assert caught.value.key == "notif.not_found"
    assert unread_count(demo_rt, budi_id) == budi_unread
    with pytest.raises(NotFound):
        open_notification(demo_rt, siti_id, 99_999)


def test_budi_has_unread_notifications_from_the_demo(demo_rt):
    budi_id = participant_row(demo_rt, BUDI).id
    assert unread_count(demo_rt, budi_id) == len(inbox(demo_rt, budi_id)) > 0
    assert all(v.created_at <= FROZEN_AT for v in inbox(demo_rt, budi_id))
