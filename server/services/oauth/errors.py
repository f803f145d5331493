"""OAuth 2's own errors (RFC 6749 5.2 and 4.1.2.1): a code such as `invalid_grant` with a
description, answered as {"error": code, "error_description": description}; the texts are
Doorkeeper's (Mastodon's OAuth library), which clients show as they come."""

from __future__ import annotations

from server.i18n import N_
from server.services.errors import ServiceError

DESCRIPTIONS = {
    "invalid_request": N_("The request is missing a required parameter, includes an "
                          "unsupported parameter value, or is otherwise malformed."),
    "invalid_client": N_("Client authentication failed due to unknown client, no client "
                         "authentication included, or unsupported authentication method."),
    "invalid_grant": N_("The provided authorization grant is invalid, expired, revoked, does "
                        "not match the redirection URI used in the authorization request, or "
                        "was issued to another client."),
    "unsupported_grant_type": N_("The authorization grant type is not supported by the "
                                 "authorization server."),
    "invalid_scope": N_("The requested scope is invalid, unknown, or malformed."),
    "access_denied": N_("The resource owner or authorization server denied the request."),
    "unsupported_response_type": N_("The authorization server does not support this response "
                                    "type."),
    "invalid_redirect_uri": N_("The requested redirect uri is malformed or doesn't match "
                               "client redirect URI."),
    "unauthorized_client": N_("You are not authorized to revoke this token"),
}
# invalid_client is a failed authentication (401); a revocation the client may not make is
# forbidden (403); every other error is a bad request.
STATUSES = {"invalid_client": 401, "unauthorized_client": 403}


class OAuthError(ServiceError):
    """`error` is the RFC 6749 code, sent as it is; the message is the description, an N_
    template with any values as keywords (Doorkeeper's description of the code when none is
    given), translated where a page shows it."""

    def __init__(self, description: str = "", *, error: str, **values: object) -> None:
        self.error = error
        self.status = STATUSES.get(error, 400)
        super().__init__(description or DESCRIPTIONS[error], **values)
        # Filled in, in English: the error_description clients get.
        self.description = str(self)
