"""A local account's archive: a zip in Mastodon's archive layout (app/services/backup_service.rb)
plus its CSV exports (app/models/export.rb) and Dreamfeed's prompts.

    actor.json                  the actor; outbox/likes/bookmarks point at the files below
    outbox.json                 OrderedCollection of Create (posts) and Announce (boosts)
    likes.json, bookmarks.json  OrderedCollections of post ids
    media_attachments/files/<id>/original/<file>   each posted image, as stored
    prompts.json                each post's prompt, model and seed (Dreamfeed)
    following_accounts.csv      "Account address,Show boosts,Notify on new posts,Languages"
    muted_accounts.csv          "Account address,Hide notifications"
    blocked_accounts.csv        one address a line, no header (as Mastodon)
    blocked_domains.csv         one blocked server a line, no header (as Mastodon's
                                to_blocked_domains_csv)

Attachment URLs in outbox.json are the archive paths, as Mastodon rewrites them. The zip is
written in a worker thread straight from the media files, one file at a time, never holding
all the media in memory.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from activitypub.documents import format_datetime
from activitypub.vocab import AS_CONTEXT
from server.i18n import N_
from server.render.to_activitypub import archived_announce, create_activity, local_actor
from server.services.accounts.bio import bio_mentions
from server.services.context import Services
from server.services.errors import Conflict, InvalidInput, NotFound
from server.services.statuses.notes import note_parts
from storage import account_data
from storage import account_domain_blocks as domain_block_queries
from storage import accounts as account_queries
from storage import statuses as status_queries
from storage.media_files import MediaFileMissing, MediaStore
from storage.models import Account, Status

FOLLOWING_HEADERS = ["Account address", "Show boosts", "Notify on new posts", "Languages"]
MUTED_HEADERS = ["Account address", "Hide notifications"]
EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp", "image/gif": "gif",
              "image/avif": "avif"}


@dataclass
class ArchivePlan:
    """What goes in the zip: small documents as bytes, media as (archive path, store key)."""

    documents: dict[str, bytes] = field(default_factory=dict)
    media: list[tuple[str, str]] = field(default_factory=list)


def _json(doc: Any) -> bytes:
    return json.dumps(doc, ensure_ascii=False, indent=1).encode()


def _collection(name: str, items: list[Any]) -> dict[str, Any]:
    return {"@context": AS_CONTEXT, "id": name, "type": "OrderedCollection",
            "totalItems": len(items), "orderedItems": items}


def _csv(headers: list[str] | None, rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if headers:
        writer.writerow(headers)
    writer.writerows(rows)
    return out.getvalue().encode()


def _acct(account: Account, local_domain: str) -> str:
    return f"{account.username}@{account.domain or local_domain}"


async def plan_archive(services: Services, username: str) -> ArchivePlan:
    """Read everything the archive holds (one read transaction, so it is consistent)."""
    domain = services.config.instance.domain
    async with services.db.reader() as session:
        account = await account_queries.local_account_by_username(session, username)
        if account is None or account.actor_type == "Application":
            raise NotFound(N_("no local account named %(name)r"), name=username)
        if account.deleted_at is not None:
            raise Conflict(N_("the account %(name)r is deleted"), name=account.username)
        key = await account_queries.public_key(session, account.id)
        if key is None:
            raise RuntimeError(f"local account {account.uri} has no key")
        plan = ArchivePlan()
        outbox, prompts = await _outbox(services, session, account, plan)
        actor = local_actor(account, key, services.config,
                            mentions=await bio_mentions(session, account.note, services.config))
        actor.update(outbox="outbox.json", likes="likes.json", bookmarks="bookmarks.json")
        plan.documents["actor.json"] = _json(actor)
        plan.documents["outbox.json"] = _json(_collection("outbox.json", outbox))
        plan.documents["likes.json"] = _json(_collection(
            "likes.json", await account_data.favourited_uris(session, account.id)))
        plan.documents["bookmarks.json"] = _json(_collection("bookmarks.json", []))
        plan.documents["prompts.json"] = _json(prompts)
        plan.documents["following_accounts.csv"] = _csv(FOLLOWING_HEADERS, [
            [_acct(a, domain), "true", "false", ""]
            for a in await account_data.followed_accounts(session, account.id)])
        plan.documents["muted_accounts.csv"] = _csv(MUTED_HEADERS, [
            [_acct(a, domain), "true" if hide else "false"]
            for a, hide in await account_data.muted_accounts(session, account.id)])
        plan.documents["blocked_accounts.csv"] = _csv(None, [
            [_acct(a, domain)] for a in await account_data.blocked_accounts(session, account.id)])
        plan.documents["blocked_domains.csv"] = _csv(None, [
            [row.domain] for row in await domain_block_queries.blocks_of(session, account.id)])
    return plan


async def _outbox(services: Services, session: AsyncSession, account: Account,
                  plan: ArchivePlan) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    items: list[dict[str, Any]] = []
    prompts: list[dict[str, Any]] = []
    for status in await account_data.statuses_of(session, account.id):
        if status.reblog_of_id is not None:
            boosted = await status_queries.by_id(session, status.reblog_of_id)
            if boosted is not None:
                items.append(archived_announce(status, account, boosted))
            continue
        activity = create_activity(status, await note_parts(services, session, status, account),
                                   services.config)
        activity.pop("@context", None)
        prompt = await _add_media_and_prompt(session, status, activity["object"], plan)
        if prompt is not None:
            prompts.append(prompt)
        items.append(activity)
    return items, prompts


async def _add_media_and_prompt(session: AsyncSession, status: Status, note: dict[str, Any],
                                plan: ArchivePlan) -> dict[str, Any] | None:
    """Point the Note's attachments at their archive files, and give the post's prompt,
    model and seed: the archive is for its author, who may see them even unpublished."""
    media = await status_queries.attachments(session, status.id)
    for attachment, item in zip(note.get("attachment", []), media, strict=False):
        ext = EXTENSIONS.get(item.original_type, "bin")
        path = f"media_attachments/files/{item.id}/original/{item.sha256}.{ext}"
        plan.media.append((path, item.original_key))
        attachment["url"], attachment["mediaType"] = path, item.original_type
    generation_id = next((m.generation_id for m in media if m.generation_id), None)
    generation = await account_data.generation_of(session, generation_id) \
        if generation_id else None
    if generation is None:
        return None
    note.setdefault("prompt", generation.prompt)
    note.setdefault("model", generation.model)
    if generation.seed is not None:
        note.setdefault("seed", generation.seed)
    return {"status": status.uri, "prompt": generation.prompt, "model": generation.model,
            "seed": generation.seed, "size": generation.size, "quality": generation.quality,
            "style": generation.style, "published": status.prompt is not None,
            "created_at": format_datetime(generation.created_at)}


async def write_archive(services: Services, store: MediaStore, username: str,
                        output: Path) -> int:
    """Write the archive to `output` (refused if it exists); returns its size in bytes.
    Written beside it and renamed, so a failed export never leaves half an archive."""
    await asyncio.to_thread(_check_output, output)
    plan = await plan_archive(services, username)
    tmp = await asyncio.to_thread(_temp_beside, output)
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, data in plan.documents.items():
                await asyncio.to_thread(archive.writestr, name, data)
            for path, key in plan.media:
                await _add_media(archive, store, path, key)
        await asyncio.to_thread(os.replace, tmp, output)
    except BaseException:
        await asyncio.to_thread(tmp.unlink, missing_ok=True)
        raise
    return await asyncio.to_thread(_size, output)


def _check_output(output: Path) -> None:
    if output.exists():
        raise InvalidInput(N_("%(path)s exists already: choose another file name"),
                           path=str(output))
    if not output.parent.is_dir():
        raise InvalidInput(N_("%(path)s is not a directory"), path=str(output.parent))


def _temp_beside(output: Path) -> Path:
    fd, name = tempfile.mkstemp(dir=output.parent, prefix=".export-", suffix=".zip")
    os.close(fd)
    return Path(name)


def _size(path: Path) -> int:
    return path.stat().st_size


async def _add_media(archive: zipfile.ZipFile, store: MediaStore, path: str, key: str) -> None:
    """Images are already compressed: stored as they are, streamed from the store (disk or
    bucket) a chunk at a time. A missing file is skipped, as Mastodon does; the outbox
    still names it."""
    try:
        opened = await store.open(key)
    except MediaFileMissing:
        return
    entry = zipfile.ZipInfo(path, date_time=time.localtime()[:6])
    entry.compress_type = zipfile.ZIP_STORED
    entry.file_size = opened.size
    try:
        handle = await asyncio.to_thread(archive.open, entry, "w")
        try:
            async for chunk in opened.chunks():
                await asyncio.to_thread(handle.write, chunk)
        finally:
            await asyncio.to_thread(handle.close)
    finally:
        await opened.close()
