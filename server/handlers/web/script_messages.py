"""What the page's scripts say (static/app.js, compose.js, compose_describe.js, profiles.js,
viewer.js), in the reader's language: base.html hands them to the scripts as JSON
(#ui-messages, read by app.js's window.dreamfeedText), so the scripts need no catalogue of
their own. Each message is marked here for `make messages`; a script that adds one adds it
here too (tests/server/i18n/test_page_words.py checks that every `text("...")` is here)."""

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
    N_("Notifications"),
    N_("%(count)s unread"),
    N_("1 new post"),
    N_("%(count)s new posts"),
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
    N_("Starting…"),
    N_("%(seconds)s s"),
    # compose_describe.js
    N_("Replace the alt text you wrote with a draft?"),
    N_("Describing…"),
    N_("Asking the vision model to describe the image…"),
    N_("The image could not be described; try again."),
    N_("Drafted by %(model)s from the image: read it and correct it before posting."),
    N_("%(left)s of %(limit)s descriptions left today."),
    N_("Replace your caption with the suggestion?"),
    # profiles.js
    N_("Follow"),
    N_("Following"),
    N_("Requested"),
    N_("Waiting for approval; press to withdraw the request"),
    N_("You follow this account; press to unfollow"),
    N_("The server answered %(status)s."),
    N_("Could not reach the server. Try again."),
    # viewer.js
    N_("Zoom in"),
    N_("Zoom out"),
    N_("Close"),
    N_("Previous image"),
    N_("Next image"),
    N_("Open post"),
    N_("Image %(number)s of %(total)s"),
    N_("Image %(number)s of %(total)s by %(name)s"),
    N_("No description."),
    N_("Prompt"),
    N_("Made with"),
)


def catalogue() -> dict[str, str]:
    """The scripts' messages translated into the current language (none in English: the
    scripts' own words are the English ones)."""
    if i18n.current() == i18n.SOURCE_LANGUAGE:
        return {}
    return {message: i18n.gettext(message) for message in MESSAGES}
