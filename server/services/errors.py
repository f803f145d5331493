"""Errors that services raise for handlers and the CLI to turn into messages."""


class ServiceError(Exception):
    """A request the service refuses, with a message fit to show the user."""


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


class RateLimited(ServiceError):
    """Too many requests of one kind from one client; `retry_after` is the number of whole
    seconds until the window frees up (sent as HTTP Retry-After)."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
