"""RSA key pairs for actors, as PEM text (what actor documents publish)."""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

KEY_SIZE = 2048


@dataclass(frozen=True)
class KeyPair:
    public_pem: str
    private_pem: str


def generate_rsa_keypair(bits: int = KEY_SIZE) -> KeyPair:
    """A fresh RSA key pair (takes tens of milliseconds: call it off the event loop)."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    private_pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM,
        serialization.PublicFormat.SubjectPublicKeyInfo,
    ).decode("ascii")
    return KeyPair(public_pem=public_pem, private_pem=private_pem)
