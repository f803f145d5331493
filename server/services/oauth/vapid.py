"""The instance's VAPID key pair (RFC 8292): the P-256 key a push service would see our web
push messages signed with. Apps read its public half as `vapid_key` of POST /api/v1/apps
(and v2 instance's `configuration.vapid.public_key`) and send it with a push subscription,
so it must be the same on every answer for the life of the instance: made once, at the
first request that needs it, and kept in instance_settings."""

from __future__ import annotations

import asyncio
import base64

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy.exc import IntegrityError

from server.services.context import Services
from storage import instance as instance_queries

PUBLIC_KEY = "vapid_public_key"
PRIVATE_KEY = "vapid_private_key"


def _new_pair() -> tuple[str, str]:
    """(public key as Mastodon writes it: the uncompressed point, URL-safe base64 with
    padding; private key as PKCS#8 PEM)."""
    private = ec.generate_private_key(ec.SECP256R1())
    point = private.public_key().public_bytes(serialization.Encoding.X962,
                                              serialization.PublicFormat.UncompressedPoint)
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    return base64.urlsafe_b64encode(point).decode(), pem


async def public_key(services: Services) -> str:
    async with services.db.reader() as session:
        stored = await instance_queries.get_setting(session, PUBLIC_KEY)
    if stored is not None:
        return stored
    public, private = await asyncio.to_thread(_new_pair)
    try:
        async with services.db.writer.begin() as session:
            await instance_queries.add_setting(session, PRIVATE_KEY, private)
            await instance_queries.add_setting(session, PUBLIC_KEY, public)
    except IntegrityError:
        # Another request made the pair first: theirs is the instance's.
        async with services.db.reader() as session:
            stored = await instance_queries.get_setting(session, PUBLIC_KEY)
        if stored is None:
            raise
        return stored
    return public
