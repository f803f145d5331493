"""Our rows -> ActivityStreams documents (the way out), by entity. Pure functions over loaded
rows; the services load the rows, call these, and hand the result to delivery."""

from server.render.to_activitypub.accounts import (
    actor_delete,
    actor_update,
    local_actor,
    move,
)
from server.render.to_activitypub.moderation import flag
from server.render.to_activitypub.relationships import (
    accept_follow,
    block,
    follow,
    like,
    reject_follow,
    undo_block,
    undo_follow,
    undo_like,
)
from server.render.to_activitypub.statuses import (
    AttachmentView,
    NoteParts,
    announce,
    archived_announce,
    create_activity,
    delete_activity,
    note,
    undo_announce,
    update_activity,
)

__all__ = [
    "AttachmentView",
    "NoteParts",
    "accept_follow",
    "actor_delete",
    "actor_update",
    "announce",
    "archived_announce",
    "block",
    "create_activity",
    "delete_activity",
    "flag",
    "follow",
    "like",
    "local_actor",
    "move",
    "note",
    "reject_follow",
    "undo_announce",
    "undo_block",
    "undo_follow",
    "undo_like",
    "update_activity",
]
