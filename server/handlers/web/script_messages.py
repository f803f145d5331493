"""What the page's scripts say (static/app.js, compose.js, profiles.js), in the reader's
language: base.html hands them to the scripts as JSON (#ui-messages, read by app.js's
window.dreamfeedText), so the scripts need no catalogue of their own. Each message is marked
here for `make messages`; a script that adds one adds it here too."""

from __future__ import annotations

from server import i18n
from server.i18n import N_

MESSAGES = (
    # app.js
    N_("Too many requests: try again in a moment."),
    N_("That did not work."),
    N_("The server could not be reached. Check your connection and try again."),
    N_("Loading…"),
    N_("Load more"),
    N_("Could not load more posts. Try again."),
    N_("Could not load the new posts. Try again."),
    # compose.js
    N_("The server answered %(status)s; try again."),
    N_("You have used all %(limit)s of today's images. More %(when)s, at midnight UTC."),
    N_("%(left)s of %(limit)s images left today; the count resets %(when)s, at midnight UTC. "
       "Prompts refused by moderation count too."),
    N_("The generation could not be started."),
    N_("Dreamfeed could not be reached. Check your connection and try again."),
    N_("This generation is gone."),
    N_("Connection lost; still trying…"),
    N_("The draft could not be discarded."),
    N_("Pick at least one image for your post."),
    # profiles.js
    N_("Follow"),
    N_("Following"),
    N_("Requested"),
    N_("Waiting for approval; press to withdraw the request"),
    N_("You follow this account; press to unfollow"),
    N_("The server answered %(status)s."),
    N_("Could not reach the server. Try again."),
)


def catalogue() -> dict[str, str]:
    """The scripts' messages translated into the current language (none in English: the
    scripts' own words are the English ones)."""
    if i18n.current() == i18n.SOURCE_LANGUAGE:
        return {}
    return {message: i18n.gettext(message) for message in MESSAGES}
