"""Errors that services raise for handlers and the CLI to turn into messages."""


class ServiceError(Exception):
    """A request the service refuses, with a message fit to show the user."""


class NotFound(ServiceError):
    pass


class Conflict(ServiceError):
    pass


class InvalidInput(ServiceError):
    pass


class Dropped(Exception):
    """An incoming activity that cannot be trusted or makes no sense: it is kept, marked
    ignored, and never retried (raised by the inbox appliers, caught by inbox_apply)."""
