"""The filter matcher on its own (server.services.social.filters.judge), with Mastodon's rules:
case-insensitive, whole-word boundaries only at word-character ends, matched against content
warning, text, alt texts and (Dreamfeed) the post's hashtags; contexts and actions."""

from __future__ import annotations

from server.services.social.filters import CONTEXTS, Rule, Subject, judge, searchable_text


def rule(phrase: str, *, whole_word: bool = True, action: str = "hide",
         contexts: tuple[str, ...] = CONTEXTS, rule_id: int = 1) -> Rule:
    return Rule(rule_id, phrase, whole_word, frozenset(contexts), action)


def hidden(r: Rule, subject: Subject, context: str = "home") -> bool:
    return judge([r], subject, context).hidden


def test_whole_word_and_substring() -> None:
    cat = Subject("Concatenate the cats. A Cat!")
    assert hidden(rule("cat"), cat)  # "Cat!" is a whole word, any case
    assert not hidden(rule("cat"), Subject("concatenate cats"))
    assert hidden(rule("cat", whole_word=False), Subject("concatenate"))
    assert hidden(rule("new york"), Subject("Back in NEW YORK today"))
    assert not hidden(rule("new york"), Subject("newyorker"))


def test_boundaries_only_where_the_phrase_has_word_characters() -> None:
    # "#AI" has no word boundary before '#', one after 'I' (Mastodon's keyword regex)
    assert hidden(rule("#AI"), Subject("made with #AI here"))
    assert not hidden(rule("#AI"), Subject("made with #AIGenerated"))
    assert hidden(rule("c++"), Subject("I write C++, daily"))
    assert hidden(rule("(x)"), Subject("a(x)b"))  # no word character at either end


def test_regex_characters_are_literal() -> None:
    assert not hidden(rule("a.c", whole_word=False), Subject("abc"))
    assert hidden(rule("a.c", whole_word=False), Subject("xa.cx"))


def test_hashtags_match_even_when_not_in_the_text() -> None:
    post = Subject("A quiet lake", tags=("aigenerated", "lake"))
    assert hidden(rule("#AIGenerated"), post)
    assert hidden(rule("#aigenerated"), post)
    assert not hidden(rule("#AIGen"), post)
    assert hidden(rule("#AIGen", whole_word=False), post)
    assert hidden(rule("lake"), Subject("nothing", tags=("lake",)))


def test_content_warning_and_alt_text_are_searched() -> None:
    assert hidden(rule("spiders"), Subject("look", spoiler_text="spiders"))
    assert hidden(rule("spiders"), Subject("look", descriptions=("two spiders on a web",)))
    assert "spiders" in searchable_text(Subject("", "spiders", ("x",), ("t",)))


def test_contexts_and_actions() -> None:
    post = Subject("election news")
    only_home = rule("election", contexts=("home",))
    assert hidden(only_home, post, "home")
    assert not hidden(only_home, post, "public")
    assert not hidden(only_home, post, "thread")
    warn = rule("news", action="warn", rule_id=2)
    verdict = judge([only_home, warn], post, "public")
    assert not verdict.hidden and verdict.warnings == ("news",)
    verdict = judge([only_home, warn], post, "home")
    assert verdict.hidden and verdict.warnings == ("news",)
    assert judge([warn], Subject("nothing to see"), "home").warnings == ()
