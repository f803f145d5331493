"""The base of the errors shown to users, low enough for every layer to raise or catch.

`server.services.errors` builds the rest of the family on `ServiceError` and re-exports both
names; `RateLimited` lives here because the rate limiter, a shared low module that services
call, raises it, and a low module must not import the services above it.
"""


class ServiceError(Exception):
    """A request the service refuses, with a message fit to show the user.

    The message is English, marked with server.i18n.N_ for translation. A message with values
    in it is a %(name)s template with the values as keywords, so that a page translates the
    template and then fills it in: `InvalidInput(N_("at most %(limit)s images"), limit=4)`.
    str() of the error is the English message, filled in (what the client API and CLI show).
    """

    def __init__(self, message: str = "", **values: object) -> None:
        self.template = message
        self.values = values
        super().__init__(message % values if values else message)


class RateLimited(ServiceError):
    """Too many requests of one kind from one client; `retry_after` is the number of whole
    seconds until the window frees up (sent as HTTP Retry-After)."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
