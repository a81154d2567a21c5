"""A small allow-list HTML sanitiser for show and episode descriptions.

Allowed tags keep no attribute except a link's ``href``, which must be an absolute
http, https or mailto URL and gets ``rel="nofollow noopener"`` (a link without one is
unwrapped). Elements whose content is never text for a reader (``script``, ``style``,
``iframe``...) are dropped with their content; other tags are unwrapped (their text is
kept). The plain-text version has paragraph and line breaks where the blocks were.

Two paths produce that output, both by rebuilding it rather than by filtering the input:

* the general one parses the fragment with libxml2's HTML parser (through lxml), strips
  the tree to the allow-list and lets libxml2 write it out, escaping all text;
* a fast path handles the common shape of feed descriptions (well-nested tags with
  ordinary attributes, no comments, no raw-text elements) from a tokenisation, writing
  only allowed tags it builds itself. Any fragment it does not fully recognise goes to
  the general path. Paragraphs of bare text are copied whole, and the markup between
  them, which recurs from episode to episode (links, credits, sponsors), is read once
  per feed when :func:`sanitize` is given the feed's :class:`SanitizeMemo`.
"""

from __future__ import annotations

import re
import threading
from html import escape, unescape

from lxml import etree

ALLOWED_TAGS = frozenset(
    {
        "p", "br", "a", "em", "strong", "b", "i", "ul", "ol", "li",
        "blockquote", "code", "pre", "h1", "h2", "h3", "h4", "h5", "h6",
    }
)  # fmt: skip
DROPPED_WITH_CONTENT = (
    "script", "style", "iframe", "object", "embed", "noscript", "template", "svg",
    "math", "head", "title", "textarea", "select", "button", "frameset", "frame",
    "noframes", "applet", "audio", "video", "canvas", "form", "xml",
)  # fmt: skip
ALLOWED_SCHEMES = ("http:", "https:", "mailto:")
LINK_REL = "nofollow noopener"

