"""The instance and discovery through the client API: v1 and v2 instance from the real
configuration and counts (and Dreamfeed's extension), the version string clients parse, rules,
peers, trends, preferences, and the empty lists of what Dreamfeed has none of."""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import ClientSession
from mastodon import Mastodon

from server import __version__, appkeys
from server.services.statuses import favourites, posts
from storage.models import Account, DomainBlock
from tests.api.harness import Api, open_api

RULES = ["Label what you did not generate here.", "No harassment."]


@pytest.fixture
async def configured(database_url: str, tmp_path: Path) -> AsyncIterator[Api]:
    """An instance with everything an admin can say about it set."""
    async with open_api(database_url, tmp_path, instance={
            "description": "Pictures of dreams.\n\nMade here.",
            "contact_email": "team@dreams.example", "rules": RULES,
            "registrations": "approval", "default_language": "pt-BR"},
            generator={"daily_limit": 10}) as opened:
        yield opened
        assert not opened.client_failures, opened.client_failures


async def _remote(api: Api, username: str, domain: str) -> None:
    async with api.instance.app[appkeys.DATABASE].writer.begin() as session:
        session.add(Account(username=username, domain=domain,
                            uri=f"https://{domain}/users/{username}",
                            inbox_url=f"https://{domain}/users/{username}/inbox"))


async def test_v2_instance(configured: Api) -> None:
    api = configured
    admin = await api.user("root", admin=True)
    del admin
    answer = await api.get("/api/v2/instance")
    assert answer.status == 200  # and valid for Mastodon's schema
    body = answer.body
    domain = api.instance.domain
    assert body["domain"] == domain and body["title"] == "Instance api"
    assert body["version"] == f"4.3.0+dreamfeed.{__version__}"
    assert body["api_versions"] == {"mastodon": 2, "dreamfeed": 1}
    assert body["description"] == "Pictures of dreams.\n\nMade here."
    assert body["contact"]["email"] == "team@dreams.example"
    assert body["contact"]["account"]["username"] == "root"
    assert body["contact"]["account"]["avatar"] == f"{api.base}/static/avatar.png"
    assert [rule["text"] for rule in body["rules"]] == RULES
    assert body["registrations"]["enabled"] is True
    assert body["registrations"]["approval_required"] is True
    assert body["usage"]["users"]["active_month"] == 1
    assert body["languages"] == ["pt-BR"]  # [instance] default_language

    configuration = body["configuration"]
    assert configuration["urls"]["streaming"] == f"ws://{domain}"
    assert configuration["statuses"] == {"max_characters": posts.MAX_CAPTION,
                                         "max_media_attachments": 4,
                                         "characters_reserved_per_url": 23}
    media = configuration["media_attachments"]
    assert media["supported_mime_types"] == ["image/png", "image/jpeg", "image/webp",
                                             "image/gif"]
    assert media["image_size_limit"] == api.instance.config.media.max_size
    assert media["image_matrix_limit"] == api.instance.config.media.max_pixels
    assert media["video_size_limit"] == 0
    assert configuration["polls"]["max_options"] == 0
    assert configuration["accounts"]["max_pinned_statuses"] == 5
    assert configuration["translation"] == {"enabled": False}
    assert configuration["vapid"]["public_key"]
    dreamfeed = configuration["dreamfeed"]
    assert dreamfeed["models"] == [api.instance.services.backend.model]
    assert dreamfeed["styles"] and "1024x1024" in dreamfeed["sizes"]
    assert dreamfeed["max_images"] == 4 and dreamfeed["daily_limit"] == 10
    assert dreamfeed["remaining_today"] is None  # nobody asked
    assert answer.headers["Cache-Control"] == "public, max-age=180"

    # The thumbnail and icons are served.
    async with ClientSession() as http:
        for url in [body["thumbnail"]["url"], *(icon["src"] for icon in body["icon"])]:
            async with http.get(url) as served:
                assert served.status == 200 and served.content_type == "image/png", url

    # With her token, alice sees what she has left of today's images.
    token = await api.user("alice", scopes="read")
    await api.instance.make_images(api.users["alice"].account_id, "a lighthouse", n=3)
    mine = await api.get("/api/v2/instance", token=token)
    assert mine.body["configuration"]["dreamfeed"]["remaining_today"] == 7
    assert mine.headers["Cache-Control"] == "private, no-store"


