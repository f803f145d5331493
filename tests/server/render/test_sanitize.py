"""Remote HTML is reduced to a small allow-list before we store or show it."""

from __future__ import annotations

import pytest

from server.render.sanitize import plain_text, sanitize_html

REL = 'rel="nofollow noopener noreferrer"'


@pytest.mark.parametrize(("html", "expected"), [
    # Mastodon's own markup survives: mention h-card, hashtag link, shortened link spans.
    ('<p><span class="h-card"><a href="https://m.example/@a" class="u-url mention">'
     '@<span>a</span></a></span></p>',
     f'<p><span class="h-card"><a href="https://m.example/@a" class="u-url mention" {REL}>'
     '@<span>a</span></a></span></p>'),
    ('<a href="https://m.example/tags/art" class="mention hashtag" rel="tag">#art</a>',
     f'<a href="https://m.example/tags/art" class="mention hashtag" {REL}>#art</a>'),
    ('<span class="invisible">https://</span><span class="ellipsis">example.com/lo</span>',
     '<span class="invisible">https://</span><span class="ellipsis">example.com/lo</span>'),
    # Inline emphasis, code, quotes and lists pass.
    ("<p><strong>b</strong><em>i</em><b>b</b><i>i</i><u>u</u><del>d</del><s>s</s></p>",
     "<p><strong>b</strong><em>i</em><b>b</b><i>i</i><u>u</u><del>d</del><s>s</s></p>"),
    ("<pre><code>x = 1</code></pre><blockquote><ul><li>a</li></ul><ol><li>b</li></ol>"
     "</blockquote>",
     "<pre><code>x = 1</code></pre><blockquote><ul><li>a</li></ul><ol><li>b</li></ol>"
     "</blockquote>"),
    ("<p>a<br>b</p>", "<p>a<br>b</p>"),
])
def test_allowed_markup_is_kept(html: str, expected: str) -> None:
    assert sanitize_html(html) == expected


@pytest.mark.parametrize(("html", "expected"), [
    ("<script>alert(1)</script><p>ok</p>", "<p>ok</p>"),
    ("<style>p{display:none}</style><p style=\"color:red\">s</p>", "<p>s</p>"),
    ("<template><p>hidden</p></template>shown", "shown"),
    ("<svg><script>alert(1)</script></svg>", ""),
    ('<img src="x" onerror="alert(1)">', ""),
    ('<p onclick="steal()" id="x" data-x="1">p</p>', "<p>p</p>"),
    ('<iframe src="https://evil.example">f</iframe>', "f"),
    ('<a href="https://a.example" onmouseover="x()" target="_blank" rel="opener">t</a>',
     f'<a href="https://a.example" {REL}>t</a>'),
    ('<span class="evil h-card">x</span>', '<span class="h-card">x</span>'),
    ('<span class="evil">x</span>', "<span>x</span>"),
    ("<!-- a comment --><b>b</b>", "<b>b</b>"),
    ("<form><input value=x><button>go</button></form>", "go"),
])
def test_dangerous_markup_is_removed(html: str, expected: str) -> None:
    assert sanitize_html(html) == expected


@pytest.mark.parametrize("href", [
    "javascript:alert(1)", "JaVaScRiPt:alert(1)", " javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>", "vbscript:x", "ftp://files.example/x",
    "/relative/path", "//protocol-relative.example/x", "#fragment", "mailto:",
])
def test_links_keep_only_absolute_http_https_mailto(href: str) -> None:
    assert sanitize_html(f'<a href="{href}">x</a>') == f"<a {REL}>x</a>"


@pytest.mark.parametrize("href", ["https://a.example/x?y=1", "http://a.example",
                                  "HTTPS://A.EXAMPLE/", "mailto:someone@a.example"])
def test_allowed_link_targets(href: str) -> None:
    assert sanitize_html(f'<a href="{href}">x</a>') == f'<a href="{href}" {REL}>x</a>'


def test_unsupported_blocks_become_paragraphs() -> None:
    assert sanitize_html('<h2 class="x">Title</h2><div>text</div><table><tr>cell</tr>'
                         "</table>") == "<p>Title</p><p>text</p><p>cell</p>"


def test_text_is_escaped_and_sanitizing_is_idempotent() -> None:
    once = sanitize_html('<p>a &amp; b &lt;script&gt; <a href="https://x.example">l</a></p>')
    assert once == f'<p>a &amp; b &lt;script&gt; <a href="https://x.example" {REL}>l</a></p>'
    assert sanitize_html(once) == once
    assert sanitize_html("") == ""
    assert sanitize_html("plain < text") == "plain &lt; text"


def test_plain_text() -> None:
    html = "<p>a &amp; b</p><p>two<br>lines</p><script>x()</script>"
    assert plain_text(html) == "a & b two lines"
    assert plain_text(html, 8) == "a & b t…"
    assert plain_text("") == ""
