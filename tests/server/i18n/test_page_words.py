"""Every word the web app shows can be translated (issue 21). Handlers put no bare English on a
page: what they pass to `failed()`, as `error=`/`message=`/`notice=`/`title=`, in a page's or
a script's JSON under those keys, as an HTTP refusal's text, as an admin action's notice, or
as a refusal they raise themselves, is `_("...")` (or `gettext`, `ngettext`, an `N_`-marked
template translated where it is shown), never a plain literal or an f-string, which no
catalogue could hold. The scripts (server/static/*.js) say everything through `text("...")`
(app.js's window.dreamfeedText), and every such message is in script_messages.MESSAGES, which
base.html hands them translated. Then a few of these, asked for in French over real HTTP."""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from pathlib import Path

import server.app  # imports every service, so every error class is defined
from server.errors import ServiceError
from server.handlers.web.script_messages import MESSAGES
from tests.federation.conftest import StartInstance
from tests.server.web_helpers import Browser, browser

SERVER = Path(server.app.__file__).parent
HANDLERS = SERVER / "handlers"
STATIC = SERVER / "static"
PAGE_MODULES = (*sorted((HANDLERS / "web").rglob("*.py")), HANDLERS / "pages.py",
                HANDLERS / "session.py", HANDLERS / "auth.py")

# Keywords and JSON/context keys whose value a page or a script shows to the reader.
SHOWN_KEYS = frozenset({"error", "message", "notice", "title"})
# What translates: its first argument must be a literal (or a name holding an N_ template).
TRANSLATING = frozenset({"_", "gettext", "ngettext", "N_"})


def _service_errors() -> set[str]:
    found: set[str] = set()
    pending: list[type] = [ServiceError]
    while pending:
        cls = pending.pop()
        found.add(cls.__name__)
        pending.extend(cls.__subclasses__())
    return found


def _name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    return func.attr if isinstance(func, ast.Attribute) else ""


# A code for machines, not words: OAuth's "access_denied", a kind such as "rate_limited".
_CODE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)+")


def _english(node: ast.expr | None) -> bool:
    """A literal with words in it, not wrapped in a translating call: a string, an f-string
    whose own text has letters (f"#{name}" has none), one glued to others, or one .format()ed."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str) and re.search("[A-Za-z]", node.value) is not None \
            and not _CODE.fullmatch(node.value)
    if isinstance(node, ast.JoinedStr):
        return any(_english(part) for part in node.values if isinstance(part, ast.Constant))
    if isinstance(node, ast.BinOp):
        return _english(node.left) or _english(node.right)
    if isinstance(node, ast.IfExp):
        return _english(node.body) or _english(node.orelse)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
            and node.func.attr == "format":
        return _english(node.func.value)
    return False


# Words beside a space in an f-string's own text: a sentence ("You cannot reply: {exc}",
# "generation {state} for @{name}"), where URLs, paths and protocol lines have none.
_SENTENCE = re.compile(r"[A-Za-z]{2,} | [A-Za-z]{2,}")


def _sentence(node: ast.JoinedStr) -> bool:
    return any(isinstance(part, ast.Constant) and _SENTENCE.search(str(part.value))
               for part in node.values)


def _raised_message_problem(call: ast.Call) -> str | None:
    """As tests/server/i18n/test_service_messages.py asks of services: an N_ template."""
    if not call.args:
        return None
    message = call.args[0]
    if isinstance(message, ast.JoinedStr):
        return "an f-string refusal (use an N_ template with %(name)s and keywords)"
    if isinstance(message, ast.Constant | ast.BinOp):
        return "a refusal not marked with N_"
    if isinstance(message, ast.Call) and _name(message.func) != "N_":
        return "a refusal built by a call (use an N_ template with %(name)s and keywords)"
    return None


def _built(node: ast.expr | None) -> bool:
    """A string made at run time: an f-string, a concatenation, str() or .format()."""
    return isinstance(node, ast.JoinedStr | ast.BinOp) or (
        isinstance(node, ast.Call) and _name(node.func) in ("str", "format"))


def _call_problem(call: ast.Call) -> str | None:
    name = _name(call.func)
    if name in TRANSLATING:
        if call.args and _built(call.args[0]):
            return f"{name}() of a built string (use %(name)s placeholders and keywords)"
        return None
    if name == "failed" and len(call.args) > 1 and _english(call.args[1]):
        return "failed() with bare English"
    if name == "with_message" and len(call.args) > 2 and _english(call.args[2]):
        return "with_message() with bare English"
    for keyword in call.keywords:
        shown = keyword.arg in SHOWN_KEYS or (keyword.arg == "text" and name.startswith("HTTP"))
        if shown and _english(keyword.value):
            return f"{keyword.arg}= with bare English"
    return None


def _admin_actions(tree: ast.AST) -> Iterator[ast.AsyncFunctionDef]:
    """Admin actions (@action(...)): what they return is the notice the page shows."""
    for node in ast.walk(tree):
        if isinstance(node, ast.AsyncFunctionDef) and any(
                isinstance(d, ast.Call) and _name(d.func) == "action"
                for d in node.decorator_list):
            yield node


def problems_in(source: str, where: str = "<source>") -> list[str]:
    tree = ast.parse(source)
    errors = _service_errors()
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) \
                and _name(node.exc.func) in errors:
            problem = _raised_message_problem(node.exc)
            if problem:
                found.append((node.lineno, problem))
        elif isinstance(node, ast.Call):
            problem = _call_problem(node)
            if problem:
                found.append((node.lineno, problem))
        elif isinstance(node, ast.JoinedStr) and _sentence(node):
            found.append((node.lineno, "an f-string sentence (use _() with %(name)s)"))
        elif isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and key.value in SHOWN_KEYS \
                        and _english(value):
                    found.append((value.lineno, f'"{key.value}": bare English'))
    for function in _admin_actions(tree):
        for node in ast.walk(function):
            if isinstance(node, ast.Return) and _english(node.value):
                found.append((node.lineno, "an admin notice in bare English"))
    return [f"{where}:{line}: {problem}" for line, problem in sorted(found)]


def test_handlers_show_no_bare_english() -> None:
    found = [problem for path in PAGE_MODULES
             for problem in problems_in(path.read_text(), str(path.relative_to(SERVER.parent)))]
    assert not found, f"{len(found)} untranslatable texts:\n" + "\n".join(found)


def test_the_check_tells_words_from_code() -> None:
    bad = """
