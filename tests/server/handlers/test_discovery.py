"""WebFinger, host-meta, NodeInfo and actor documents, field by field against INTEROP.md."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from PIL import Image
from sqlalchemy import update

from server import appkeys
from storage.models import Account, Status
from storage.types import utcnow
from tests.server.handlers.conftest import Client, add_user

AP = "application/activity+json"
LD = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
BASE = "http://dreamfeed.test"


async def test_webfinger_acct(client: Client) -> None:
    await add_user(client, "alice")
    resp = await client.get("/.well-known/webfinger",
                            params={"resource": "acct:alice@dreamfeed.test"})
    assert resp.status == 200
    assert resp.headers["Content-Type"].startswith("application/jrd+json")
    assert resp.headers["Access-Control-Allow-Origin"] == "*"
    doc = await resp.json(content_type=None)
    assert doc["subject"] == "acct:alice@dreamfeed.test"
    assert f"{BASE}/users/alice" in doc["aliases"]
    self_links = [link for link in doc["links"] if link["rel"] == "self"]
    assert self_links == [{"rel": "self", "type": AP, "href": f"{BASE}/users/alice"}]
    profile = next(link for link in doc["links"]
                   if link["rel"] == "http://webfinger.net/rel/profile-page")
    assert profile["href"] == f"{BASE}/@alice"


async def test_webfinger_other_resource_forms(client: Client) -> None:
    await add_user(client, "alice")
    for resource in ("acct:ALICE@dreamfeed.test", "alice@dreamfeed.test",
                     f"{BASE}/users/alice", f"{BASE}/@alice"):
        resp = await client.get("/.well-known/webfinger", params={"resource": resource})
        assert resp.status == 200, resource
        assert (await resp.json(content_type=None))["subject"] == "acct:alice@dreamfeed.test"


async def test_webfinger_errors(client: Client) -> None:
    resp = await client.get("/.well-known/webfinger",
                            params={"resource": "acct:nobody@dreamfeed.test"})
    assert resp.status == 404
    assert resp.headers["Access-Control-Allow-Origin"] == "*"
    resp = await client.get("/.well-known/webfinger",
                            params={"resource": "acct:a@elsewhere.test"})
    assert resp.status == 404
    assert (await client.get("/.well-known/webfinger")).status == 400


async def test_webfinger_instance_actor(client: Client) -> None:
    for resource in ("acct:dreamfeed.test@dreamfeed.test", f"{BASE}/actor", f"{BASE}/"):
        resp = await client.get("/.well-known/webfinger", params={"resource": resource})
        assert resp.status == 200, resource
        doc = await resp.json(content_type=None)
        assert {"rel": "self", "type": AP, "href": f"{BASE}/actor"} in doc["links"]


async def test_actor_document(client: Client) -> None:
    await add_user(client, "alice")
    for accept in (AP, LD, f"{LD}, {AP}"):
        resp = await client.get("/users/alice", headers={"Accept": accept})
        assert resp.status == 200
        assert resp.headers["Content-Type"] == "application/activity+json; charset=utf-8"
        assert "Accept" in resp.headers["Vary"]
    doc = await resp.json(content_type=None)
    actor = f"{BASE}/users/alice"
    assert doc["@context"][:2] == ["https://www.w3.org/ns/activitystreams",
                                   "https://w3id.org/security/v1"]
    assert doc["id"] == actor  # equals the URL it is fetched from
    assert doc["type"] == "Person"
    assert doc["preferredUsername"] == "alice"
    assert doc["name"] == "alice"
    assert doc["summary"] == ""
    assert doc["url"] == f"{BASE}/@alice"
    assert doc["inbox"] == f"{actor}/inbox"
    assert doc["outbox"] == f"{actor}/outbox"
    assert doc["followers"] == f"{actor}/followers"
    assert doc["following"] == f"{actor}/following"
    assert doc["endpoints"] == {"sharedInbox": f"{BASE}/inbox"}
    assert doc["manuallyApprovesFollowers"] is False
    assert doc["discoverable"] is True
    assert doc["published"].endswith("T00:00:00Z")
    assert doc["webfinger"] == "alice@dreamfeed.test"
    # No avatar or header of her own: the defaults, never nothing (the client API shows
    # the same); the PNGs are served.
    assert doc["icon"] == {"type": "Image", "mediaType": "image/png",
                           "url": f"{BASE}/static/avatar.png"}
    assert doc["image"] == {"type": "Image", "mediaType": "image/png",
                            "url": f"{BASE}/static/header.png"}
    for name, size in (("avatar", (400, 400)), ("header", (1500, 500))):
        served = await client.get(f"/static/{name}.png")
        assert served.status == 200 and served.content_type == "image/png"
        assert Image.open(io.BytesIO(await served.read())).size == size
    key = doc["publicKey"]
    assert key["id"] == f"{actor}#main-key"
    assert key["owner"] == actor
    public = load_pem_public_key(key["publicKeyPem"].encode())
    assert isinstance(public, rsa.RSAPublicKey) and public.key_size >= 2048
    # The terms we use beyond AS2 are defined inline, as Mastodon does.
    terms = doc["@context"][2]
    assert terms["manuallyApprovesFollowers"] == "as:manuallyApprovesFollowers"
    assert terms["discoverable"] == "toot:discoverable"


async def test_each_user_has_its_own_key(client: Client) -> None:
    await add_user(client, "alice")
    await add_user(client, "bob")
    keys = set()
    for name in ("alice", "bob"):
        resp = await client.get(f"/users/{name}", headers={"Accept": AP})
        keys.add((await resp.json(content_type=None))["publicKey"]["publicKeyPem"])
    assert len(keys) == 2


async def test_browsers_get_html(client: Client) -> None:
    await add_user(client, "alice")
    resp = await client.get("/users/alice", headers={"Accept": "text/html"},
                            allow_redirects=False)
    assert resp.status == 302
    assert resp.headers["Location"] == f"{BASE}/@alice"
    resp = await client.get("/@alice", headers={"Accept": "text/html,*/*;q=0.8"})
    assert resp.status == 200
    html = await resp.text()
    assert "@alice@dreamfeed.test" in html
    assert f'<link rel="alternate" type="application/activity+json" href="{BASE}/users/alice">' \
        in html
    resp = await client.get("/@alice", headers={"Accept": AP})
    assert (await resp.json(content_type=None))["id"] == f"{BASE}/users/alice"


async def test_profile_escapes_user_text(client: Client) -> None:
    user = await add_user(client, "mallory")
    async with client.app[appkeys.DATABASE].writer.begin() as session:  # type: ignore[index]
        await session.execute(update(Account).where(Account.id == user.account_id).values(
            display_name="<script>alert(1)</script>", note="<b>hi</b>"))
    html = await (await client.get("/@mallory")).text()
    assert "<script>alert(1)" not in html and "&lt;script&gt;" in html
    assert "<b>hi</b>" not in html


async def test_unknown_and_deleted_accounts(client: Client) -> None:
    assert (await client.get("/users/nobody", headers={"Accept": AP})).status == 404
    user = await add_user(client, "gone")
    async with client.app[appkeys.DATABASE].writer.begin() as session:  # type: ignore[index]
        await session.execute(update(Account).where(Account.id == user.account_id)
                              .values(deleted_at=utcnow()))
    assert (await client.get("/users/gone", headers={"Accept": AP})).status == 410
    resp = await client.get("/.well-known/webfinger",
                            params={"resource": "acct:gone@dreamfeed.test"})
    assert resp.status == 410


async def test_instance_actor(client: Client) -> None:
    resp = await client.get("/actor", headers={"Accept": AP})
    assert resp.status == 200
    doc = await resp.json(content_type=None)
    assert doc["id"] == f"{BASE}/actor"
    assert doc["type"] == "Application"
    assert doc["inbox"] == f"{BASE}/actor/inbox"
    assert doc["publicKey"]["id"] == f"{BASE}/actor#main-key"
    assert doc["publicKey"]["owner"] == f"{BASE}/actor"
    assert doc["preferredUsername"] == "dreamfeed.test"
    assert "icon" not in doc and "image" not in doc  # the instance has no face


async def test_host_meta(client: Client) -> None:
    resp = await client.get("/.well-known/host-meta")
    assert resp.headers["Content-Type"].startswith("application/xrd+xml")
    root = ET.fromstring(await resp.text())
    link = root.find("{http://docs.oasis-open.org/ns/xri/xrd-1.0}Link")
    assert link is not None
    assert link.get("template") == f"{BASE}/.well-known/webfinger?resource={{uri}}"
    doc = await (await client.get("/.well-known/host-meta.json")).json(content_type=None)
    assert doc["links"][0]["template"] == f"{BASE}/.well-known/webfinger?resource={{uri}}"


async def test_nodeinfo(client: Client) -> None:
    index = await (await client.get("/.well-known/nodeinfo")).json()
    hrefs = {link["rel"]: link["href"] for link in index["links"]}
    assert hrefs == {
        "http://nodeinfo.diaspora.software/ns/schema/2.0": f"{BASE}/nodeinfo/2.0",
        "http://nodeinfo.diaspora.software/ns/schema/2.1": f"{BASE}/nodeinfo/2.1",
    }
    user = await add_user(client, "alice")
    await add_user(client, "bob")
    async with client.app[appkeys.DATABASE].writer.begin() as session:  # type: ignore[index]
        session.add(Status(uri=f"{BASE}/users/alice/statuses/1", account_id=user.account_id))
    for version in ("2.0", "2.1"):
        resp = await client.get(f"/nodeinfo/{version}")
        assert resp.status == 200
        assert f"schema/{version}#" in resp.headers["Content-Type"]
        doc = await resp.json(content_type=None)
        assert doc["version"] == version
        assert doc["software"]["name"] == "dreamfeed"
        # megalodon's detector accepts unknown software that names Mastodon as upstream.
        assert doc["metadata"]["upstream"] == {"name": "mastodon"}
        assert doc["software"]["version"]
        assert doc["protocols"] == ["activitypub"]
        assert doc["usage"]["users"] == {"total": 2, "activeMonth": 2, "activeHalfyear": 2}
        assert doc["usage"]["localPosts"] == 1
        assert doc["openRegistrations"] is True
    assert (await client.get("/nodeinfo/9.9")).status == 404


async def test_home_page(client: Client) -> None:
    resp = await client.get("/")
    assert resp.status == 200
    assert resp.headers["Content-Type"].startswith("text/html")
    assert "dreamfeed.test" in await resp.text()
    assert resp.headers["X-Request-Id"]
