"""Quote posts in the web app (HTTP, both databases): the Quote action on a card (offered,
or shown disabled with the reason), the quote page with the quoted post as a card, a text
quote posted from it and "Quote with a new image" leading to the compose page, the quote
shown as a card in the quoting post, and the quoted author's "Remove quote"."""

from __future__ import annotations

import re

from server.services.social import follows
from server.services.statuses import posts
from tests.federation.conftest import StartInstance
from tests.server.web_helpers import browser

PASSWORD = "correct horse"


def _card(html: str, status_id: int) -> str:
    return html.split(f'id="post-{status_id}"', 1)[1].split("</article>", 1)[0]


async def test_quote_in_the_web_app(start: StartInstance) -> None:
    a = await start("a")
    alice = await a.add_user("alice")
    await a.add_user("carol")
    night, garden = await a.make_images(alice.account_id, "a night sky", n=2)
    public = await posts.create_status(a.services, "alice", posts.NewStatus(
        media_ids=[night], caption="Night sky"))
    secret = await posts.create_status(a.services, "alice", posts.NewStatus(
        media_ids=[garden], caption="Secret garden", visibility="private"))
    await follows.follow(a.services, "carol", a.handle("alice"))

    async with browser(a) as carol:
        assert (await carol.sign_in("carol", PASSWORD)).status == 303
        page = await carol.get(f"/@alice/{public.id}")
        assert f'href="/web/posts/{public.id}/quote"' in _card(page.text, public.id)
        page = await carol.get(f"/@alice/{secret.id}")
        assert page.status == 200
        card = _card(page.text, secret.id)
        assert 'class="action quote disabled" title="Only public and unlisted posts can be ' \
               'quoted"' in card

        page = await carol.get(f"/web/posts/{public.id}/quote")
        assert page.status == 200
        assert 'class="quote-card"' in page.text and "Night sky" in page.text
        assert f'href="/compose?quote_of={public.id}">Quote with a new image</a>' in page.text
        refused = await carol.get(f"/web/posts/{secret.id}/quote")
        assert "This post cannot be quoted. Only public and unlisted posts can be quoted." \
            in refused.text
        # The reason in the reader's language (an N_ template the page translates).
        carol.session.cookie_jar.update_cookies({"dreamfeed_language": "fr"})
        card = _card((await carol.get(f"/@alice/{secret.id}")).text, secret.id)
        assert 'title="Seules les publications publiques et non listées peuvent être ' \
               'citées"' in card
        refused = await carol.get(f"/web/posts/{secret.id}/quote")
        assert "Cette publication ne peut pas être citée. Seules les publications publiques " \
               "et non listées peuvent être citées." in refused.text
        carol.session.cookie_jar.update_cookies({"dreamfeed_language": "en"})
        composing = await carol.get(f"/compose?quote_of={public.id}")
        assert composing.status == 200 and "Quoting" in composing.text
        assert f'name="quote_of" value="{public.id}"' in composing.text

        made = await carol.post(f"/web/posts/{public.id}/quote",
                                {"caption": "look at this sky", "visibility": "public"})
        assert made.status == 303
        path = made.headers["Location"]
        quote_id = int(path.rsplit("/", 1)[1])
        page = await carol.get(path)
        card = _card(page.text, quote_id)
        assert "has-quote" in page.text and 'class="quote-card"' in card
        assert f'href="/@alice/{public.id}"' in card and "Night sky" in card
        assert "Remove quote" not in card  # only the quoted author may

    async with browser(a) as alice_web:
        assert (await alice_web.sign_in("alice", PASSWORD)).status == 303
        page = await alice_web.get(path)
        found = re.search(r'action="(/web/quotes/\d+/revoke)"', _card(page.text, quote_id))
        assert found, "no Remove quote form for the quoted author"
        done = await alice_web.post(found.group(1), {"next": path}, form_page=path)
        assert done.status == 303
        page = await alice_web.get(path)
        assert "The quoted author removed this quote" in _card(page.text, quote_id)
        alice_web.session.cookie_jar.update_cookies({"dreamfeed_language": "fr"})
        page = await alice_web.get(path)
        assert "L\u2019auteur cité a retiré cette citation" in _card(page.text, quote_id)