from server.services.errors import InvalidInput
def page(request, exc, name, n):
    failed(request, "That list does not exist.", status=404)
    render(request, "x.html", {"error": "no such list"})
    web.json_response({"ok": False, "error": "you are signed out"})
    raise web.HTTPBadRequest(text="offset must be a number")
    raise InvalidInput(f"at most {n} lists")
    raise InvalidInput("choose an image")
    see_other(with_message(path, "notice", "done"))
    _(f"requeued {n} jobs")
    errors.append(f"You cannot reply to that post: {exc}")
    return f"A list's name is at most {n} characters."
@action("/admin/reports/{id}")
async def resolve(request, form, user):
    return "resolved" if n else "reopened"
"""
    flagged = problems_in(bad)
    assert {int(problem.split(":")[1]) for problem in flagged} == set(range(4, 14)) | {16}, \
        "\n".join(flagged)
    assert problems_in("""
def page(request, exc, name, n):
    failed(request, _("That list does not exist."), status=404)
    render(request, "feed.html", {"title": f"#{name}", "error": page_message(exc)})
    web.json_response({"ok": False, "error": said(exc), "kind": "refused"})
    see_other(answer({"error": "access_denied", "title": _(TITLES.get(name, name))}))
    raise web.HTTPBadRequest(text=_("offset must be a number"))
    raise InvalidInput(N_("at most %(limit)s lists"), limit=n)
    log.exception("unhandled error", extra={"path": request.path})
    see_other(f"/lists/{n}?{urlencode({'error': _(ONLY_FOLLOWED)})}")
    response.write(f"event: {name}\\ndata: {n}\\n\\n".encode())
    return web.Response(headers={"Cache-Control": "public, max-age=3600"})
@action("/admin/reports/{id}")
async def resolve(request, form, user):
    return _("report %(id)s resolved", id=n)
