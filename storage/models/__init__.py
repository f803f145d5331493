"""SQLAlchemy 2 models. Plain rows: decisions live in server/services, not here.

One module per group of tables; everything is re-exported here, so `from storage.models
import X` is the way to use them, and importing this package registers every table on
`Base.metadata` (Alembic's env relies on it).

Every primary key is a 64-bit time-sortable id from storage.ids; every timestamp is UTC-aware.
Later migrations only add tables and columns to what is here.
"""

from __future__ import annotations

from storage.models.accounts import Account, AccountKey, InstanceSetting, Marker, User, WebSession
from storage.models.base import Base, Id
from storage.models.conversations import Conversation, ConversationStatus
from storage.models.federation import DeliveryHost, InboxActivity, OutgoingActivity, Tombstone
from storage.models.interactions import InteractionRequest
from storage.models.jobs import Job
from storage.models.media import (
    Generation,
    GenerationQuota,
    MediaAttachment,
    PendingMedia,
    RemoteMedia,
    new_url_secret,
)
from storage.models.moderation import (
    AuditEntry,
    DomainAllow,
    DomainBlock,
    Invite,
    PromptRefusal,
    Report,
)
from storage.models.oauth import OAuthApp, OAuthCode, OAuthToken
from storage.models.quotes import Quote, QuotePolicy
from storage.models.relationships import (
    AccountDomainBlock,
    AccountList,
    Block,
    Filter,
    Follow,
    ListMember,
    Mute,
)
from storage.models.statuses import (
    Bookmark,
    Favourite,
    Mention,
    Notification,
    Status,
    StatusPin,
    StatusTag,
    Tag,
    TagFollow,
)

__all__ = [
    "Account",
    "AccountDomainBlock",
    "AccountKey",
    "AccountList",
    "AuditEntry",
    "Base",
    "Block",
    "Bookmark",
    "Conversation",
    "ConversationStatus",
    "DeliveryHost",
    "DomainAllow",
    "DomainBlock",
    "Favourite",
    "Filter",
    "Follow",
    "Generation",
    "GenerationQuota",
    "Id",
    "InboxActivity",
    "InstanceSetting",
    "InteractionRequest",
    "Invite",
    "Job",
    "ListMember",
    "Marker",
    "MediaAttachment",
    "Mention",
    "Mute",
    "Notification",
    "OAuthApp",
    "OAuthCode",
    "OAuthToken",
    "OutgoingActivity",
    "PendingMedia",
    "PromptRefusal",
    "Quote",
    "QuotePolicy",
    "RemoteMedia",
    "Report",
    "Status",
    "StatusPin",
    "StatusTag",
    "Tag",
    "TagFollow",
    "Tombstone",
    "User",
    "WebSession",
    "new_url_secret",
]