async def test_v1_instance_counts_and_contact(configured: Api) -> None:
    api = configured
    await api.user("root", admin=True)
    await api.user("alice")
    media = await api.instance.make_images(api.users["alice"].account_id, "a fox")
    await posts.create_status(api.instance.services, "alice",
                              posts.NewStatus(media_ids=media, caption="A fox #foxes"))
    await _remote(api, "carol", "remote.example")
    await _remote(api, "dave", "remote.example")
    await _remote(api, "erin", "other.example")

    body = (await api.get("/api/v1/instance")).body
    assert body["uri"] == api.instance.domain
    assert body["version"] == f"4.3.0+dreamfeed.{__version__}"
    assert body["urls"] == {"streaming_api": f"ws://{api.instance.domain}"}
    assert body["stats"] == {"user_count": 2, "status_count": 1, "domain_count": 2}
    assert body["email"] == "team@dreams.example"
    assert body["short_description"] == body["description"] == "Pictures of dreams.\n\nMade here."
    assert body["contact_account"]["username"] == "root"
    assert body["registrations"] is True and body["approval_required"] is True
    assert body["invites_enabled"] is False
    assert body["thumbnail"] == f"{api.base}/static/thumbnail.png"
    assert body["configuration"]["statuses"]["max_media_attachments"] == 4

    rules = (await api.get("/api/v1/instance/rules")).body
    assert rules == [{"id": "1", "text": RULES[0], "hint": ""},
                     {"id": "2", "text": RULES[1], "hint": ""}]
    described = (await api.get("/api/v1/instance/extended_description")).body
    assert described["content"] == "<p>Pictures of dreams.</p><p>Made here.</p>"
    assert described["updated_at"].endswith("Z")
    # The About page says the same.
    async with ClientSession() as http, http.get(f"{api.base}/about") as resp:
        about = await resp.text()
    assert "Pictures of dreams." in about and "team@dreams.example" in about
    assert all(rule in about for rule in RULES)


async def test_mastodon_py_reads_the_version(configured: Api) -> None:
    """Mastodon.py keeps what precedes a space, then drops a '+' suffix that is no version:
    4.3.0, with the API version, and no warning about a missing one."""
    api = configured

    def connect() -> Mastodon:
        return Mastodon(api_base_url=api.base, version_check_mode="created")

    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        client = await asyncio.to_thread(connect)
        assert await asyncio.to_thread(client.verify_minimum_version, "4.3.0", True)
    assert [str(w.message) for w in seen if "version" in str(w.message).lower()] == []
    assert (client.mastodon_major, client.mastodon_minor, client.mastodon_patch) == (4, 3, 0)
    assert client.mastodon_api_version == 2
    assert not await asyncio.to_thread(client.verify_minimum_version, "4.4.0", True)
    # Through the checked client: the entities parse.
    checked = api.mastodon()
    v2 = await asyncio.to_thread(checked.instance_v2)
    assert v2.version.startswith("4.3.0+dreamfeed.")
    v1 = await asyncio.to_thread(checked.instance_v1)
    assert v1.uri == api.instance.domain
    assert [rule.text for rule in await asyncio.to_thread(checked.instance_rules)] == RULES


async def test_defaults_without_configuration(api: Api) -> None:
    """Nothing configured: no description, no rules, no admin: empty answers. The contact
    email is "" then, as Mastodon answers it (the schema check allows "" for an email, as
    tests/api/openapi_check.py says why)."""
    v2 = await api.get("/api/v2/instance")
    assert v2.body["contact"]["email"] == ""
    assert (await api.get("/api/v1/instance/rules")).body == []
    assert (await api.get("/api/v1/instance/extended_description")).body["content"] == ""


