"""Instance (v2, REST::InstanceSerializer), V1::Instance (REST::V1::InstanceSerializer), Rule,
ExtendedDescription and Tag (REST::TagSerializer, for trends).

`version` claims the Mastodon API we implement in build-metadata form, "4.3.0+dreamfeed.X.Y.Z":
Phanpy's semver check throws on "4.3.0 (compatible; ...)" and switches every feature off, Ice
Cubes reads the first three characters as a number, and Mastodon.py keeps what precedes a space
and then drops a "+" suffix that does not parse as a version. `api_versions` says the same to
clients that read it, with Dreamfeed's own extension beside it; v2's `configuration.dreamfeed`
tells what generation offers. Clients that know nothing of either ignore them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import Any

from server.render.to_mastodon import tags
from server.render.to_mastodon.accounts import account
from server.render.to_mastodon.common import iso
from server.render.to_mastodon.parts import AccountParts
from server.render.to_mastodon.tags import TagDay

MASTODON_VERSION = "4.3.0"
API_VERSIONS = {"mastodon": 2, "dreamfeed": 1}
ICON_SIZES = (48, 96, 192, 512)
# The invite-only mode, said where Mastodon shows its closed-registrations message.
INVITE_MESSAGE = "<p>Joining this server needs an invite from one of its members.</p>"


@dataclass(frozen=True)
class Limits:
    """What a client may send: statuses, media, profiles (every number is enforced here)."""

    max_characters: int
    max_media_attachments: int
    characters_reserved_per_url: int
    upload_types: tuple[str, ...]  # empty when uploads are off
    image_size_limit: int
    image_matrix_limit: int
    description_limit: int
    max_pinned_statuses: int
    max_display_name_length: int
    max_note_length: int


@dataclass(frozen=True)
class GenerationOffer:
    """Dreamfeed's extension: what a generation may ask for, and the caller's quota."""

    models: tuple[str, ...]
    styles: tuple[str, ...]  # empty when the backend takes no style
    sizes: tuple[str, ...]
    default_size: str
    qualities: tuple[str, ...]
    default_quality: str
    max_images: int
    daily_limit: int  # 0: no limit
    remaining_today: int | None  # the caller's; None signed out or without a limit


@dataclass(frozen=True)
class DescribeOffer:
    """Dreamfeed's extension: image descriptions drafted by a vision model
    (POST /api/v1/dreamfeed/media/:id/describe), and the caller's count left today."""

    enabled: bool = False
    model: str | None = None  # None when off
    max_characters: int = 1500
    daily_limit: int = 0  # 0: no limit
    remaining_today: int | None = None  # the caller's; None signed out or without a limit


@dataclass(frozen=True)
class InstanceParts:
    domain: str
    base_url: str
    title: str
    description: str
    contact_email: str
    rules: tuple[str, ...]
    registrations: str  # open, approval, invite, closed
    limited_federation: bool
    software_version: str
    user_count: int
    active_month: int
    status_count: int
    domain_count: int
    contact: AccountParts | None
    vapid_key: str
    limits: Limits
    generation: GenerationOffer
    # The instance's posting language ([instance] default_language; none when unset).
    languages: tuple[str, ...] = ()
    describe: DescribeOffer = DescribeOffer()


@dataclass(frozen=True)
class TagParts:
    id: int
    name: str
    history: tuple[TagDay, ...]  # today first


def version(software_version: str) -> str:
    return f"{MASTODON_VERSION}+dreamfeed.{software_version}"


def streaming_url(base_url: str) -> str:
    """Where the streaming API is (clients add /api/v1/streaming, as to Mastodon's base)."""
    return "ws" + base_url.removeprefix("http")


def rules(parts: InstanceParts) -> list[dict[str, Any]]:
    return [{"id": str(number), "text": text, "hint": ""}
            for number, text in enumerate(parts.rules, start=1)]


def _registrations_open(parts: InstanceParts) -> bool:
    return parts.registrations in ("open", "approval")


def _statuses(limits: Limits) -> dict[str, Any]:
    return {"max_characters": limits.max_characters,
            "max_media_attachments": limits.max_media_attachments,
            "characters_reserved_per_url": limits.characters_reserved_per_url}


def _media(limits: Limits) -> dict[str, Any]:
    # Images only: no video or audio is taken, so their limits are 0.
    return {"supported_mime_types": list(limits.upload_types),
            "image_size_limit": limits.image_size_limit,
            "image_matrix_limit": limits.image_matrix_limit,
            "description_limit": limits.description_limit,
            "video_size_limit": 0, "video_frame_rate_limit": 0, "video_matrix_limit": 0}


