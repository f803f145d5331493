"""Refusals made before or beside a page's own handler, in the reader's language over real
HTTP: the CSRF check's "Form expired" page (a visitor's browser language, a signed-in
user's account choice: the check runs after the language middleware, which reads the
session) and a page link's bad cursor (storage.pagination.InvalidPage, said by the web
handlers)."""

from __future__ import annotations

from tests.federation.conftest import StartInstance
from tests.server.web_helpers import browser

FRENCH = {"Accept-Language": "fr-FR,fr;q=0.9"}
EXPIRED_FR = "Formulaire expiré"
EXPIRED_WHY_FR = "son jeton de sécurité manque ou ne correspond pas à votre session"


async def test_the_form_expired_page_is_in_the_readers_language(start: StartInstance) -> None:
    a = await start("a")
    await a.add_user("alice")
    async with browser(a) as b:
        english = await b.post("/auth/sign_in", {"login": "alice", "password": "x"},
                               csrf="stale")
        assert english.status == 403 and "Form expired" in english.text
        async with b.session.post(a.base + "/auth/sign_in", headers=FRENCH,
                                  data={"login": "alice", "password": "x",
                                        "csrf_token": "stale"}) as response:
            text = await response.text()
            assert response.status == 403
            assert EXPIRED_FR in text and EXPIRED_WHY_FR in text
            assert '<html lang="fr"' in text

    async with browser(a) as b:
        await b.sign_in("alice", "correct horse")
        assert (await b.post("/settings/language", {"language": "fr"})).status == 303
        # The account's choice, read from the session, beats the browser's.
        async with b.session.post(a.base + "/settings/language",
                                  headers={"Accept-Language": "en"},
                                  data={"language": "en"}) as response:
            text = await response.text()
            assert response.status == 403 and EXPIRED_FR in text
        assert '<html lang="fr"' in (await b.get("/home")).text  # nothing was changed


async def test_a_bad_page_cursor_is_refused_in_the_readers_language(
        start: StartInstance) -> None:
    a = await start("a")
    await a.add_user("alice")
    page = {"Accept": "text/html"}
    async with browser(a) as b:
        async with b.session.get(a.base + "/local?max_id=soon", headers=page) as response:
            assert response.status == 400
            assert ("The link to this page is broken: max_id must be an id, not "
                    "&#39;soon&#39;.") in await response.text()
        async with b.session.get(a.base + "/@alice/followers?limit=many",
                                 headers={**page, **FRENCH}) as response:
            assert response.status == 400
            assert ("Le lien vers cette page est incorrect : limit doit être un nombre, et "
                    "non &#39;many&#39;.") in await response.text()
        await b.sign_in("alice", "correct horse")
        b.session.cookie_jar.update_cookies({"dreamfeed_language": "fr"})
        async with b.session.get(a.base + "/follow_requests?since_id=x") as response:
            # A script's "load more" (no page asked for): the same words, as plain text.
            assert response.status == 400
            assert await response.text() == ("Le lien vers cette page est incorrect : "
                                             "since_id doit être un identifiant, et non 'x'")