""") == []


# --- the scripts ---------------------------------------------------------------------------

# `text("...")` (each script's name for window.dreamfeedText), its message one literal or
# several joined with +.
_LITERAL = r'"(?:[^"\\\n]|\\.)*"'
_TEXT_CALL = re.compile(rf"\b(?:text|dreamfeedText)\(\s*({_LITERAL}(?:\s*\+\s*{_LITERAL})*)")
# A literal that reads as English: a capitalised word starting it ("Close", "Zoom in"), or
# lower-case words with spaces ("1 new post"). Selectors, classes and events have neither.
_CAPITALISED = re.compile(r"^[A-Z][a-z]+(?:$|[ ,;:.!?…])")
_PHRASE = re.compile(r"(?:^|\s)[a-z]{2,}(?:\s+[a-z]{2,})+\s*[.!?…]?\s*$")
# Literals that read as words but no one sees: header names and key names, the month
# abbreviations of app.js's English-only relative times, and errors that are caught.
CODE_WORDS = frozenset({
    "use strict", "Accept", "Escape", "Tab", "bad blurhash", "bad blurhash length",
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
})


def _literals(source: str) -> Iterator[tuple[int, str]]:
    """(offset, text) of each quoted string of a script, comments left out."""
    i = 0
    while i < len(source):
        if source.startswith("//", i):
            end = source.find("\n", i)
            i = len(source) if end < 0 else end
        elif source.startswith("/*", i):
            i = source.index("*/", i) + 2
        elif source[i] in "\"'":
            j = i + 1
            while source[j] != source[i]:
                j += 2 if source[j] == "\\" else 1
            yield i, source[i + 1:j]
            i = j + 1
        else:
            i += 1


def _messages(source: str) -> Iterator[tuple[int, str]]:
    """(offset of each literal, the whole message) of every text("...") call."""
    for call in _TEXT_CALL.finditer(source):
        parts = list(re.finditer(_LITERAL, call.group(1)))
        message = "".join(json.loads(part.group()) for part in parts)
        for part in parts:
            yield call.start(1) + part.start(), message


def test_every_script_message_is_handed_to_the_scripts() -> None:
    missing = [f"{path.name}: {message!r}" for path in sorted(STATIC.glob("*.js"))
               for _, message in _messages(path.read_text()) if message not in MESSAGES]
    assert not missing, "not in script_messages.MESSAGES:\n" + "\n".join(missing)
    used = {message for path in STATIC.glob("*.js") for _, message in _messages(path.read_text())}
    assert not set(MESSAGES) - used, f"no script says {sorted(set(MESSAGES) - used)}"


def test_scripts_say_nothing_outside_text() -> None:
    found = []
    for path in sorted(STATIC.glob("*.js")):
        source = path.read_text()
        wrapped = {offset for offset, _ in _messages(source)}
        for offset, literal in _literals(source):
            if offset in wrapped or literal in CODE_WORDS:
                continue
            if _CAPITALISED.search(literal) or (" " in literal and _PHRASE.search(literal)):
                found.append(f"{path.name}:{source.count(chr(10), 0, offset) + 1}: {literal!r}")
    assert not found, "English a script shows without text():\n" + "\n".join(found)


# --- in French, over HTTP --------------------------------------------------------------------

FRENCH = {"Accept-Language": "fr-FR,fr;q=0.9"}


def _french(b: Browser) -> None:
    b.session.cookie_jar.update_cookies({"dreamfeed_language": "fr"})


async def test_refusals_on_pages_are_in_french(start: StartInstance) -> None:
    a = await start("a")
    await a.add_user("alice")
    async with browser(a) as b:
        await b.sign_in("alice", "correct horse")
        _french(b)
        # The list service's Mastodon words, said plainly by the page.
        blank = await b.post("/lists", {"title": "  "})
        assert blank.status == 422 and "Donnez un nom à la liste." in blank.text
        unnamed = await b.get("/lists/membership")
        assert unnamed.status == 400
        assert "Quel compte ? Le lien n\u2019en nomme aucun." in unnamed.text
        # A script asked for JSON: the refusal a handler raises itself, in French.
        async with b.session.post(a.base + "/compose/describe", headers={
                "Accept": "application/json"}, data={"csrf_token": await b.csrf("/compose")},
                allow_redirects=False) as response:
            assert response.status == 422
            assert (await response.json())["error"] == "Choisissez une image à décrire."
        # The scripts' own words travel with the page, translated.
        page = await b.get("/home")
        said = json.loads(page.text.split('id="ui-messages">', 1)[1].split("</script>", 1)[0])
        assert said["Zoom in"] == "Zoom avant"
        assert said["%(count)s new posts"] == "%(count)s nouvelles publications"
    async with browser(a) as b, b.session.get(a.base + "/compose/generations/1",
                                              headers=FRENCH) as response:
        # compose.js polling after the session ended.
        assert response.status == 401
        assert (await response.json())["error"] == "vous êtes déconnecté : reconnectez-vous"


async def test_admin_notices_are_in_the_admins_language(start: StartInstance) -> None:
    a = await start("a")
    await a.add_user("root", admin=True)
    async with browser(a) as b:
        await b.sign_in("root", "correct horse")
        _french(b)
        allowed = await b.post("/admin/domains/allow", {"domain": "Friends.Example"},
                               form_page="/admin/domains")
        assert allowed.status == 303
        page = await b.get(allowed.location)
        assert "friends.example autorisé" in page.text
        # The sub-navigation too.
        assert ">Inscriptions" in page.text and ">Journal d\u2019audit" in page.text
        unconfirmed = await b.post("/admin/domains/block", {
            "domain": "spam.example", "severity": "suspend"}, form_page="/admin/domains")
        page = await b.get(unconfirmed.location)
        assert "cochez « Je comprends » pour confirmer cette action" in page.text
