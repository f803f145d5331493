"""OAuth 2's own errors (RFC 6749 5.2 and 4.1.2.1): a code such as `invalid_grant` with a
description, answered as {"error": code, "error_description": description}; the texts are
Doorkeeper's (Mastodon's OAuth library), which clients show as they come."""

from __future__ import annotations

from server.services.errors import ServiceError

DESCRIPTIONS = {
    "invalid_request": "The request is missing a required parameter, includes an unsupported "
                       "parameter value, or is otherwise malformed.",
    "invalid_client": "Client authentication failed due to unknown client, no client "
                      "authentication included, or unsupported authentication method.",
    "invalid_grant": "The provided authorization grant is invalid, expired, revoked, does not "
                     "match the redirection URI used in the authorization request, or was "
                     "issued to another client.",
    "unsupported_grant_type": "The authorization grant type is not supported by the "
                              "authorization server.",
    "invalid_scope": "The requested scope is invalid, unknown, or malformed.",
    "access_denied": "The resource owner or authorization server denied the request.",
    "unsupported_response_type": "The authorization server does not support this response "
                                 "type.",
    "invalid_redirect_uri": "The requested redirect uri is malformed or doesn't match client "
                            "redirect URI.",
    "unauthorized_client": "You are not authorized to revoke this token",
}
# invalid_client is a failed authentication (401); a revocation the client may not make is
# forbidden (403); every other error is a bad request.
STATUSES = {"invalid_client": 401, "unauthorized_client": 403}


class OAuthError(ServiceError):
    def __init__(self, error: str, description: str | None = None) -> None:
        self.error = error
        self.description = description or DESCRIPTIONS[error]
        self.status = STATUSES.get(error, 400)
        super().__init__(self.description)
