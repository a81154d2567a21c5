"""How the sanitiser's fast path splits a fragment into tags and text.

A '<' that does not open a tag the fast path reads (quoted '>' in an attribute, a bare
'<' in text, a name it does not know) sends the whole fragment to the HTML parser.
"""

from __future__ import annotations

import pytest

from liner.ingest.rss.html import sanitize


@pytest.mark.parametrize(
    ("source", "html", "plain"),
    [
        ('<p title="a>b">x</p>', "<p>x</p>", "x"),
        ("<p>1 < 2</p><p>ok</p>", "<p>1 &lt; 2</p><p>ok</p>", "1 < 2\n\nok"),
        ("<P>Upper</P><BR/>next", "<p>Upper</p><br>next", "Upper\n\nnext"),
        ('<p>a<br class="x" />b</p>', "<p>a<br>b</p>", "a\nb"),
        (
            '<p><a href="https://a.example/?x=1&amp;y=2&amp;z=3">q</a></p>',
            '<p><a href="https://a.example/?x=1&amp;y=2&amp;z=3" rel="nofollow noopener">q</a></p>',
            "q",
        ),
        (
            '<p><a href="https://a.example/?x=1&lt;y">q</a></p>',
            '<p><a href="https://a.example/?x=1&lt;y" rel="nofollow noopener">q</a></p>',
            "q",
        ),
        (
            "<p>unclosed <a href='http://x.example/'>link",
            '<p>unclosed <a href="http://x.example/" rel="nofollow noopener">link</a></p>',
            "unclosed link",
        ),
        ("<p>trailing <", "<p>trailing &lt;</p>", "trailing <"),
        ("<averyveryverylongtagname>x</averyveryverylongtagname>", "x", "x"),
        ("<p/x>y</p>", "<p>y</p>", "y"),
        ('<a href=" JavaScript:alert(1)">x</a>', "x", "x"),
    ],
)
def test_tokenisation(source: str, html: str, plain: str) -> None:
    assert sanitize(source) == (html, plain)
