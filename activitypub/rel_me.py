"""Profile link verification's two readings of HTML (Mastodon's VerifyLinkService and
Account::Field#extract_url_from_html): the `rel="me"` links of a fetched page, and the one
link a remote profile field's value is. Pure and bounded: remote input."""

from __future__ import annotations

from html.parser import HTMLParser

# A page is read up to this many rel=me links (a real page has a handful).
MAX_LINKS = 100


class _RelMe(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ("a", "link") or len(self.links) >= MAX_LINKS:
            return
        values = dict(attrs)
        rel, href = values.get("rel") or "", values.get("href")
        # rel is a space-separated token list (Mastodon's XPath: contains " me ").
        if href and "me" in rel.lower().split():
            self.links.append(href.strip())


def rel_me_links(html: str) -> list[str]:
    """The hrefs of `<a>` and `<link>` elements whose rel includes `me`, in page order."""
    parser = _RelMe()
    parser.feed(html)
    parser.close()
    return parser.links


class _OneLink(HTMLParser):
    """Top-level structure of a fragment: its elements and text at depth 0, and the first
    element's href and text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = 0
        self.top: list[str] = []  # "a", other tag names, or "#text"
        self.href: str | None = None
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.depth == 0:
            self.top.append(tag)
            if tag == "a" and len(self.top) == 1:
                self.href = dict(attrs).get("href")
        if tag not in ("br", "img", "hr", "input", "meta", "link", "wbr"):
            self.depth += 1

    def handle_endtag(self, tag: str) -> None:
        self.depth = max(0, self.depth - 1)

    def handle_data(self, data: str) -> None:
        if self.depth == 0:
            if data.strip():
                self.top.append("#text")
        elif self.top == ["a"]:
            self.text.append(data)


def single_link(html: str) -> str | None:
    """The URL a field value stands for when the value is exactly one link whose text is
    its address (`<a href="https://x.example">https://x.example</a>`, the scheme maybe in
    an invisible span); None otherwise, as Mastodon's extract_url_from_html."""
    parser = _OneLink()
    parser.feed(html.strip())
    parser.close()
    if parser.top != ["a"] or not parser.href:
        return None
    return parser.href if "".join(parser.text) == parser.href else None
