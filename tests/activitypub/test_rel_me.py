"""The two readings of HTML behind profile link verification (Mastodon's VerifyLinkService
and Account::Field#extract_url_from_html)."""

from __future__ import annotations

from activitypub.rel_me import MAX_LINKS, rel_me_links, single_link

MASTODON_FIELD = ('<a href="https://joinmastodon.org" target="_blank" '
                  'rel="nofollow noopener me" translate="no"><span class="invisible">'
                  'https://</span><span class="">joinmastodon.org</span>'
                  '<span class="invisible"></span></a>')


def test_rel_me_links_of_a_page() -> None:
    page = ('<html><head><link rel="me" href="https://a.example/@alice">'
            '<link rel="stylesheet" href="/x.css"></head><body>'
            '<a rel="nofollow  ME noopener" href=" https://b.example/@alice ">b</a>'
            '<a rel="meh" href="https://c.example">c</a><a href="https://d.example">d</a>'
            '<a rel="me">no href</a></body></html>')
    assert rel_me_links(page) == ["https://a.example/@alice", "https://b.example/@alice"]
    assert rel_me_links("not html at all <<<") == []
    many = '<a rel="me" href="https://x.example">x</a>' * (MAX_LINKS + 5)
    assert len(rel_me_links(many)) == MAX_LINKS


def test_a_remote_field_is_one_link_whose_text_is_its_address() -> None:
    assert single_link(MASTODON_FIELD) == "https://joinmastodon.org"
    assert single_link('<a href="https://x.example">https://x.example</a>') \
        == "https://x.example"
    # Text that is not the address, two links, text around it, no link: none.
    assert single_link('<a href="https://x.example">my site</a>') is None
    assert single_link('<a href="https://x.example">https://x.example</a> and more') is None
    assert single_link('<a href="https://x.example">https://x.example</a>'
                       '<a href="https://y.example">https://y.example</a>') is None
    assert single_link("https://x.example") is None
    assert single_link("") is None
