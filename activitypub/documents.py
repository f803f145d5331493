"""Pure builders for the discovery documents and the actor: plain dicts in, plain dicts out.

Shapes follow Mastodon's serializers (ActivityPub::ActorSerializer, WebfingerSerializer,
NodeInfo::Serializer) and the NodeInfo 2.0/2.1 schemas; field-by-field tests pin them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import quoteattr

AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
SECURITY_CONTEXT = "https://w3id.org/security/v1"
AS_PUBLIC = "https://www.w3.org/ns/activitystreams#Public"

ACTIVITY_JSON = "application/activity+json"
LD_JSON_PROFILE = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
JRD_JSON = "application/jrd+json"
XRD_XML = "application/xrd+xml"

NODEINFO_SCHEMAS = {
    "2.0": "http://nodeinfo.diaspora.software/ns/schema/2.0",
    "2.1": "http://nodeinfo.diaspora.software/ns/schema/2.1",
}

# Extension terms defined inline, as Mastodon does (context_helper.rb), so JSON-LD processors
# need not fetch anything beyond the two well-known contexts.
ACTOR_CONTEXT_TERMS: dict[str, Any] = {
    "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
    "toot": "http://joinmastodon.org/ns#",
    "discoverable": "toot:discoverable",
    "indexable": "toot:indexable",
    "suspended": "toot:suspended",
    "webfinger": "https://purl.archive.org/socialweb/webfinger#webfinger",
    # Account migration, as Mastodon's context_helper.rb defines them.
    "alsoKnownAs": {"@id": "as:alsoKnownAs", "@type": "@id"},
    "movedTo": {"@id": "as:movedTo", "@type": "@id"},
    # Pinned posts, as Mastodon's context_helper.rb defines it.
    "featured": {"@id": "toot:featured", "@type": "@id"},
    # Profile fields, as Mastodon's context_helper.rb defines them.
    "schema": "http://schema.org#",
    "PropertyValue": "schema:PropertyValue",
    "value": "schema:value",
}


@dataclass(frozen=True)
class ActorFields:
    id: str
    type: str  # Person, Service, Application
    preferred_username: str
    webfinger: str  # user@domain, FEP-2c59
    name: str
    summary_html: str
    url: str
    inbox: str
    outbox: str
    followers: str | None
    following: str | None
    shared_inbox: str
    key_id: str
    public_key_pem: str
    manually_approves_followers: bool
    discoverable: bool
    published: datetime
    icon_url: str | None = None
    icon_media_type: str | None = None
    # The profile's header picture (Mastodon reads it from `image`).
    image_url: str | None = None
    image_media_type: str | None = None
    suspended: bool = False
    # Account migration: the accounts this one says it also is, and where it moved.
    also_known_as: tuple[str, ...] = ()
    moved_to: str | None = None
    # Profile fields: (name, value as HTML), published as PropertyValue attachments.
    property_values: tuple[tuple[str, str], ...] = ()
    # The collection of its pinned posts (Mastodon's `featured`).
    featured: str | None = None


def actor_document(actor: ActorFields) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "@context": [AS_CONTEXT, SECURITY_CONTEXT, ACTOR_CONTEXT_TERMS],
        "id": actor.id,
        "type": actor.type,
        "preferredUsername": actor.preferred_username,
        "webfinger": actor.webfinger,
        "name": actor.name,
        "summary": actor.summary_html,
        "url": actor.url,
        "inbox": actor.inbox,
        "outbox": actor.outbox,
    }
    if actor.followers:
        doc["followers"] = actor.followers
    if actor.following:
        doc["following"] = actor.following
    if actor.featured:
        doc["featured"] = actor.featured
    doc.update({
        "endpoints": {"sharedInbox": actor.shared_inbox},
        "manuallyApprovesFollowers": actor.manually_approves_followers,
        "discoverable": actor.discoverable,
        "indexable": actor.discoverable,
        # Mastodon publishes the account's creation day, not the second.
        "published": format_datetime(actor.published.replace(hour=0, minute=0, second=0,
                                                             microsecond=0)),
        "publicKey": {
            "id": actor.key_id,
            "owner": actor.id,
            "publicKeyPem": actor.public_key_pem,
        },
    })
    if actor.icon_url:
        icon: dict[str, Any] = {"type": "Image", "url": actor.icon_url}
        if actor.icon_media_type:
            icon["mediaType"] = actor.icon_media_type
        doc["icon"] = icon
    if actor.image_url:
        image: dict[str, Any] = {"type": "Image", "url": actor.image_url}
        if actor.image_media_type:
            image["mediaType"] = actor.image_media_type
        doc["image"] = image
    if actor.property_values:
        doc["attachment"] = [{"type": "PropertyValue", "name": name, "value": value}
                             for name, value in actor.property_values]
    if actor.suspended:
        doc["suspended"] = True
    if actor.also_known_as:
        doc["alsoKnownAs"] = list(actor.also_known_as)
    if actor.moved_to:
        doc["movedTo"] = actor.moved_to
    return doc


def format_datetime(value: datetime) -> str:
    """ISO 8601 in UTC with a Z, second precision, as Mastodon emits."""
    if value.tzinfo is None:
        raise ValueError("naive datetime")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def webfinger_document(*, subject: str, actor_id: str, profile_url: str,
                       subscribe_template: str | None) -> dict[str, Any]:
    links: list[dict[str, str]] = [
        {"rel": "http://webfinger.net/rel/profile-page", "type": "text/html",
         "href": profile_url},
        {"rel": "self", "type": ACTIVITY_JSON, "href": actor_id},
    ]
    if subscribe_template:
        links.append({"rel": "http://ostatus.org/schema/1.0/subscribe",
                      "template": subscribe_template})
    aliases = [profile_url, actor_id] if profile_url != actor_id else [actor_id]
    return {"subject": subject, "aliases": aliases, "links": links}


def host_meta_xml(webfinger_template: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">\n'
        f'  <Link rel="lrdd" template={quoteattr(webfinger_template)}/>\n'
        "</XRD>\n"
    )


def host_meta_json(webfinger_template: str) -> dict[str, Any]:
    return {"links": [{"rel": "lrdd", "template": webfinger_template}]}


def nodeinfo_discovery(document_urls: dict[str, str]) -> dict[str, Any]:
    """`/.well-known/nodeinfo`: version -> URL of that version's document, in the caller's
    order (readers differ in which link they take: the order is the caller's decision)."""
    return {"links": [{"rel": NODEINFO_SCHEMAS[version], "href": url}
                      for version, url in document_urls.items()]}


@dataclass(frozen=True)
class NodeUsage:
    users_total: int
    users_active_month: int
    users_active_halfyear: int
    local_posts: int


def nodeinfo_document(version: str, *, software_name: str, software_version: str,
                      usage: NodeUsage, open_registrations: bool,
                      metadata: dict[str, Any], repository: str | None = None,
                      homepage: str | None = None) -> dict[str, Any]:
    if version not in NODEINFO_SCHEMAS:
        raise ValueError(f"unsupported NodeInfo version {version}")
    software: dict[str, Any] = {"name": software_name, "version": software_version}
    if version == "2.1":  # repository/homepage exist only from 2.1 on
        if repository:
            software["repository"] = repository
        if homepage:
            software["homepage"] = homepage
    return {
        "version": version,
        "software": software,
        "protocols": ["activitypub"],
        "services": {"outbound": [], "inbound": []},
        "usage": {
            "users": {
                "total": usage.users_total,
                "activeMonth": usage.users_active_month,
                "activeHalfyear": usage.users_active_halfyear,
            },
            "localPosts": usage.local_posts,
        },
        "openRegistrations": open_registrations,
        "metadata": metadata,
    }


def wants_activity_json(accept: str) -> bool:
    """True when an Accept header asks for ActivityStreams JSON rather than HTML.

    Remote servers send `application/activity+json` or `application/ld+json; profile=...`
    (often both); browsers send text/html first. An ActivityStreams type anywhere in the
    header wins unless text/html is preferred by quality.
    """
    best_html = 0.0
    best_as = 0.0
    for part in accept.split(","):
        media, _, params = part.strip().partition(";")
        media = media.strip().lower()
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if media in (ACTIVITY_JSON, "application/ld+json"):
            best_as = max(best_as, quality)
        elif media in ("text/html", "application/xhtml+xml"):
            best_html = max(best_html, quality)
    return best_as > 0 and best_as >= best_html
