"""Errors that services raise for handlers and the CLI to turn into messages."""

# The base and RateLimited live in the low server.errors (the rate limiter raises one).
from server.errors import RateLimited as RateLimited
from server.errors import ServiceError as ServiceError


class NotFound(ServiceError):
    pass


class Conflict(ServiceError):
    pass


class Forbidden(ServiceError):
    """The thing exists and the user may see it, but may not do this to it (another
    person's post to edit or delete)."""


class Gone(ServiceError):
    """It existed and was deleted for good (a post, or everything of a deleted account):
    answered with 410, as Mastodon does, so other servers drop their copies."""


class InvalidInput(ServiceError):
    pass


class AccountSuspended(ServiceError):
    """The local account is suspended by a moderator: it may not post, follow or generate."""


class PromptRefused(ServiceError):
    """A prompt refused before generation (blocklist or moderation service); the message
    says why."""


class GenerationDisabled(ServiceError):
    """An admin switched image generation off for this user."""


class Dropped(Exception):
    """An incoming activity that cannot be trusted or makes no sense: it is kept, marked
    ignored, and never retried (raised by the inbox appliers, caught by inbox_apply)."""
