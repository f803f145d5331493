"""A fake remote fediverse server for interop tests, written apart from Dreamfeed's own code.

It follows what Mastodon and GoToSocial document (docs.joinmastodon.org spec/activitypub and
spec/security; docs.gotosocial.org federation/http_signatures.md), not what our code does:

- actors in two flavours. "mastodon": actor at /users/NAME, keyId `/users/NAME#main-key`
  inside the actor, shared inbox /inbox, signs POSTs cavage `rsa-sha256` over
  `(request-target) host date digest content-type`. "gotosocial": keyId `/users/NAME/main-key`
  served as its own document (a stub actor: id, type, preferredUsername, publicKey), no shared
  inbox, signs cavage `hs2019` over `(request-target) host date digest`.
- WebFinger, actor documents (410 once deleted), any other document put up with `serve()`.
- every request it receives is recorded (`requests`), and every signed one is VERIFIED by the
  independent cavage verifier in fake_signatures.py (cryptography only, nothing of ours). A
  refused signature gets 401, as does an unsigned POST, and an unsigned GET when
  `require_signed_get` is on (GoToSocial's default).
- it sends activities signed cavage (its own signer: rsa-sha256 or hs2019) or RFC 9421 (our
  `sign_rfc9421`: sending with our signer is fine, the point is to verify ours independently),
  with a configurable age for stale-signature tests.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Self
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web
from multidict import CIMultiDict

from activitypub.signatures import sign_rfc9421
from tests.federation.fake_signatures import (
    ACTIVITY_JSON,
    CavageVerifier,
    KeyPair,
    SignatureRefused,
    Verified,
    cavage_headers,
)
from tests.federation.harness import TestResolver, free_port

__all__ = ["AS_PUBLIC", "FakeActor", "FakeRemote", "KeyPair", "Received", "Reply",
           "cavage_headers"]

Flavour = Literal["mastodon", "gotosocial"]
Scheme = Literal["cavage", "rfc9421"]

AS = "https://www.w3.org/ns/activitystreams"
SECURITY = "https://w3id.org/security/v1"
AS_PUBLIC = f"{AS}#Public"


# --- actors -------------------------------------------------------------------------------


@dataclass
class FakeActor:
    username: str
    flavour: Flavour
    base: str
    key: KeyPair
    name: str = ""
    deleted: bool = False
    # Image URLs for `icon` and `image` (avatar and header), when set.
    avatar: str = ""
    header: str = ""
    # totalItems of the outbox, followers and following collections (None: hidden, as
    # GoToSocial's hide_collections and Mastodon's "hide your network" leave them out).
    totals: dict[str, int | None] = field(default_factory=lambda: {
        "outbox": 12, "followers": 340, "following": 56})
    # Fields to set on (or add to) the actor document as served.
    overrides: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.base}/users/{self.username}"

    @property
    def key_id(self) -> str:
        return f"{self.id}#main-key" if self.flavour == "mastodon" else f"{self.id}/main-key"

    @property
    def inbox(self) -> str:
        return f"{self.id}/inbox"

    @property
    def shared_inbox(self) -> str | None:
        return f"{self.base}/inbox" if self.flavour == "mastodon" else None

    @property
    def handle(self) -> str:
        return f"{self.username}@{urlsplit(self.base).netloc}"

    def new_id(self, kind: str) -> str:
        """A fresh activity id that can be served at its URL (no fragment): Mastodon mints
        `https://host/<uuid>`, GoToSocial `https://host/users/NAME/<kind>/<ULID>`."""
        if self.flavour == "mastodon":
            return f"{self.base}/{uuid.uuid4()}"
        return f"{self.id}/{kind.lower()}/{uuid.uuid4().hex.upper()[:26]}"

    def public_key(self) -> dict[str, str]:
        return {"id": self.key_id, "owner": self.id, "publicKeyPem": self.key.public_pem}

    def document(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "@context": [AS, SECURITY,
                         {"manuallyApprovesFollowers": "as:manuallyApprovesFollowers"}],
            "id": self.id,
            "type": "Person",
            "preferredUsername": self.username,
            "name": self.name or self.username,
            "summary": "",
            "url": f"{self.base}/@{self.username}",
            "inbox": self.inbox,
            "outbox": f"{self.id}/outbox",
            "followers": f"{self.id}/followers",
            "following": f"{self.id}/following",
            "manuallyApprovesFollowers": False,
            "discoverable": True,
            "published": "2024-01-01T00:00:00Z",
            "publicKey": self.public_key(),
        }
        if self.shared_inbox:
            doc["endpoints"] = {"sharedInbox": self.shared_inbox}
        if self.avatar:
            doc["icon"] = {"type": "Image", "mediaType": "image/png", "url": self.avatar}
        if self.header:
            doc["image"] = {"type": "Image", "mediaType": "image/png", "url": self.header}
        return {**doc, **self.overrides}

    def collection(self, name: str) -> dict[str, Any]:
        """Mastodon's answer for an actor's collection: its size and a link to page one."""
        url = f"{self.id}/{name}"
        doc: dict[str, Any] = {"@context": AS, "id": url, "type": "OrderedCollection",
                               "first": f"{url}?page=1"}
        if self.totals.get(name) is not None:
            doc["totalItems"] = self.totals[name]
        return doc

    def key_document(self) -> dict[str, Any]:
        """GoToSocial's `/main-key` answer: a stub of the actor holding only the key."""
        return {"@context": [SECURITY, AS], "id": self.id, "type": "Person",
                "preferredUsername": self.username, "publicKey": self.public_key()}

    def activity(self, kind: str, obj: Any, **extra: Any) -> dict[str, Any]:
        return {"@context": AS, "id": self.new_id(kind), "type": kind, "actor": self.id,
                "object": obj, **extra}


