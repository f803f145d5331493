"""Who signed a GET for an ActivityPub document (posts, outbox pages).

Unsigned and unverifiable requests read as anonymous: they get what anyone gets. A request
signed from a server this instance refuses (suspended, or not on the allow-list) gets 404,
as Mastodon answers a signer whose domain is blocked (StatusPolicy#show?): for it the
document does not exist.
"""

from __future__ import annotations

from aiohttp import web

from activitypub.signatures import SignatureError
from server import appkeys
from server.services.federation.inbound.inbox import InboxRequest, SenderRefused, verified_signer
from server.services.federation.remote import RemoteError


async def signed_viewer(request: web.Request) -> str | None:
    """The actor id of whoever signed this GET, if it is signed and the signature holds."""
    if "Signature" not in request.headers and "Signature-Input" not in request.headers:
        return None
    try:
        key = await verified_signer(request.app[appkeys.SERVICES], InboxRequest(
            method=request.method, path_qs=request.raw_path, headers=request.headers,
            body=b"", inbox_account_id=None))
    except SenderRefused:
        raise web.HTTPNotFound(text="not found") from None
    except (SignatureError, RemoteError):
        return None
    return key.owner_uri
