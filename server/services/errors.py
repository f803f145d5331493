"""Errors that services raise for handlers and the CLI to turn into messages."""


class ServiceError(Exception):
    """A request the service refuses, with a message fit to show the user."""


class NotFound(ServiceError):
    pass


class Conflict(ServiceError):
    pass


class InvalidInput(ServiceError):
    pass