# --- what the fake received ---------------------------------------------------------------


@dataclass
class Received:
    method: str
    path_qs: str
    headers: CIMultiDict[str]
    body: bytes
    signature: Verified | None = None
    signature_error: str | None = None  # set when a Signature was present but refused
    status: int = 0

    @property
    def path(self) -> str:
        return self.path_qs.partition("?")[0]

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def activity_type(self) -> str:
        doc = self.json()
        return str(doc.get("type", "")) if isinstance(doc, dict) else ""


@dataclass(frozen=True)
class Reply:
    status: int
    text: str


# --- the server ---------------------------------------------------------------------------


class FakeRemote:
    """`async with FakeRemote("masto") as fake:` a server at http://masto.test:PORT."""

    def __init__(self, name: str, *, require_signed_get: bool = False,
                 host: str | None = None) -> None:
        self.port = free_port()
        # `host` (say "127.0.0.1"): a name that resolves in other processes too (a
        # `dreamfeed serve` child has no test resolver for *.test).
        self.domain = f"{host or name + '.test'}:{self.port}"
        self.base = f"http://{self.domain}"
        self.require_signed_get = require_signed_get
        # Seconds WebFinger takes to answer (a slow server, for "nothing remote in a request").
        self.webfinger_delay = 0.0
        self.actors: dict[str, FakeActor] = {}
        self.documents: dict[str, dict[str, Any]] = {}
        self.files: dict[str, tuple[bytes, str]] = {}
        self.requests: list[Received] = []
        self.verifier = CavageVerifier(self.domain, self._fetch)
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None

    # lifecycle

    async def __aenter__(self) -> Self:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(resolver=TestResolver()))
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def session(self) -> aiohttp.ClientSession:
        assert self._session is not None, "use `async with FakeRemote(...)`"
        return self._session

    # setting the scene

    def add_actor(self, username: str, flavour: Flavour = "mastodon",
                  name: str = "") -> FakeActor:
        actor = FakeActor(username, flavour, self.base, KeyPair.generate(), name)
        self.actors[username] = actor
        return actor

    def rotate_key(self, actor: FakeActor) -> KeyPair:
        """A new key pair under the same keyId; returns the retired one."""
        old, actor.key = actor.key, KeyPair.generate()
        return old

    def delete_actor(self, actor: FakeActor) -> None:
        """From now on the actor (and its key document) answer 410 Gone, as Mastodon does."""
        actor.deleted = True

    def serve(self, doc: dict[str, Any], url: str | None = None) -> None:
        """Answer GET <doc id> (or `url`, for a document without an id, such as Mastodon's
        first replies page) with `doc`; an id with a query string is served at exactly that
        path and query (collection pages)."""
        parts = urlsplit(url or doc["id"])
        self.documents[parts.path + (f"?{parts.query}" if parts.query else "")] = doc

    def serve_bytes(self, path: str, data: bytes, content_type: str) -> str:
        """Answer GET `path` with raw bytes (images, or anything else); returns its URL."""
        self.files[path] = (data, content_type)
        return f"{self.base}{path}"

    def forget(self) -> None:
        """Clear the request log (so a test can check what happens from here on)."""
        self.requests.clear()

    # what arrived

    def received(self, method: str | None = None, path: str | None = None) -> list[Received]:
        return [r for r in self.requests
                if (method is None or r.method == method) and (path is None or r.path == path)]

    def deliveries(self, activity_type: str | None = None) -> list[Received]:
        """POSTs to any inbox here, optionally of one activity type."""
        return [r for r in self.received("POST")
                if r.path.endswith("/inbox")
                and (activity_type is None or r.activity_type == activity_type)]

    def fetches_of(self, url: str) -> list[Received]:
        return self.received("GET", urlsplit(url).path)

    # sending

    def sign(self, actor: FakeActor, url: str, body: bytes, *, scheme: Scheme = "cavage",
             algorithm: str | None = None, age: float = 0.0, key: KeyPair | None = None,
             key_id: str | None = None,
             sign_bytes: Callable[[bytes], bytes] | None = None) -> dict[str, str]:
        """Headers for POSTing `body` to `url` as `actor` (its key unless `key`; keyId
        `key_id` if given), the way its flavour signs, `age` seconds in the past."""
        key = key or actor.key
        key_id = key_id or actor.key_id
        if scheme == "rfc9421":
            headers = {"Content-Type": ACTIVITY_JSON}
            headers.update(sign_rfc9421("POST", url, headers, body, key_id, key.private_pem,
                                        now=time.time() - age))
            return headers
        algorithm = algorithm or ("rsa-sha256" if actor.flavour == "mastodon" else "hs2019")
        return cavage_headers("POST", url, body, key_id, key, algorithm=algorithm, age=age,
                              sign_bytes=sign_bytes)

    async def deliver(self, actor: FakeActor, inbox: str, activity: dict[str, Any],
                      **sign_options: Any) -> Reply:
        """POST `activity` to `inbox`, signed by `actor` (see `sign` for the options)."""
        body = json.dumps(activity).encode()
        return await self.send(inbox, body, self.sign(actor, inbox, body, **sign_options))

    async def send(self, url: str, body: bytes, headers: Mapping[str, str], *,
                   chunked: bool = False) -> Reply:
        """A raw POST: exactly these headers and this body."""
        data: Any = body
        if chunked:
            async def chunks() -> AsyncIterator[bytes]:
                for i in range(0, len(body), 4096):
                    yield body[i:i + 4096]
            data = chunks()
        async with self.session.post(url, data=data, headers=dict(headers)) as response:
            return Reply(response.status, await response.text())

    # serving

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        received = Received(request.method, request.raw_path, request.headers.copy(), body)
        self.requests.append(received)
        response = await self._answer(request, received)
        received.status = response.status
        return response

    async def _answer(self, request: web.Request, received: Received) -> web.StreamResponse:
        path = request.path
        if request.method == "GET" and path == "/.well-known/webfinger":
            await asyncio.sleep(self.webfinger_delay)
            return self._webfinger(request.query.get("resource", ""))
        if "Signature" in request.headers:
            try:
                received.signature = await self.verifier.verify(
                    request.method, request.raw_path, request.headers, received.body)
            except SignatureRefused as exc:
                received.signature_error = str(exc)
                return web.json_response({"error": str(exc)}, status=401)
        if request.method == "POST":
            if not path.endswith("/inbox") or (path == "/inbox" and not self._has_shared()):
                return web.json_response({"error": "not found"}, status=404)
            if received.signature is None:
                return web.json_response({"error": "request is not signed"}, status=401)
            return web.json_response({}, status=202)
        if request.method != "GET":
            return web.json_response({"error": "method not allowed"}, status=405)
        accept = request.headers.get("Accept", "")
        as2 = "activity+json" in accept or "ld+json" in accept
        return self._get(path, signed=received.signature is not None, as2=as2,
                         path_qs=request.path_qs)

    def _has_shared(self) -> bool:
        return any(a.shared_inbox for a in self.actors.values())

    def _webfinger(self, resource: str) -> web.Response:
        username, _, domain = resource.removeprefix("acct:").partition("@")
        actor = self.actors.get(username)
        if not resource.startswith("acct:") or domain != self.domain or actor is None:
            return web.json_response({"error": "not found"}, status=404)
        if actor.deleted:
            return web.json_response({"error": "gone"}, status=410)
        return web.json_response({
            "subject": f"acct:{actor.handle}",
            "aliases": [actor.id, f"{self.base}/@{actor.username}"],
            "links": [
                {"rel": "http://webfinger.net/rel/profile-page", "type": "text/html",
                 "href": f"{self.base}/@{actor.username}"},
                {"rel": "self", "type": ACTIVITY_JSON, "href": actor.id},
            ],
        }, content_type="application/jrd+json")

    def _get(self, path: str, *, signed: bool, as2: bool, path_qs: str) -> web.Response:
        match = re.fullmatch(r"/users/([^/]+)(/main-key)?", path)
        actor = self.actors.get(match[1]) if match else None
        is_key = bool(match and match[2] and actor and actor.flavour == "gotosocial")
        # GoToSocial serves the key stub to anyone, so that a key can be fetched at all.
        if self.require_signed_get and not signed and not is_key:
            return web.json_response({"error": "signature required"}, status=401)
        if match and actor is not None and (not match[2] or is_key):
            if actor.deleted:
                return web.json_response({"error": "gone"}, status=410)
            if not as2:  # Mastodon answers browsers with the HTML profile
                return web.Response(text=f"<h1>{actor.username}</h1>", content_type="text/html")
            return _activity_json(actor.key_document() if is_key else actor.document())
        collection = re.fullmatch(r"/users/([^/]+)/(outbox|followers|following)", path)
        owner = self.actors.get(collection[1]) if collection else None
        if collection and owner is not None and path not in self.documents \
                and path not in self.files:
            if owner.deleted:
                return web.json_response({"error": "gone"}, status=410)
            return _activity_json(owner.collection(collection[2]))
        if path in self.files:
            data, content_type = self.files[path]
            return web.Response(body=data, headers={"Content-Type": content_type})
        doc = self.documents.get(path_qs) or self.documents.get(path)
        if doc is None:
            return web.json_response({"error": "not found"}, status=404)
        return _activity_json(doc)

    async def _fetch(self, url: str) -> dict[str, Any]:
        """For the verifier: fetch a key or actor (ours are served to anyone, unsigned)."""
        try:
            async with self.session.get(url, headers={"Accept": ACTIVITY_JSON}) as response:
                if response.status != 200:
                    raise SignatureRefused(f"fetching {url} answered {response.status}")
                doc = await response.json(content_type=None)
        except (aiohttp.ClientError, ValueError) as exc:
            raise SignatureRefused(f"cannot fetch {url}: {exc}") from exc
        if not isinstance(doc, dict):
            raise SignatureRefused(f"{url} is not a JSON object")
        return doc


def _activity_json(doc: dict[str, Any]) -> web.Response:
    return web.Response(body=json.dumps(doc).encode(), content_type=ACTIVITY_JSON,
                        status=200)
