"""The base of the errors shown to users, low enough for every layer to raise or catch.

`server.services.errors` builds the rest of the family on `ServiceError` and re-exports both
names; `RateLimited` lives here because the rate limiter, a shared low module that services
call, raises it, and a low module must not import the services above it.
"""


class ServiceError(Exception):
    """A request the service refuses, with a message fit to show the user."""


class RateLimited(ServiceError):
    """Too many requests of one kind from one client; `retry_after` is the number of whole
    seconds until the window frees up (sent as HTTP Retry-After)."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
