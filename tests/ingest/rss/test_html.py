"""The allow-list sanitiser: what survives, what is removed, and the plain text."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from liner.ingest.rss.html import SanitizeMemo, safe_href, sanitize, sanitize_slow

Sanitiser = Callable[[str | None], tuple[str, str]]
SANITISERS = pytest.mark.parametrize("clean", [sanitize, sanitize_slow], ids=["fast", "parser"])
ALLOWED_OUTPUT_TAG = re.compile(
    r"</?(?:p|br|em|strong|b|i|ul|ol|li|blockquote|code|pre|h[1-6])>"
    r'|<a href="(?:https?|mailto):[^"]*" rel="nofollow noopener">|</a>'
)


def _only_allowed_tags(html: str) -> bool:
    return ALLOWED_OUTPUT_TAG.sub("", html).count("<") == 0


@SANITISERS
@pytest.mark.parametrize(
    "hostile",
    [
        "<script>alert(1)</script>",
        "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
        "<img src=x onerror=alert(1)>",
        '<a href="javascript:alert(1)">x</a>',
        '<a href="JaVaScRiPt:alert(1)">x</a>',
        '<a href=" javascript:alert(1)">x</a>',
        '<a href="jav&#x09;ascript:alert(1)">x</a>',
        '<a href="&#106;avascript:alert(1)">x</a>',
        '<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>',
        '<a href="vbscript:msgbox(1)">x</a>',
        "<iframe src=https://evil.example/></iframe>",
        "<style>body{background:url(javascript:alert(1))}</style>",
        '<p style="background:url(javascript:alert(1))" onmouseover="alert(1)">x</p>',
        "<svg><script>alert(1)</script></svg>",
        "<object data=x></object><embed src=x>",
        "<form action=https://evil.example/><input name=p></form>",
        "<scr<script>ipt>alert(1)</script>",
        "<!--<script>alert(1)</script>-->",
        "<math><mtext><script>alert(1)</script></mtext></math>",
        '<a href="https://ok.example/" onclick="alert(1)">ok</a>',
        "<b onmouseover=alert(1)>bold</b>",
    ],
)
def test_nothing_executable_survives(clean: Sanitiser, hostile: str) -> None:
    html, plain = clean(f"<p>before</p>{hostile}<p>after</p>")
    lowered = html.lower()
    assert "<script" not in lowered
    assert "javascript:" not in lowered
    assert "vbscript:" not in lowered
    assert "data:" not in lowered
    assert re.search(r"\son\w+\s*=", lowered) is None
    assert "style" not in lowered
    assert "<iframe" not in lowered
    assert _only_allowed_tags(html), html
    assert "alert(1)</" not in plain


@SANITISERS
def test_allowed_markup_is_kept(clean: Sanitiser) -> None:
    source = (
        "<h1>Title</h1><p>Some <em>em</em>, <strong>strong</strong>, <b>b</b>, <i>i</i> and "
        "<code>code</code>.</p><ul><li>one</li><li>two</li></ul><ol><li>three</li></ol>"
        "<blockquote>quote</blockquote><pre>pre</pre>"
    )
    html, plain = clean(source)
    assert html == source
    assert plain == "Title\n\nSome em, strong, b, i and code.\n\none\ntwo\n\nthree\n\nquote\n\npre"


@SANITISERS
def test_links_keep_only_a_checked_href_and_get_rel(clean: Sanitiser) -> None:
    html, plain = clean(
        '<p><a href="https://a.example/?x=1&amp;y=2" target="_blank" title="t">web</a> '
        "<a href='mailto:me@a.example'>mail</a> <a href=\"/relative\">rel</a> <a>none</a></p>"
    )
    assert html == (
        '<p><a href="https://a.example/?x=1&amp;y=2" rel="nofollow noopener">web</a> '
        '<a href="mailto:me@a.example" rel="nofollow noopener">mail</a> rel none</p>'
    )
    assert plain == "web mail rel none"


@SANITISERS
def test_unknown_tags_are_unwrapped_and_blocks_keep_lines(clean: Sanitiser) -> None:
    html, plain = clean("<div>one</div><div><span class=x>two</span></div><font>three</font>")
    assert html == "one<br>two<br>three"
    assert plain == "one\ntwo\nthree"


@SANITISERS
def test_unclosed_tags_are_closed(clean: Sanitiser) -> None:
    html, plain = clean("<p>open <strong>bold")
    assert html == "<p>open <strong>bold</strong></p>"
    assert plain == "open bold"


@SANITISERS
def test_text_is_escaped(clean: Sanitiser) -> None:
    html, plain = clean("<p>1 &lt; 2 &amp;&amp; 3 &gt; 2 &quot;q&quot; Q&A</p>")
    assert "&lt;" in html
    assert "<2" not in html
    assert plain == '1 < 2 && 3 > 2 "q" Q&A'


def test_misnested_markup_goes_through_the_parser() -> None:
    html, plain = sanitize("<b><i>x</b></i> y")
    assert html == "<b><i>x</i></b> y"
    assert plain == "x y"


def test_plain_text_keeps_its_lines() -> None:
    html, plain = sanitize("Line one\nLine two\n\n\n\nParagraph &amp; more  spaces")
    assert plain == "Line one\nLine two\n\nParagraph & more spaces"
    assert html == "<p>Line one<br>Line two</p><p>Paragraph &amp; more spaces</p>"


@pytest.mark.parametrize("empty", [None, "", "   ", "<p> </p>", "<script>x</script>"])
def test_empty_results(empty: str | None) -> None:
    html, plain = sanitize(empty)
    assert plain == ""
    assert html in ("", "<p> </p>")


def test_breaks_in_plain_text() -> None:
    assert sanitize("a<br>b<br><br>c")[1] == "a\nb\n\nc"
    assert sanitize("<p>x</p>\n<p> </p>\n<p>y\n  z</p>")[1] == "x\n\ny z"
    assert sanitize("intro<p>para</p>after")[1] == "intro\n\npara\n\nafter"


@pytest.mark.parametrize(
    ("href", "expected"),
    [
        ("https://a.example/", "https://a.example/"),
        ("  http://a.example/x  ", "http://a.example/x"),
        ("MAILTO:me@a.example", "MAILTO:me@a.example"),
        ("java\nscript:alert(1)", None),
        ("//a.example/", None),
        ("ftp://a.example/", None),
        ("", None),
        (None, None),
    ],
)
def test_safe_href(href: str | None, expected: str | None) -> None:
    assert safe_href(href) == expected


_PIECES = st.sampled_from(
    [
        "<p>", "</p>", "<br>", "<br/>", "<div>", "</div>", "<a href='https://x.example/'>",
        "<a href=javascript:alert(1)>", "</a>", "<script>", "</script>", "<style>", "<b>",
        "</b>", "<i>", "</i>", "<ul>", "<li>", "</ul>", "<img src=x onerror=y>", "&amp;",
        "&lt;", "&", "<", ">", '"', "'", "text", " ", "\n", "<!--", "-->", "<p onclick=x>",
        "<iframe>", "</iframe>", "<![CDATA[", "]]>", "é", "<span style='x'>", "</span>",
    ]
)  # fmt: skip


@settings(max_examples=300, database=None, deadline=None)
@given(st.lists(_PIECES, max_size=30).map("".join))
def test_any_fragment_gives_only_allowed_markup(fragment: str) -> None:
    for clean in (sanitize, sanitize_slow):
        html, _ = clean(fragment)
        assert _only_allowed_tags(html), (fragment, html)
        assert "javascript" not in html.lower()


def test_control_characters_in_a_tag_name_do_not_stop_the_parser() -> None:
    html, plain = sanitize("<b><section><p></strong><word\x1c</td><br clear=all>after")
    assert _only_allowed_tags(html)
    assert "\x1c" not in html
    assert plain.endswith("after")


_SHARED_PARAGRAPHS = [
    "<p>Sponsored by <a href='https://sponsor.example/?a=1&amp;b=2'>Sponsor</a></p>",
    "<p>Plain words &amp; more</p>",
    "<p>\u00a0</p>",
    "<p>Two<br>lines<br><br>and a gap</p>",
    "<ul><li>one</li><li>two</li></ul>",
    "<div>block</div>",
    "<p><a href='javascript:alert(1)'>no link</a></p>",
    "\n",
    "<p>unclosed <b>bold",
    "<p>x</p></p>",
    "<blockquote><p>quoted</p></blockquote>",
]


@settings(max_examples=200, database=None, deadline=None)
@given(st.lists(st.lists(st.sampled_from(_SHARED_PARAGRAPHS), max_size=8).map("".join), max_size=6))
def test_a_feed_memo_gives_the_same_output(fragments: list[str]) -> None:
    memo = SanitizeMemo()
    for fragment in fragments * 2:
        assert sanitize(fragment, memo) == sanitize(fragment), fragment