_PARAGRAPH_TAGS = frozenset(
    {"p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "ul", "ol"}
)
_INLINE_ALLOWED = frozenset({"em", "strong", "b", "i", "code"})
_BLOCK_TAGS = frozenset(
    {
        "div", "section", "article", "header", "footer", "table", "tr", "dl", "dt",
        "dd", "figure", "figcaption", "address", "center", "hr", "main", "nav",
        "aside", "details", "summary", "caption", "tbody", "thead", "tfoot", "td", "th",
    }
)  # fmt: skip
_INLINE_UNWRAPPED = frozenset(
    {
        "span", "font", "u", "small", "big", "sup", "sub", "abbr", "cite", "mark",
        "s", "strike", "del", "ins", "q", "time", "img", "kbd", "samp", "var", "dfn",
        "tt", "wbr", "nobr", "bdi", "bdo",
    }
)  # fmt: skip
_BLOCK_ENDINGS = (
    "</p>", "<br>", "</li>", "</ul>", "</ol>", "</blockquote>", "</pre>",
    "</h1>", "</h2>", "</h3>", "</h4>", "</h5>", "</h6>",
)  # fmt: skip
_MAX_DEPTH = 64
_UNWRAPPED = "liner-unwrap"
_LINE_MARK = "\x00"
_PARAGRAPH_MARK = "\x01"
_UNSAFE_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_URL_IGNORED = re.compile(r"[\x00-\x20\x7f]+")
_BARE_PARAGRAPH = re.compile(r"<p>([^<]*)</p>")
_TAG_SPLIT = re.compile(r"<(/?[a-z0-9]+)[^>]*>")
_TAG_STRIP = re.compile(r"<[^>]*>")
_BLANK_LINES = re.compile(r"\n\s*\n+")
# What lies between a '<' and the next '>' when it is a tag the fast path reads.
_TAG_HEAD = re.compile(
    r"(/?[A-Za-z][A-Za-z0-9]{0,15})"
    r"((?:\s++[A-Za-z_:@][-A-Za-z0-9_:.@]*+"
    r"(?:\s*+=\s*+(?:\"[^\"<>]*+\"|'[^'<>]*+'|[^\s\"'=<>`]++))?+)*+)"
    r"\s*+/?"
)
_HREF = re.compile(
    r"""(?:^|\s)href\s*=\s*"""
    r"""(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+))""",
    re.IGNORECASE,
)
_BARE_AMPERSAND = re.compile(r"&(?![A-Za-z][A-Za-z0-9]{0,31};|#[0-9]{1,7};|#[xX][0-9A-Fa-f]{1,6};)")

_local = threading.local()


def _parser() -> etree.HTMLParser:
    parser: etree.HTMLParser | None = getattr(_local, "parser", None)
    if parser is None:
        parser = etree.HTMLParser(
            remove_comments=True,
            remove_pis=True,
            no_network=True,
            compact=True,
            recover=True,
        )
        _local.parser = parser
    return parser


def safe_href(href: str | None) -> str | None:
    """``href`` if it is an absolute http, https or mailto URL, else None."""
    if not href:
        return None
    href = href.strip()
    if href[:8].lower().startswith(ALLOWED_SCHEMES):
        return href
    probe = _URL_IGNORED.sub("", href[:16]).lower()
    if probe.startswith(ALLOWED_SCHEMES):
        return href
    return None


_PARAGRAPH, _LIST_ITEM, _INLINE, _LINK, _LINE_BREAK, _BLOCK, _UNWRAP = range(7)
_KINDS: dict[str, int] = {}
for _name in _PARAGRAPH_TAGS:
    _KINDS[_name] = _PARAGRAPH
for _name in _INLINE_ALLOWED:
    _KINDS[_name] = _INLINE
for _name in _BLOCK_TAGS:
    _KINDS[_name] = _BLOCK
for _name in _INLINE_UNWRAPPED:
    _KINDS[_name] = _UNWRAP
_KINDS.update({"li": _LIST_ITEM, "br": _LINE_BREAK, "a": _LINK})
# A source tag's token: its kind, its name, whether it closes, the name it is kept under
# on the stack (an opening tag) or may also close (a closing tag): ``!a`` for a link
# without a safe href, the name itself otherwise; and the markup written for it. A link's
# opening token is made for its href (see :func:`_read_head`); a bare ``<a>`` is masked.
_Token = tuple[int, str, bool, str, str]
_TOKENS: dict[str, _Token] = {}
for _name, _kind in _KINDS.items():
    _masked = "!a" if _name == "a" else _name
    _allowed = _name in ALLOWED_TAGS
    _opening = f"<{_name}>" if _allowed and _kind != _LINK else ""
    _TOKENS[_name] = (_kind, _name, False, _masked, _opening)
    _TOKENS["/" + _name] = (_kind, _name, True, _masked, f"</{_name}>" if _allowed else "")
# The text before a stretch's first tag is read as the text of a token whose head can be
# no tag's (heads never hold '<'), so that every token is a tag and the text after it.
_LEADING_TEXT = "<"
_TOKENS[_LEADING_TEXT] = (_UNWRAP, "", False, "", "")
_KNOWN_HEADS_LIMIT = 4096
_known_heads: dict[str, _Token] = dict(_TOKENS)
"""Tokens by head, with the spellings met so far (``br /``, ``P``); links are per feed."""
_CLOSE = {name: f"</{name}>" for name in ALLOWED_TAGS}
_MARKS = ("", _LINE_MARK, _PARAGRAPH_MARK)


class SanitizeMemo:
    """What the descriptions of one feed share, for :func:`sanitize` to reuse.

    ``stretches``: the output of markup read from the top level (see :func:`_fast`),
    by its text, ``pending`` and whether plain text was written before it; ``links``: the
    token of each link tag (``a href="..."``) met, by the tag's inside.
    """

    __slots__ = ("links", "stretches")

    def __init__(self) -> None:
        self.stretches: dict[tuple[str, int, bool], tuple[str, str, int, bool]] = {}
        self.links: dict[str, _Token | None] = {}


def _read_head(head: str, links: dict[str, _Token | None] | None) -> _Token | None:
    """The token of a tag's inside (``br /``, ``a href="..."``), or None if unusual."""
    if links is not None and head in links:
        return links[head]
    match = _TAG_HEAD.fullmatch(head)
    if match is None:
        return None
    tag, attributes = match.groups()
    token = _TOKENS.get(tag) or _TOKENS.get(tag.lower())
    if token is None:
        return None
    if token[0] == _LINK and not token[2]:
        opening = _link_open(attributes)
        if opening is not None:
            token = (_LINK, "a", False, "a", opening)
        if links is not None:
            links[head] = token
        return token
    if len(_known_heads) < _KNOWN_HEADS_LIMIT:
        _known_heads[head] = token
    return token


def _finish_plain(pieces: list[str]) -> str:
    text = "".join(pieces)
    if "&" in text:
        text = unescape(text)
    if "\n" in text or "\xa0" in text or "\t" in text or "\r" in text or "  " in text:
        text = " ".join(text.split())
    # No run of spaces is left, so each mark has at most one space on either side.
    for mark, replacement in ((_LINE_MARK, "\n"), (_PARAGRAPH_MARK, "\n\n")):
        if mark in text:
            text = replacement.join([part.strip(" ") for part in text.split(mark)])
    return text.strip()


def _link_open(attributes: str) -> str | None:
    match = _HREF.search(attributes)
    if match is None:
        return None
    raw = match.group(1)
    if raw is None:
        raw = match.group(2) if match.group(2) is not None else match.group(3)
    if "&" in raw:
        # Most links escape nothing but the ampersands of their query string.
        simple = raw.count("&") == raw.count("&amp;")
        raw = raw.replace("&amp;", "&") if simple else unescape(raw)
    href = safe_href(raw)
    if href is None:
        return None
    return f'<a href="{escape(href)}" rel="{LINK_REL}">'


def _finish_html(html: str) -> str:
    result = html.strip()
    if "&" in result:
        result = _BARE_AMPERSAND.sub("&amp;", result)
    while result.endswith("<br>"):
        result = result[:-4].rstrip()
    return result


def _walk(
    pieces: list[str],
    html: list[str],
    plain: list[str],
    stack: list[str],
    pending: int,
    hard: bool,
    links: dict[str, _Token | None] | None,
) -> tuple[int, bool] | None:
    """Read tokens (``head>text``) into ``html`` and ``plain``; None to use the parser.

    ``pending`` is the break owed to the plain text before its next words (0, a line or
    a paragraph) and ``hard`` whether a ``<br>`` was among the tags since those words;
    both are returned as they are after the last token.
    """
    add_html = html.append
    add_plain = plain.append
    heads = _known_heads
    for piece in pieces:
        head, closed, text = piece.partition(">")
        if not closed:
            return None
        token = heads.get(head) or _read_head(head, links)
        if token is None:
            return None
        kind, name, closing, masked, markup = token
        if kind <= _LINK:
            if closing:
                if stack and (stack[-1] == name or stack[-1] == masked):
                    if stack.pop() == name:
                        add_html(markup)
                elif name in stack or masked in stack:
                    return None
            else:
                if kind <= _LIST_ITEM and stack and stack[-1] == name:
                    stack.pop()
                    add_html(_CLOSE[name])
                if len(stack) >= _MAX_DEPTH:
                    return None
                stack.append(masked)
                if markup:
                    add_html(markup)
            if kind == _PARAGRAPH:
                pending = 2
            elif kind == _LIST_ITEM and not pending:
                pending = 1
        elif kind == _LINE_BREAK:
            if not closing:
                add_html("<br>")
                pending = 2 if (hard and pending) else (pending or 1)
                hard = True
        elif kind == _BLOCK:
            if not pending:
                pending = 1
            last = html[-1]
            if last and not last.endswith(_BLOCK_ENDINGS) and not last.isspace():
                add_html("<br>")
        if text:
            add_html(text)
            if pending:
                if text.isspace():
                    continue
                if plain:
                    add_plain(_MARKS[pending])
                pending = 0
                hard = False
            add_plain(text)
    return pending, hard


def _fast(source: str, memo: SanitizeMemo | None) -> tuple[str, str] | None:
    """Sanitise a well-behaved fragment from its tags, or None to use the parser.

    Every '<' must open a tag that ends at the next '>' (attribute values hold neither),
    with a name the fast path knows; the text after it runs to the next '<'.

    Paragraphs of bare text (``<p>...</p>``, the bulk of most descriptions) are found
    first and copied as they are; what lies between them is read tag by tag. When that
    starts at the top level, its output depends only on the text, on ``pending`` and on
    whether plain text was written before it, so ``memo`` keeps it: links, credits and
    sponsors recur from episode to episode of a feed.
    """
    html: list[str] = [""]
    plain: list[str] = []
    add_html = html.append
    add_plain = plain.append
    stack: list[str] = []
    pending = 0
    hard = False
    stretches = memo.stretches if memo is not None else None
    links = memo.links if memo is not None else None
    parts = _BARE_PARAGRAPH.split(source)
    last = len(parts) - 1
    for index in range(0, len(parts), 2):
        between = parts[index]
        if "<" in between:
            key = None
            if stretches is not None and not stack:
                key = (between, pending, not plain)
                found = stretches.get(key)
                if found is not None:
                    html_part, plain_part, pending, hard = found
                    if html_part:
                        add_html(html_part)
                    if plain_part:
                        add_plain(plain_part)
                    between = ""
                else:
                    html_start = len(html)
                    plain_start = len(plain)
            if between:
                pieces = between.split("<")
                pieces[0] = _LEADING_TEXT + ">" + pieces[0]
                state = _walk(pieces, html, plain, stack, pending, hard, links)
                if state is None:
                    return None
                pending, hard = state
                if stretches is not None and key is not None and not stack:
                    html_part = "".join(html[html_start:])
                    plain_part = "".join(plain[plain_start:])
                    stretches[key] = (html_part, plain_part, pending, hard)
        elif between:
            add_html(between)
            if not pending:
                add_plain(between)
            elif not between.isspace():
                if plain:
                    add_plain(_MARKS[pending])
                add_plain(between)
                pending = 0
                hard = False
        if index == last:
            break
        text = parts[index + 1]
        if stack:
            state = _walk(["p>" + text, "/p>"], html, plain, stack, pending, hard, links)
            if state is None:
                return None
            pending, hard = state
            continue
        add_html("<p>")
        if text:
            add_html(text)
            if not text.isspace():
                if plain:
                    add_plain(_PARAGRAPH_MARK)
                add_plain(text)
        add_html("</p>")
        pending = 2
    for name in reversed(stack):
        if name[0] != "!":
            add_html(_CLOSE[name])
    return _finish_html("".join(html)), _finish_plain(plain)


def _plain_from_safe_html(html: str) -> str:
    """Plain text from the general path's output (a known, attribute-poor form)."""
    tokens = _TAG_SPLIT.split(html)
    plain: list[str] = [tokens[0]] if tokens[0] else []
    pending = 0
    hard = False
    for index in range(1, len(tokens), 2):
        name = tokens[index].lstrip("/")
        if name in _PARAGRAPH_TAGS:
            pending = 2
        elif name == "br":
            pending = 2 if (hard and pending) else (pending or 1)
            hard = True
        elif name == "li" and not pending:
            pending = 1
        text = tokens[index + 1]
        if not text:
            continue
        if pending:
            if text.isspace():
                continue
            if plain:
                plain.append(_MARKS[pending])
            pending = 0
            hard = False
        plain.append(text)
    return _finish_plain(plain)


def _clean_tree(body: etree._Element) -> None:
    etree.strip_elements(body, *DROPPED_WITH_CONTENT, with_tail=False)
    unwrap: set[str] = set()
    links: list[etree._Element] = []
    blocks: list[etree._Element] = []
    for element in body.iterdescendants(etree.Element):
        tag = element.tag
        if tag in ALLOWED_TAGS:
            if tag == "a":
                links.append(element)
            elif element.attrib:
                element.attrib.clear()
        else:
            unwrap.add(tag)
            if tag in _BLOCK_TAGS:
                blocks.append(element)
    for link in links:
        href = safe_href(link.get("href"))
        link.attrib.clear()
        if href is None:
            link.tag = _UNWRAPPED
            unwrap.add(_UNWRAPPED)
        else:
            link.set("href", href)
            link.set("rel", LINK_REL)
    for block in blocks:
        _end_with_break(block)
    if unwrap:
        etree.strip_tags(body, *unwrap)


def _end_with_break(block: etree._Element) -> None:
    """Keep unwrapped blocks (``div``...) on lines of their own."""
    if len(block):
        last = block[-1]
        if last.tag in _PARAGRAPH_TAGS and not (last.tail and last.tail.strip()):
            return
    elif not (block.text and block.text.strip()):
        return
    etree.SubElement(block, "br")


def _parsed(source: str) -> tuple[str, str]:
    if _UNSAFE_CHARS.search(source) is not None:
        # libxml2 keeps some of them, even in tag names, which lxml then refuses.
        source = _UNSAFE_CHARS.sub("", source)
    try:
        root = etree.fromstring(f"<html><body>{source}</body></html>", _parser())
    except (ValueError, etree.LxmlError):
        return _from_text(_TAG_STRIP.sub(" ", source))
    body = root.find("body") if root is not None else None
    if body is None:
        return "", ""
    _clean_tree(body)
    html = etree.tostring(body, method="html", encoding="unicode")
    html = html[html.index(">") + 1 : html.rindex("<")].strip()
    while html.endswith("<br>"):
        html = html[:-4].rstrip()
    return html, _plain_from_safe_html(html)


def _from_text(text: str) -> tuple[str, str]:
    if "&" in text:
        text = unescape(text)
    text = _UNSAFE_CHARS.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = "\n".join(" ".join(line.split()) for line in text.split("\n")).strip()
    if not text:
        return "", ""
    text = _BLANK_LINES.sub("\n\n", text)
    paragraphs = [
        "<p>" + escape(part, quote=False).replace("\n", "<br>") + "</p>"
        for part in text.split("\n\n")
    ]
    return "".join(paragraphs), text


def sanitize(source: str | None, memo: SanitizeMemo | None = None) -> tuple[str, str]:
    """``(safe_html, plain_text)`` for an HTML (or plain-text) fragment.

    Text without any tag is taken as plain text: its line breaks are kept and become
    ``<br>`` and ``<p>`` in the HTML version. ``memo``, one per feed, lets fragments
    that share paragraphs share the work.
    """
    if not source:
        return "", ""
    if "<" not in source:
        return _from_text(source)
    return _fast(source, memo) or _parsed(source)


def sanitize_slow(source: str) -> tuple[str, str]:
    """The general path alone (for tests that compare the two paths)."""
    if "<" not in source:
        return _from_text(source)
    return _parsed(source)
