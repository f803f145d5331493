"""The URL patterns of a Dreamfeed instance, fixed for its lifetime.

Every ActivityPub id embeds one of these, so they never change once an instance federates.
All are built from the configured scheme and domain, never from a request's Host header.

    /users/{username}                      actor (Person); HTML profile for browsers
    /users/{username}#main-key             its public key
    /users/{username}/inbox                personal inbox
    /users/{username}/outbox               outbox collection
    /users/{username}/followers            followers collection
    /users/{username}/following            following collection
    /users/{username}/collections/featured its pinned posts (Mastodon's `featured`)
    /users/{username}/statuses/{id}        a post (Note)
    /users/{username}/statuses/{id}/activity   the post's Create activity
    /users/{username}/follows/{id}         a Follow activity we sent
    /tags/{name}                           a hashtag's page
    /@{username}                           profile page (HTML)
    /@{username}/{id}                      post page (HTML)
    /actor                                 the instance actor (Application)
    /actor#main-key, /actor/inbox, /actor/outbox
    /inbox                                 shared inbox
    /media/{id}/{secret}/{filename}        a stored media file (/media/{id}/{filename} for
                                           files stored before URLs had a secret)
    /media/remote/{id}/{secret}/{filename} our copy of a remote post's image (likewise
                                           /media/remote/{id}/{filename} for older rows)
    /media/avatars/{account_id}/{filename} our copy of a remote account's avatar or header
    /static/avatar.png, /static/header.png the default avatar and header
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Urls:
    base: str  # scheme://domain, no trailing slash

    # Local accounts
    def actor(self, username: str) -> str:
        return f"{self.base}/users/{username}"

    def key_id(self, username: str) -> str:
        return f"{self.actor(username)}#main-key"

    def inbox(self, username: str) -> str:
        return f"{self.actor(username)}/inbox"

    def outbox(self, username: str) -> str:
        return f"{self.actor(username)}/outbox"

    def followers(self, username: str) -> str:
        return f"{self.actor(username)}/followers"

    def following(self, username: str) -> str:
        return f"{self.actor(username)}/following"

    def featured(self, username: str) -> str:
        return f"{self.actor(username)}/collections/featured"

    def profile(self, username: str) -> str:
        return f"{self.base}/@{username}"

    # Posts and activities
    def status(self, username: str, status_id: int) -> str:
        return f"{self.actor(username)}/statuses/{status_id}"

    def status_activity(self, username: str, status_id: int) -> str:
        return f"{self.status(username, status_id)}/activity"

    def status_page(self, username: str, status_id: int) -> str:
        return f"{self.profile(username)}/{status_id}"

    def tag(self, name: str) -> str:
        return f"{self.base}/tags/{name}"

    def follow_activity(self, username: str, follow_id: int) -> str:
        return f"{self.actor(username)}/follows/{follow_id}"

    # Instance-wide
    @property
    def shared_inbox(self) -> str:
        return f"{self.base}/inbox"

    @property
    def instance_actor(self) -> str:
        return f"{self.base}/actor"

    @property
    def instance_key_id(self) -> str:
        return f"{self.instance_actor}#main-key"

    @property
    def instance_inbox(self) -> str:
        return f"{self.instance_actor}/inbox"

    @property
    def instance_outbox(self) -> str:
        return f"{self.instance_actor}/outbox"

    @property
    def about(self) -> str:
        return f"{self.base}/about"

    # What an account without its own avatar or header shows (server/static, drawn by
    # tools/static_images.py): the client API never answers null for them.
    @property
    def default_avatar(self) -> str:
        return f"{self.base}/static/avatar.png"

    @property
    def default_header(self) -> str:
        return f"{self.base}/static/header.png"

    def media(self, media_id: int, secret: str | None, filename: str) -> str:
        return f"{self.base}/media/{media_path(media_id, secret, filename)}"

    def nodeinfo(self, version: str) -> str:
        return f"{self.base}/nodeinfo/{version}"

    @property
    def webfinger_template(self) -> str:
        return f"{self.base}/.well-known/webfinger?resource={{uri}}"

    @property
    def authorize_interaction_template(self) -> str:
        return f"{self.base}/authorize_interaction?uri={{uri}}"


def media_path(media_id: int, secret: str | None, filename: str) -> str:
    """A media file's path below /media/ (or below [media] base_url)."""
    return f"{media_id}/{secret}/{filename}" if secret else f"{media_id}/{filename}"
