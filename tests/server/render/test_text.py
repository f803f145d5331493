from __future__ import annotations

from server.render.text import (
    MentionTarget,
    find_hashtags,
    find_mentions,
    format_caption,
)

BOB = MentionTarget("https://b.example/users/bob", "https://b.example/@bob", "bob@b.example")
CAROL = MentionTarget("https://d.test/users/carol", "https://d.test/@carol", "carol@d.test")


def fmt(text: str) -> str:
    return format_caption(text, tag_url=lambda t: f"https://d.test/tags/{t}",
                          local_domain="d.test",
                          mentions={"bob@b.example": BOB, "carol@d.test": CAROL}).html


def test_plain_text_is_escaped_into_paragraphs() -> None:
    assert fmt("a <b> & c\nline two\n\npara") == \
        "<p>a &lt;b&gt; &amp; c<br>line two</p><p>para</p>"


def test_hashtags() -> None:
    html = fmt("Sunset #AIGenerated #art_deco, #1 and x#no")
    assert ('<a href="https://d.test/tags/aigenerated" class="mention hashtag" rel="tag">'
            "#<span>AIGenerated</span></a>") in html
    assert "tags/art_deco" in html
    assert "tags/1" not in html and "tags/no" not in html
    assert find_hashtags("#a1 #Ünïcode #a1 text#x") == ["a1", "Ünïcode"]


def test_mentions_resolved_and_unresolved() -> None:
    result = format_caption("hi @bob@b.example and @carol, not @ghost@x.example",
                            tag_url=str, local_domain="d.test",
                            mentions={"bob@b.example": BOB, "carol@d.test": CAROL})
    assert ('<span class="h-card" translate="no"><a href="https://b.example/@bob" '
            'class="u-url mention">@<span>bob</span></a></span>') in result.html
    assert 'href="https://d.test/@carol"' in result.html
    assert "@ghost@x.example" in result.html and "ghost</span>" not in result.html
    assert result.mentions == [BOB, CAROL]
    assert find_mentions("@Bob@B.example @carol x@y @bob@b.example", "d.test") == [
        "bob@b.example", "carol@d.test"]


def test_links() -> None:
    html = fmt("see https://example.com/a?b=1&c=2. Or (https://x.test/@bob)")
    assert '<a href="https://example.com/a?b=1&amp;c=2" target="_blank"' in html
    # Mastodon's shortened_link: the whole URL is the text, its scheme hidden.
    assert ('<span class="invisible">https://</span><span class="">example.com/a?b=1&amp;c=2'
            '</span><span class="invisible"></span></a>.') in html
    assert 'href="https://x.test/@bob"' in html and "mention" not in html


def test_long_links_are_shortened_as_mastodon_does() -> None:
    url = "https://www.example.com/" + "a" * 40
    html = fmt(url)
    assert ('<span class="invisible">https://www.</span>'
            f'<span class="ellipsis">example.com/{"a" * 18}</span>'
            f'<span class="invisible">{"a" * 22}</span></a>') in html
    # One character past the limit is shown, not hidden behind an ellipsis.
    one_more = "https://" + "b" * 31
    assert f'<span class="">{"b" * 31}</span><span class="invisible"></span>' in fmt(one_more)


def test_script_injection_is_inert() -> None:
    html = fmt('<script>alert(1)</script> "quoted" #tag"><img src=x>')
    assert "<script>" not in html and "<img" not in html
