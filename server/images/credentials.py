"""Content credentials (C2PA): signing our renditions and reading anyone's.

The one module that uses c2pa-python (the Content Authenticity Initiative's library, over
c2pa-rs). Pure and CPU-bound: bytes in, bytes or a report out; call it off the event loop.

A manifest says what `server.images.provenance`'s XMP packet says, but signed: a
`c2pa.created` action with IPTC's digital source type and the model as its software agent,
the software that wrote the file as the claim generator, the prompt only when its author
published it, and for a remix the parent image as a `parentOf` ingredient (its own manifest,
if it has one, travels inside ours).

"Verified" here means what c2pa-rs calls Valid or Trusted: the claim's signature checks
against the certificate in the manifest and every hash (the image's bytes, each assertion)
matches. Whether the certificate chains to a CA on the C2PA trust list is a separate question
(Trusted); an instance's own self-signed chain is Valid, not Trusted (see the README).
"""

from __future__ import annotations

import datetime
import io
import json
from dataclasses import dataclass, field
from typing import Any

import c2pa
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from server.images.provenance import Provenance

VERIFIED, INVALID, ABSENT = "verified", "invalid", "absent"
# c2pa-rs' validation states: Valid (signature and hashes) and Trusted (and a listed CA).
_GOOD_STATES = frozenset({"Valid", "Trusted"})
_ALGORITHM = "es256"
# Remote files may come in any of these; others are "absent" without asking the library.
READABLE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp", "image/gif",
                            "image/avif", "image/heic", "image/tiff"})


class CredentialsError(Exception):
    """Signing failed (a broken key or certificate); the message says why."""


@dataclass(frozen=True)
class SigningIdentity:
    """An end-entity certificate followed by its issuers (PEM), and its private key."""

    chain_pem: bytes
    key_pem: bytes


@dataclass(frozen=True)
class Parent:
    """The image a remix was made from, as we serve it (with its own manifest, if any)."""

    data: bytes
    mime: str
    title: str


@dataclass(frozen=True)
class Claims:
    provenance: Provenance
    # The instance's name, for the manifest's title and who made it.
    instance: str
    parent: Parent | None = None


@dataclass(frozen=True)
class Report:
    """What a file's manifest says, in the words a page shows."""

    state: str  # VERIFIED, INVALID or ABSENT
    # c2pa-rs' own word (Valid, Trusted, Invalid), "" when there is no manifest.
    validation: str = ""
    signer: str = ""
    signed_at: str = ""
    claim_generator: str = ""
    digital_source_type: str = ""
    model: str = ""
    prompt: str = ""
    ingredients: tuple[str, ...] = ()
    failures: tuple[str, ...] = field(default=())


def new_identity(organization: str) -> SigningIdentity:
    """A self-signed chain for an instance: a root CA and an ES256 end-entity certificate
    with the key usage c2pa-rs requires of a claim signer (digitalSignature, and the
    emailProtection extended key usage of the C2PA profile), ten years each."""
    now = datetime.datetime.now(datetime.UTC)
    start, end = now - datetime.timedelta(minutes=5), now + datetime.timedelta(days=3650)
    root_key = ec.generate_private_key(ec.SECP256R1())
    root_name = _name(f"{organization} content credentials root", organization)
    root = (x509.CertificateBuilder().subject_name(root_name).issuer_name(root_name)
            .public_key(root_key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(end)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_key_usage(cert_sign=True), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()),
                           critical=False)
            .sign(root_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (x509.CertificateBuilder().subject_name(_name(organization, organization))
            .issuer_name(root_name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(end)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_key_usage(cert_sign=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]),
                           critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                root_key.public_key()), critical=False)
            .sign(root_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    return SigningIdentity(
        chain_pem=leaf.public_bytes(pem) + root.public_bytes(pem),
        key_pem=key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))


def _name(common_name: str, organization: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64]),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization[:64])])


def _key_usage(*, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature=not cert_sign, content_commitment=False,
                         key_encipherment=False, data_encipherment=False,
                         key_agreement=False, key_cert_sign=cert_sign, crl_sign=cert_sign,
                         encipher_only=False, decipher_only=False)


def algorithm_of(identity: SigningIdentity) -> str:
    """The C2PA algorithm name for the identity's key (an operator's may be RSA or
    Ed25519); CredentialsError for a key we cannot sign with."""
    try:
        key = serialization.load_pem_private_key(identity.key_pem, password=None)
    except (ValueError, TypeError) as exc:
        raise CredentialsError(f"the C2PA private key cannot be read: {exc}") from None
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return {"secp256r1": "es256", "secp384r1": "es384", "secp521r1": "es512"}.get(
            key.curve.name, _ALGORITHM)
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return "ed25519"
    if isinstance(key, rsa.RSAPrivateKey):
        return "ps256"
    raise CredentialsError("the C2PA private key must be ECDSA (P-256/384/521), Ed25519 or RSA")