# No polls are made here: every limit says "none" (remote polls are still shown).
POLLS = {"max_options": 0, "max_characters_per_option": 0, "min_expiration": 0,
         "max_expiration": 0}


def _thumbnail_url(base_url: str) -> str:
    return f"{base_url}/static/thumbnail.png"


def instance_v2(parts: InstanceParts) -> dict[str, Any]:
    base = parts.base_url
    limits = parts.limits
    offer = parts.generation
    return {
        "domain": parts.domain,
        "title": parts.title,
        "version": version(parts.software_version),
        # The source of what runs here: the about page names the software and its version.
        "source_url": f"{base}/about",
        "description": parts.description,
        "usage": {"users": {"active_month": 0 if parts.limited_federation
                            else parts.active_month}},
        "thumbnail": {"url": _thumbnail_url(base), "blurhash": None,
                      "description": f"The {parts.title} logo: a hill under a sun",
                      "versions": {"@1x": _thumbnail_url(base)}},
        "icon": [{"src": f"{base}/static/icon-{size}.png", "size": f"{size}x{size}"}
                 for size in ICON_SIZES],
        "languages": list(parts.languages),
        "configuration": {
            "urls": {"streaming": streaming_url(base), "status": None, "about": f"{base}/about",
                     "privacy_policy": None, "terms_of_service": None},
            "vapid": {"public_key": parts.vapid_key},
            "accounts": {"max_featured_tags": 0,
                         "max_pinned_statuses": limits.max_pinned_statuses,
                         "max_display_name_length": limits.max_display_name_length,
                         "max_note_length": limits.max_note_length},
            "statuses": _statuses(limits),
            "media_attachments": _media(limits),
            "polls": dict(POLLS),
            "translation": {"enabled": False},
            "limited_federation": parts.limited_federation,
            "dreamfeed": {
                "models": list(offer.models), "styles": list(offer.styles),
                "sizes": list(offer.sizes), "default_size": offer.default_size,
                "qualities": list(offer.qualities), "default_quality": offer.default_quality,
                "max_images": offer.max_images, "daily_limit": offer.daily_limit,
                "remaining_today": offer.remaining_today,
                "describe": {"enabled": parts.describe.enabled, "model": parts.describe.model,
                             "max_characters": parts.describe.max_characters,
                             "daily_limit": parts.describe.daily_limit,
                             "remaining_today": parts.describe.remaining_today},
            },
        },
        "registrations": {
            "enabled": _registrations_open(parts),
            "approval_required": parts.registrations == "approval",
            "reason_required": parts.registrations == "approval",
            "message": INVITE_MESSAGE if parts.registrations == "invite" else None,
            "min_age": None,
            "url": None,
        },
        "api_versions": dict(API_VERSIONS),
        "contact": {"email": parts.contact_email,
                    "account": account(parts.contact) if parts.contact else None},
        "rules": rules(parts),
    }


def instance_v1(parts: InstanceParts) -> dict[str, Any]:
    base = parts.base_url
    limits = parts.limits
    return {
        "uri": parts.domain,
        "title": parts.title,
        "short_description": parts.description,
        "description": parts.description,
        "email": parts.contact_email,
        "version": version(parts.software_version),
        "urls": {"streaming_api": streaming_url(base)},
        "stats": {"user_count": parts.user_count, "status_count": parts.status_count,
                  "domain_count": parts.domain_count},
        "thumbnail": _thumbnail_url(base),
        "languages": list(parts.languages),
        "registrations": _registrations_open(parts),
        "approval_required": parts.registrations == "approval",
        "invites_enabled": parts.registrations == "invite",
        "configuration": {
            "accounts": {"max_featured_tags": 0},
            "statuses": _statuses(limits),
            "media_attachments": _media(limits),
            "polls": dict(POLLS),
        },
        "contact_account": account(parts.contact) if parts.contact else None,
        "rules": rules(parts),
    }


def extended_description(parts: InstanceParts, updated_at: datetime) -> dict[str, Any]:
    """The about page's text, as HTML paragraphs; it changes only with the configuration,
    so `updated_at` is when the configuration was read."""
    paragraphs = [p.strip() for p in parts.description.split("\n\n") if p.strip()]
    return {"updated_at": iso(updated_at),
            "content": "".join(f"<p>{escape(p)}</p>" for p in paragraphs)}


def tag(parts: TagParts, base_url: str) -> dict[str, Any]:
    # Trending tags are counted once for everyone (cached), not per viewer: whether the
    # viewer follows one is GET /api/v1/tags/:name's answer (handlers/api/tags.py).
    return {**tags.tag(parts.id, parts.name, base_url, parts.history), "following": False}
