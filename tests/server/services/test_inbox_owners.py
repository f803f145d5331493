"""The personal inboxes' owners kept in memory: an account changed in any process (deleted,
suspended: "dreamfeed.account" on the bus) is asked of the database again at once; a bus
that reconnected drops everything (Hub.resync)."""

from __future__ import annotations

from server.services.context import InboxOwner, InboxOwners
from server.services.streaming.events import StreamEvent
from server.services.streaming.hub import Hub


def test_an_account_event_forgets_that_owner_only() -> None:
    owners = InboxOwners()
    owners.put("Alice", InboxOwner(account_id=1, deleted=False))
    owners.put("bob", InboxOwner(account_id=2, deleted=False))
    owners.put("ghost", None)
    owners.on_event(StreamEvent("dreamfeed.keys", account_id=1))  # not about owners
    assert owners.get("alice") == (True, InboxOwner(1, False))
    owners.on_event(StreamEvent("dreamfeed.account", account_id=1))
    assert owners.get("alice") == (False, None)
    assert owners.get("bob") == (True, InboxOwner(2, False))
    assert owners.get("ghost") == (True, None)


def test_a_resync_reaches_every_resync_listener() -> None:
    hub, owners = Hub(), InboxOwners()
    owners.put("alice", InboxOwner(account_id=1, deleted=False))
    hub.listen_resync(owners.clear)
    hub.resync()
    assert owners.get("alice") == (False, None)