def manifest_definition(claims: Claims, title: str) -> dict[str, Any]:
    provenance = claims.provenance
    action: dict[str, Any] = {
        "action": "c2pa.created",
        "digitalSourceType": provenance.digital_source_type_uri,
        "softwareAgent": {"name": provenance.generator},
    }
    if provenance.prompt is not None:
        action["parameters"] = {"description": provenance.prompt}
    # A remix is still made by the model (c2pa.created, not an edit of ours): its parent
    # is a parentOf ingredient of the claim.
    actions = [action]
    name, _, version = provenance.software.partition(" ")
    return {
        "claim_generator_info": [{"name": name, "version": version or "0"}],
        "title": title,
        "assertions": [
            {"label": "c2pa.actions.v2", "data": {"actions": actions}},
            {"label": "stds.schema-org.CreativeWork",
             "data": {"@context": "https://schema.org", "@type": "CreativeWork",
                      "author": [{"@type": "Organization", "name": claims.instance}]}},
        ],
    }


def _context() -> c2pa.Context:
    """The library's settings for signing: no claim thumbnail. By default the builder embeds
    one, which for a WebP made the file ten times its size (127 KB to 1.5 MB) and a JPEG
    twice; the image itself is what a verifier looks at."""
    return c2pa.Context(settings=c2pa.Settings.from_dict(
        {"builder": {"thumbnail": {"enabled": False}}}))


def sign(data: bytes, mime: str, claims: Claims, identity: SigningIdentity) -> bytes:
    """`data` (a JPEG or WebP we wrote) with our manifest embedded. CPU-bound."""
    title = "image.jpg" if mime == "image/jpeg" else "image.webp"
    try:
        signer = c2pa.Signer.from_info(c2pa.C2paSignerInfo(
            algorithm_of(identity).encode(), identity.chain_pem, identity.key_pem, None))
        with signer, c2pa.Builder(manifest_definition(claims, title), _context()) as builder:
            if claims.parent is not None:
                builder.add_ingredient({"title": claims.parent.title,
                                        "relationship": "parentOf"},
                                       claims.parent.mime, io.BytesIO(claims.parent.data))
            dest = io.BytesIO()
            builder.sign(signer, mime, io.BytesIO(data), dest)
            return dest.getvalue()
    except c2pa.C2paError as exc:
        raise CredentialsError(f"signing failed: {exc}") from None


def read(data: bytes, mime: str) -> Report:
    """What `data`'s manifest says and whether it holds (never raises for bad input: a file
    we cannot parse as carrying a manifest is ABSENT, a manifest that fails is INVALID)."""
    if mime not in READABLE_TYPES:
        return Report(state=ABSENT)
    try:
        reader = c2pa.Reader.try_create(mime, io.BytesIO(data))
    except c2pa.C2paError as exc:
        return Report(state=INVALID, validation="Invalid", failures=(str(exc)[:200],))
    if reader is None:
        return Report(state=ABSENT)
    with reader:
        try:
            state = reader.get_validation_state() or "Invalid"
            document = json.loads(reader.json())
        except (c2pa.C2paError, ValueError) as exc:
            return Report(state=INVALID, validation="Invalid", failures=(str(exc)[:200],))
    return _report(state, document)


def _report(state: str, document: dict[str, Any]) -> Report:
    manifest = document.get("manifests", {}).get(document.get("active_manifest", ""), {})
    failures = tuple(str(item.get("code", "")) for item in
                     document.get("validation_results", {}).get("activeManifest", {})
                     .get("failure", []))
    signature = manifest.get("signature_info") or {}
    created = _created_action(manifest)
    generators = manifest.get("claim_generator_info") or [{}]
    generator = " ".join(str(part) for part in (generators[0].get("name", ""),
                                                generators[0].get("version", "")) if part)
    parameters = created.get("parameters") or {}
    return Report(
        state=VERIFIED if state in _GOOD_STATES else INVALID, validation=state,
        signer=str(signature.get("common_name") or signature.get("issuer") or ""),
        signed_at=str(signature.get("time") or ""),
        claim_generator=generator,
        digital_source_type=str(created.get("digitalSourceType", "")).rsplit("/", 1)[-1],
        model=str((created.get("softwareAgent") or {}).get("name", "")),
        prompt=str(parameters.get("description", "")) if isinstance(parameters, dict) else "",
        ingredients=tuple(str(item.get("title", "")) for item in
                          manifest.get("ingredients", [])),
        failures=failures)


def _created_action(manifest: dict[str, Any]) -> dict[str, Any]:
    for assertion in manifest.get("assertions", []):
        if str(assertion.get("label", "")).startswith("c2pa.actions"):
            for action in assertion.get("data", {}).get("actions", []):
                if action.get("action") == "c2pa.created":
                    return dict(action)
    return {}
