"""The domain policy's answers, from rules in memory (no database)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import pytest

from server.services.moderation.domain_policy import (
    DomainRules,
    domain_candidates,
    normalize_domain,
)
from storage.domain_blocks import Snapshot

SINCE = datetime(2026, 1, 1, tzinfo=UTC)


def rules(blocks: Sequence[tuple[str, str, bool]] = (), allows: Sequence[str] = (), *,
          allowlist_mode: bool = False,
          suspended: Sequence[tuple[str, str]] = ()) -> DomainRules:
    snap = Snapshot([(d, s, r, SINCE) for d, s, r in blocks], list(allows), list(suspended))
    return DomainRules.from_snapshot(snap, own_domain="Here.example",
                                     allowlist_mode=allowlist_mode)


def test_candidates_walk_up_and_drop_the_port() -> None:
    assert domain_candidates("a.b.example.com:8443") == [
        "a.b.example.com:8443", "b.example.com:8443", "example.com:8443", "com:8443",
        "a.b.example.com", "b.example.com", "example.com", "com"]
    assert domain_candidates("Example.COM") == ["example.com", "com"]


@pytest.mark.parametrize(("typed", "domain"), [
    ("Example.COM.", "example.com"), ("https://example.com/about", "example.com"),
    (" spam.example ", "spam.example"), ("@user@bad.example", "bad.example"),
])
def test_normalize_domain(typed: str, domain: str) -> None:
    assert normalize_domain(typed) == domain


def test_blocks_cover_subdomains_and_the_most_specific_rule_wins() -> None:
    r = rules([("bad.example", "suspend", False), ("ok.bad.example", "silence", True),
               ("loud.example", "silence", False), ("pics.example", "noop", True)])
    assert r.suspended("bad.example") and r.suspended("x.y.bad.example:443")
    assert not r.suspended("ok.bad.example") and r.silenced("deep.ok.bad.example")
    assert r.reject_media("ok.bad.example") and r.reject_media("bad.example")
    assert r.silenced("loud.example") and not r.suspended("loud.example")
    assert not r.reject_media("loud.example")
    assert r.reject_media("pics.example") and not r.silenced("pics.example")
    assert r.allowed("pics.example") and r.allowed("good.example")
    assert not r.suspended("notbad.example")  # a suffix, not a parent domain
    assert r.allowed("here.example")


def test_allowlist_mode_refuses_everything_unlisted() -> None:
    r = rules([("friend.example", "silence", False)], ["friend.example", "pal.example"],
              allowlist_mode=True)
    assert r.allowed("pal.example") and r.allowed("media.pal.example:8080")
    assert r.allowed("friend.example") and r.silenced("friend.example")
    assert r.suspended("stranger.example") and r.reject_media("stranger.example")
    assert r.allowed("here.example")  # our own domain always
    assert not r.allowed("")
    off = rules([], ["pal.example"])
    assert off.allowed("stranger.example")


def test_suspended_actors_and_their_inboxes() -> None:
    r = rules([("bad.example", "suspend", False)],
              suspended=[("https://ok.example/users/troll",
                          "https://ok.example/users/troll/inbox")])
    assert r.actor_refused("https://ok.example/users/troll")
    assert not r.actor_refused("https://ok.example/users/nice")
    assert r.actor_refused("https://bad.example/users/anyone")
    assert r.inbox_refused("https://ok.example/users/troll/inbox")
    assert not r.inbox_refused("https://ok.example/inbox")
    assert r.inbox_refused("https://bad.example/inbox")
    assert r.url_allowed("https://ok.example/inbox") and not r.url_allowed("not a url")
