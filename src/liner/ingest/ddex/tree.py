"""Namespace-agnostic helpers over lxml elements, and the problem collector.

ERN elements below the root are unqualified, but some senders qualify them (``ns1:``);
every lookup here compares local names only, by walking children (faster than XPath
with ``local-name()``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache

from lxml import etree

from liner.ingest.records import Problem

Element = etree._Element

ERROR = "error"
WARNING = "warning"


@lru_cache(maxsize=4096)
def _local_name(tag: str) -> str:
    brace = tag.rfind("}")
    return tag[brace + 1 :] if brace >= 0 else tag


def local(element: Element) -> str:
    tag = element.tag
    if not isinstance(tag, str):
        return ""
    return _local_name(tag)


_INDEX: ContextVar[dict[Element, dict[str, list[Element]]] | None] = ContextVar(
    "ddex_child_index", default=None
)


@contextmanager
def indexed() -> Iterator[None]:
    """While mapping one document: remember each element's children by local name the
    first time they are asked for, so that an element read field by field is walked
    once, not once per field. The document must not change meanwhile."""
    token = _INDEX.set({})
    try:
        yield
    finally:
        _INDEX.reset(token)


_NAMES: dict[object, str] = {}
"""Local name by tag (a comment's or processing instruction's tag is a function: "")."""
_NAMES_LIMIT = 4096


def _by_name(element: Element) -> dict[str, list[Element]]:
    # The hottest loop of the mapping: one dictionary look-up per child, no calls.
    groups: dict[str, list[Element]] = {}
    names = _NAMES
    for child in element:
        tag = child.tag
        name = names.get(tag)
        if name is None:
            name = _local_name(tag) if isinstance(tag, str) else ""
            if len(names) >= _NAMES_LIMIT:
                names.clear()  # a flood of odd tags must not leave it full for good
            names[tag] = name
        group = groups.get(name)
        if group is None:
            groups[name] = [child]
        else:
            group.append(child)
    return groups


def _children(element: Element) -> dict[str, list[Element]]:
    index = _INDEX.get()
    if index is None:
        return _by_name(element)
    groups = index.get(element)
    if groups is None:
        groups = index[element] = _by_name(element)
    return groups


def grouped(element: Element | None) -> Mapping[str, Sequence[Element]]:
    """The children of ``element`` by local name, in one pass (for elements read field
    by field, such as deal terms). Read-only: it may be the index's own."""
    if element is None:
        return {}
    return _children(element)


def kids(element: Element | None, name: str) -> list[Element]:
    """The children of ``element`` called ``name``, in document order."""
    if element is None:
        return []
    return list(_children(element).get(name, ()))


def kid(element: Element | None, name: str) -> Element | None:
    """The first child of ``element`` called ``name``."""
    if element is None:
        return None
    found = _children(element).get(name)
    return found[0] if found else None


def path(element: Element | None, *names: str) -> Element | None:
    """Follow a chain of first children: ``path(e, "ReleaseId", "ICPN")``."""
    for name in names:
        element = kid(element, name)
        if element is None:
            return None
    return element


def every(element: Element | None, *names: str) -> list[Element]:
    """Every element reached through a chain of child names (all matches at each step)."""
    current: list[Element] = [element] if element is not None else []
    for name in names:
        current = [child for parent in current for child in _children(parent).get(name, ())]
    return current


def text(element: Element | None) -> str | None:
    """The stripped text of ``element``, or None when it is absent or blank."""
    if element is None:
        return None
    value = element.text
    if value is None:
        return None
    value = value.strip()
    return value or None


def kid_text(element: Element | None, *names: str) -> str | None:
    return text(path(element, *names))


def texts(elements: Iterable[Element]) -> list[str]:
    return [value for value in (text(e) for e in elements) if value is not None]


def attr(element: Element | None, name: str) -> str | None:
    if element is None:
        return None
    value = element.get(name)
    if value is None:
        return None
    value = value.strip()
    return value or None


def is_true(value: str | None) -> bool:
    return value is not None and value.strip().lower() in ("true", "1", "yes")


def sequence_number(element: Element) -> int | None:
    """``SequenceNumber`` as an attribute or a child element, when it is a number."""
    raw = attr(element, "SequenceNumber") or kid_text(element, "SequenceNumber")
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError:
        return None


def by_sequence(elements: Iterable[Element]) -> list[Element]:
    """Order by ``SequenceNumber``; elements without one keep their document order,
    after those that have one."""
    indexed = list(enumerate(elements))

    def key(item: tuple[int, Element]) -> tuple[int, int, int]:
        number = sequence_number(item[1])
        return (0, number, item[0]) if number is not None else (1, 0, item[0])

    return [element for _, element in sorted(indexed, key=key)]


def xpath_of(element: Element | None) -> str:
    """An XPath-ish location: ``/NewReleaseMessage/ReleaseList/Release[2]/ReleaseId``.
    Positions are given only where a name repeats among siblings."""
    if element is None:
        return ""
    steps: list[str] = []
    current: Element | None = element
    while current is not None:
        name = local(current)
        parent = current.getparent()
        if parent is not None:
            same = [child for child in parent if local(child) == name]
            if len(same) > 1:
                name = f"{name}[{same.index(current) + 1}]"
        steps.append(name)
        current = parent
    return "/" + "/".join(reversed(steps))


class Problems:
    """Collects problems while a message is mapped."""

    def __init__(self) -> None:
        self._items: list[Problem] = []
        self._seen: set[tuple[str, str, str]] = set()

    def add(
        self,
        code: str,
        message: str,
        *,
        severity: str = WARNING,
        at: Element | str | None = None,
    ) -> None:
        location = at if isinstance(at, str) else xpath_of(at)
        key = (code, message, location)
        if key in self._seen:
            return
        self._seen.add(key)
        self._items.append(
            Problem(code=code, message=message, severity=severity, location=location)
        )

    def error(self, code: str, message: str, *, at: Element | str | None = None) -> None:
        self.add(code, message, severity=ERROR, at=at)

    def warn(self, code: str, message: str, *, at: Element | str | None = None) -> None:
        self.add(code, message, severity=WARNING, at=at)

    def __iter__(self) -> Iterator[Problem]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def freeze(self) -> tuple[Problem, ...]:
        return tuple(self._items)