@pytest.mark.parametrize(("mode", "invites"), [("invite", True), ("closed", False)])
async def test_registrations_shut(mode: str, invites: bool, database_url: str,
                                  tmp_path: Path) -> None:
    async with open_api(database_url, tmp_path, instance={
            "registrations": mode, "contact_email": "a@b.example"}) as api:
        v2 = (await api.get("/api/v2/instance")).body["registrations"]
        assert (v2["enabled"], v2["approval_required"]) == (False, False)
        assert (v2["message"] is not None) == invites  # how to join: by invite
        v1 = (await api.get("/api/v1/instance")).body
        assert (v1["registrations"], v1["invites_enabled"]) == (False, invites)


async def test_peers_leave_out_blocked_domains(api: Api) -> None:
    for username, domain in (("carol", "remote.example"), ("dave", "other.example"),
                             ("erin", "bad.example"), ("frank", "sub.bad.example")):
        await _remote(api, username, domain)
    async with api.instance.app[appkeys.DATABASE].writer.begin() as session:
        session.add(DomainBlock(domain="bad.example", severity="silence"))
    api.instance.services.domains.invalidate()
    assert (await api.get("/api/v1/instance/peers")).body == ["other.example",
                                                              "remote.example"]


async def test_trends(api: Api) -> None:
    token = await api.user("alice")
    bob = await api.user("bob")
    services = api.instance.services
    made = []
    for caption in ("Sea #Waves #blue", "Sky #blue", "Moss #green"):
        media = await api.instance.make_images(api.users["alice"].account_id, caption)
        made.append(await posts.create_status(services, "alice",
                                              posts.NewStatus(media_ids=media,
                                                              caption=caption)))
    bob_media = await api.instance.make_images(api.users["bob"].account_id, "a wave")
    await posts.create_status(services, "bob", posts.NewStatus(media_ids=bob_media,
                                                               caption="Wave #waves"))
    await favourites.favourite(services, "bob", str(made[1].id))

    tags = (await api.get("/api/v1/trends/tags")).body
    # Used by the most people first; the AI label every post carries is no trend.
    assert [tag["name"] for tag in tags] == ["waves", "blue", "green"]
    today = tags[0]["history"][0]
    assert (today["uses"], today["accounts"]) == ("2", "2") and len(tags[0]["history"]) == 7
    assert tags[0]["url"] == f"{api.base}/tags/waves"
    paged = await api.get("/api/v1/trends/tags", params={"limit": 1, "offset": 1})
    assert [tag["name"] for tag in paged.body] == ["blue"]
    assert "offset=2" in paged.headers["Link"] and 'rel="prev"' in paged.headers["Link"]
    assert (await api.get("/api/v1/trends", params={"limit": 1})).body[0]["name"] == "waves"

    # Posts: what Discover ranks (liked, boosted or remixed this week).
    trending = (await api.get("/api/v1/trends/statuses", token=token)).body
    assert [s["id"] for s in trending] == [str(made[1].id)]
    assert trending[0]["favourites_count"] == 1
    assert (await api.get("/api/v1/trends/statuses")).status == 200
    assert (await api.get("/api/v1/trends/links")).body == []
    del bob


async def test_what_dreamfeed_has_none_of_and_preferences(api: Api) -> None:
    token = await api.user("alice", scopes="read")
    assert (await api.get("/api/v1/custom_emojis")).body == []
    assert (await api.get("/api/v1/announcements", token=token)).body == []
    assert (await api.get("/api/v1/announcements")).status == 401
    assert (await api.get("/api/v1/followed_tags", token=token)).body == []
    prefs = await api.get("/api/v1/preferences", token=token)
    assert prefs.body == {"posting:default:visibility": "public",
                          "posting:default:sensitive": False,
                          "posting:default:language": None,
                          "reading:expand:media": "default",
                          "reading:expand:spoilers": False}
    elsewhere = await api.user("alice", scopes="read:statuses")
    assert (await api.get("/api/v1/preferences", token=elsewhere)).status == 403
    client = api.mastodon(token)
    assert (await asyncio.to_thread(client.preferences))["posting:default:visibility"] \
        == "public"
    assert await asyncio.to_thread(client.custom_emojis) == []
