"""Choosing the interface's language over real HTTP: the footer's picker (a GET that sets a
cookie and goes back, only to a path on this site), Settings > Language (kept with the
account, on SQLite and PostgreSQL; a language not offered is refused in words, in the
reader's language), and the order: account, cookie, Accept-Language, the instance's."""

from __future__ import annotations

from tests.federation.conftest import StartInstance
from tests.server.web_helpers import browser

FRENCH = {"Accept-Language": "fr-FR,fr;q=0.9"}


async def test_the_footer_picker_sets_a_cookie_and_goes_back(start: StartInstance) -> None:
    a = await start("a")
    async with browser(a) as b:
        page = await b.get("/local")
        assert '<html lang="en" dir="ltr">' in page.text
        assert 'action="/language"' in page.text
        picked = await b.get("/language?language=ar&back=/local")
        assert picked.status == 303 and picked.location == "/local"
        assert b.cookie("dreamfeed_language") == "ar"
        assert '<html lang="ar" dir="rtl">' in (await b.get("/local")).text
        # Elsewhere than this site: home instead. A language not offered: the browser's.
        away = await b.get("/language?language=fr&back=//evil.example/")
        assert away.status == 303 and away.location == "/"
        await b.get("/language?language=xx")
        assert b.cookie("dreamfeed_language") in (None, "")
        async with b.session.get(a.base + "/local", headers=FRENCH) as response:
            assert '<html lang="fr" dir="ltr">' in await response.text()
            assert response.headers["Content-Language"] == "fr"


async def test_the_account_setting_is_kept_and_checked(start: StartInstance) -> None:
    a = await start("a")
    await a.add_user("alice")
    async with browser(a) as b:
        await b.sign_in("alice", "correct horse")
        page = await b.get("/settings/language")
        assert page.status == 200 and "Interface language" in page.text
        refused = await b.post("/settings/language", {"language": "klingon"})
        assert refused.status == 422
        assert "Choose one of the languages in the list." in refused.text
        saved = await b.post("/settings/language", {"language": "fr"})
        assert saved.status == 303 and saved.location == "/settings/language?saved=1"
        page = await b.get("/settings/language?saved=1")
        assert '<html lang="fr"' in page.text and "Votre langue a été enregistrée." in page.text
        # The account beats the browser and the cookie.
        b.session.cookie_jar.update_cookies({"dreamfeed_language": "ar"})
        async with b.session.get(a.base + "/home",
                                 headers={"Accept-Language": "en"}) as response:
            assert '<html lang="fr"' in await response.text()
        # Refused in the reader's language.
        refused = await b.post("/settings/language", {"language": "klingon"})
        assert "Choisissez l\u2019une des langues de la liste." in refused.text
        # Kept with the account: another browser signed in as alice gets French.
    async with browser(a) as other:
        await other.sign_in("alice", "correct horse")
        assert '<html lang="fr"' in (await other.get("/home")).text


async def test_the_instance_default_applies_last(start: StartInstance) -> None:
    a = await start("a", instance={"interface_language": "fr"})
    async with browser(a) as b:
        assert '<html lang="fr"' in (await b.get("/local")).text
        async with b.session.get(a.base + "/local",
                                 headers={"Accept-Language": "ar, en;q=0.5"}) as response:
            assert '<html lang="ar" dir="rtl"' in await response.text()
