"""What the fetcher may contact: its errors, its policy, the URL rules and the address guard.

Every URL that came from outside (a feed URL, a ``Location`` header, an enclosure or
artwork URL inside a feed) goes through :func:`check_url` before anything touches the
network, and every address a name resolves to goes through :func:`check_address` before
a socket is opened. ``liner.kit.fetch`` re-exports the public names of this module.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import quote, urlsplit

from liner.kit.errors import ConfigError, InputError, LinerError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], Iterable[str]]
"""``(host, port) -> addresses as text``; :func:`system_resolver` is the default."""

DEFAULT_USER_AGENT: Final = (
    "Liner/0.1 (+https://github.com/liner-audio/liner; podcast feed fetcher)"
)
MAX_URL_LENGTH: Final = 8192


class FetchError(LinerError):
    """A fetch that did not produce a usable response; ``location`` is the URL concerned."""

    code = "fetch_error"

    def __init__(self, message: str, *, url: str = "", code: str | None = None) -> None:
        super().__init__(message, location=url, code=code)
        self.url = url


class FetchInvalidUrlError(FetchError, InputError):
    code = "fetch_invalid_url"


class FetchForbiddenSchemeError(FetchError, InputError):
    code = "fetch_forbidden_scheme"


class FetchCredentialsInUrlError(FetchError, InputError):
    code = "fetch_credentials_in_url"


class FetchForbiddenAddressError(FetchError, InputError):
    code = "fetch_forbidden_address"


class FetchTooManyRedirectsError(FetchError):
    code = "fetch_too_many_redirects"


class FetchTimeoutError(FetchError):
    code = "fetch_timeout"


class FetchTooLargeError(FetchError):
    code = "fetch_too_large"


class FetchConnectFailedError(FetchError):
    code = "fetch_connect_failed"


class FetchBadResponseError(FetchError):
    code = "fetch_bad_response"


class FetchHttpStatusError(FetchError):
    """The server answered with a status that is neither success, 304 nor a redirect."""

    code = "fetch_http_status"

    def __init__(
        self, message: str, *, url: str, status: int, retry_after_s: float | None = None
    ) -> None:
        super().__init__(message, url=url)
        self.status = status
        self.retry_after_s = retry_after_s


# Addresses that are never fetched unless an IP or CIDR entry of the allow-list covers
# them: a host-name entry does not unlock these.
METADATA_ADDRESSES: Final[frozenset[IPAddress]] = frozenset(
    ipaddress.ip_address(text)
    for text in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack, DigitalOcean instance metadata
        "169.254.170.2",  # AWS ECS task metadata
        "169.254.170.23",  # AWS EKS pod identity
        "fd00:ec2::254",  # AWS instance metadata over IPv6
        "fd00:ec2::23",  # AWS EKS pod identity over IPv6
        "100.100.100.200",  # Alibaba Cloud metadata
        "192.0.0.192",  # Oracle Cloud metadata
        "168.63.129.16",  # Azure wire server
    )
)


def _networks(*rows: tuple[str, str]) -> tuple[tuple[IPNetwork, str], ...]:
    return tuple((ipaddress.ip_network(cidr), reason) for cidr, reason in rows)


_DENIED: Final = _networks(
    ("0.0.0.0/8", "unspecified"),
    ("10.0.0.0/8", "private"),
    ("100.64.0.0/10", "carrier-grade NAT"),
    ("127.0.0.0/8", "loopback"),
    ("169.254.0.0/16", "link-local"),
    ("172.16.0.0/12", "private"),
    ("192.0.0.0/24", "reserved (IETF protocol assignments)"),
    ("192.0.2.0/24", "reserved (documentation)"),
    ("192.88.99.0/24", "reserved (6to4 relay)"),
    ("192.168.0.0/16", "private"),
    ("198.18.0.0/15", "reserved (benchmarking)"),
    ("198.51.100.0/24", "reserved (documentation)"),
    ("203.0.113.0/24", "reserved (documentation)"),
    ("224.0.0.0/4", "multicast"),
    ("240.0.0.0/4", "reserved"),
    ("::/128", "unspecified"),
    ("::1/128", "loopback"),
    ("::/96", "reserved (IPv4-compatible)"),
    ("64:ff9b:1::/48", "reserved (local NAT64)"),
    ("100::/64", "reserved (discard)"),
    ("2001::/32", "reserved (Teredo)"),
    ("2001:db8::/32", "reserved (documentation)"),
    ("2002::/16", "reserved (6to4)"),
    ("3fff::/20", "reserved (documentation)"),
    ("5f00::/16", "reserved (segment routing)"),
    ("fc00::/7", "private (unique local)"),
    ("fe80::/10", "link-local"),
    ("fec0::/10", "reserved (site-local)"),
    ("ff00::/8", "multicast"),
)
_NAT64: Final = ipaddress.IPv6Network("64:ff9b::/96")


def _embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv4-mapped or NAT64 IPv6 address reaches, if any."""
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def forbidden_reason(address: str | IPAddress) -> str | None:
    """Why ``address`` must not be contacted by default, or ``None`` if it is public.

    Explicit ranges are checked before ``ipaddress``'s ``is_global`` (which has had
    classification bugs across CPython releases); IPv4-mapped and NAT64 addresses are
    judged by the IPv4 address they reach.
    """
    ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    if ip in METADATA_ADDRESSES:
        return "cloud metadata"
    embedded = _embedded_ipv4(ip)
    if embedded is not None:
        reason = forbidden_reason(embedded)
        return None if reason is None else f"{reason} (IPv4 {embedded} inside IPv6)"
    for network, reason in _DENIED:
        if ip in network:
            return reason
    if isinstance(ip, ipaddress.IPv6Address) and ip.scope_id:
        return "scoped"
    if not ip.is_global:
        return "not globally routable"
    return None


_NAME_RE: Final = re.compile(r"[a-z0-9_-]{1,63}(?:\.[a-z0-9_-]{1,63})*")
_NUMERIC_LABEL_RE: Final = re.compile(r"[0-9]+|0x[0-9a-f]*")


def _ascii_host(text: str) -> str:
    """Lower-case ASCII form of a host name (IDNA-encoded), without a trailing dot."""
    host = text.strip().lower()
    if not host.isascii():
        host = host.encode("idna").decode("ascii").lower()
    return host[:-1] if host.endswith(".") else host


def _looks_numeric(host: str) -> bool:
    """True when the last label is a number: the host then has to be a dotted quad."""
    return _NUMERIC_LABEL_RE.fullmatch(host.rsplit(".", 1)[-1]) is not None


def _parse_allow_entry(entry: str) -> str | IPNetwork:
    text = entry.strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        pass
    try:
        host = _ascii_host(text)
    except UnicodeError:
        host = ""
    if not host or len(host) > 253 or _NAME_RE.fullmatch(host) is None or _looks_numeric(host):
        raise ConfigError(
            f"allow-list entry {entry!r} is neither a host name, an IP address nor a CIDR",
            location=entry,
        )
    return host


def parse_allow_list(text: str) -> tuple[str, ...]:
    """Split ``"localhost, 127.0.0.0/8 ::1"`` into entries (commas and/or whitespace)."""
    return tuple(part for part in re.split(r"[,\s]+", text) if part)


@dataclass(frozen=True)
class FetchPolicy:
    """Limits and exceptions for one kind of fetch; the defaults suit podcast feeds.

    ``allow_hosts`` holds host names and IP addresses or CIDRs that may be fetched even
    though they are private, loopback and so on (self-hosters with a feed on their LAN,
    tests on 127.0.0.1). A name entry allows whatever that name resolves to, except a
    cloud metadata address, which only an IP or CIDR entry can allow.
    """

    allow_hosts: tuple[str, ...] = ()
    schemes: frozenset[str] = frozenset({"http", "https"})
    deadline_s: float = 15.0
    connect_timeout_s: float = 5.0
    max_body_bytes: int = 25 * 1024 * 1024
    max_redirects: int = 5
    user_agent: str = DEFAULT_USER_AGENT
    allowed_ports: frozenset[int] | None = None
    """``None`` allows any port; otherwise only these (for example ``{80, 443}``)."""
    ca_file: str | None = None
    """PEM file of the CAs to trust instead of the system store (private CAs, tests)."""
    allowed_names: frozenset[str] = field(init=False, repr=False, compare=False)
    allowed_networks: tuple[IPNetwork, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        unknown = set(self.schemes) - {"http", "https"}
        if unknown or not self.schemes:
            raise ConfigError(f"fetch schemes must be a non-empty subset of http, https: {unknown}")
        if self.deadline_s <= 0 or self.connect_timeout_s <= 0:
            raise ConfigError("fetch deadline and connect timeout must be positive")
        if self.max_body_bytes <= 0 or self.max_redirects < 0:
            raise ConfigError("fetch max_body_bytes must be positive and max_redirects >= 0")
        if not _header_value_ok(self.user_agent):
            raise ConfigError("fetch user agent must be printable text")
        names: set[str] = set()
        networks: list[IPNetwork] = []
        for entry in self.allow_hosts:
            parsed = _parse_allow_entry(entry)
            if isinstance(parsed, str):
                names.add(parsed)
            else:
                networks.append(parsed)
        object.__setattr__(self, "allowed_names", frozenset(names))
        object.__setattr__(self, "allowed_networks", tuple(networks))

    @classmethod
    def from_allow_list(cls, text: str, **settings: Any) -> FetchPolicy:
        """A policy whose ``allow_hosts`` come from a setting such as
        ``LINER_FEED_ALLOW_HOSTS="localhost,127.0.0.0/8"``; raises ``ConfigError``."""
        return cls(allow_hosts=parse_allow_list(text), **settings)

    def is_allow_listed(self, host: str, address: IPAddress) -> bool:
        embedded = _embedded_ipv4(address)
        for network in self.allowed_networks:
            if address in network or (embedded is not None and embedded in network):
                return True
        if address in METADATA_ADDRESSES:
            return False
        return host in self.allowed_names


def _header_value_ok(value: str) -> bool:
    """Printable Latin-1 with no control characters: safe to put in a request header."""
    return (
        0 < len(value) <= 4096
        and all(ch == "\t" or " " <= ch <= "~" or "\x80" <= ch <= "\xff" for ch in value)
        and value == value.strip()
    )


@dataclass(frozen=True)
class FetchTarget:
    """A URL that passed the syntactic checks, split into what the request needs."""

    url: str
    """Normalised: lower-case scheme and host, default port and fragment dropped."""
    scheme: str
    host: str
    """ASCII host name, or the IP address without brackets."""
    port: int
    request_target: str
    host_header: str
    literal: IPAddress | None
    """The address when the URL names an IP literal (then no resolver is asked)."""


_CONTROL_RE: Final = re.compile(r"[\x00-\x20\x7f\\]")
_PATH_SAFE: Final = "/%:@!$&'()*+,;=-._~"
_QUERY_SAFE: Final = _PATH_SAFE + "?"


def _redact(url: str) -> str:
    """``url`` with anything between ``//`` and the last ``@`` of the authority removed."""
    scheme, sep, rest = url.partition("//")
    if not sep:
        return url
    end = min((i for i in (rest.find(c) for c in "/?#") if i >= 0), default=len(rest))
    authority = rest[:end]
    return f"{scheme}//{authority.rpartition('@')[2]}{rest[end:]}"


def check_url(url: str, policy: FetchPolicy) -> FetchTarget:
    """Validate ``url`` without touching the network and return its parts.

    Raises :class:`FetchForbiddenSchemeError`, :class:`FetchCredentialsInUrlError`,
    :class:`FetchInvalidUrlError` or, for an IP literal that is not allowed,
    :class:`FetchForbiddenAddressError`. Numeric hosts other than a canonical dotted
    quad (``2130706433``, ``0x7f.1``, ``0177.0.0.1``) are invalid, not resolved.
    """
    text = url.strip() if isinstance(url, str) else ""
    if not text or len(text) > MAX_URL_LENGTH:
        raise FetchInvalidUrlError("URL is empty or too long", url=_redact(text[:200]))
    scheme = text.partition(":")[0].lower() if ":" in text else ""
    if scheme not in policy.schemes:
        shown = scheme or "none"
        raise FetchForbiddenSchemeError(
            f"URL scheme {shown!r} is not allowed", url=_redact(text[:200])
        )
    shown = _redact(text)
    if _CONTROL_RE.search(text):
        raise FetchInvalidUrlError(
            "URL contains whitespace, control characters or a backslash", url=shown
        )
    try:
        parts = urlsplit(text)
        port_in_url = parts.port
    except ValueError as exc:
        raise FetchInvalidUrlError(f"URL cannot be parsed: {exc}", url=shown) from exc
    if "@" in parts.netloc:
        raise FetchCredentialsInUrlError("URL contains credentials", url=shown)
    raw_host = parts.hostname or ""
    literal: IPAddress | None = None
    if "[" in parts.netloc:
        try:
            literal = ipaddress.IPv6Address(raw_host)
        except ValueError as exc:
            raise FetchInvalidUrlError("invalid IPv6 literal", url=shown) from exc
        if literal.scope_id:
            raise FetchInvalidUrlError("IPv6 zone identifiers are not allowed", url=shown)
        host = str(literal)
    else:
        try:
            host = _ascii_host(raw_host)
        except UnicodeError as exc:
            raise FetchInvalidUrlError("host name is not valid IDNA", url=shown) from exc
        if not host or len(host) > 253 or _NAME_RE.fullmatch(host) is None:
            raise FetchInvalidUrlError(f"invalid host name {raw_host!r}", url=shown)
        if _looks_numeric(host):
            try:
                literal = ipaddress.IPv4Address(host)
            except ValueError as exc:
                raise FetchInvalidUrlError(
                    f"numeric host {raw_host!r} is not a dotted-quad IPv4 address", url=shown
                ) from exc
    default_port = 443 if scheme == "https" else 80
    port = default_port if port_in_url is None else port_in_url
    if port == 0:
        raise FetchInvalidUrlError("port 0 is not valid", url=shown)
    url_host = f"[{host}]" if isinstance(literal, ipaddress.IPv6Address) else host
    authority = url_host if port == default_port else f"{url_host}:{port}"
    path = quote(parts.path or "/", safe=_PATH_SAFE)
    query = quote(parts.query, safe=_QUERY_SAFE)
    request_target = f"{path}?{query}" if query else path
    target = FetchTarget(
        url=f"{scheme}://{authority}{request_target}",
        scheme=scheme,
        host=host,
        port=port,
        request_target=request_target,
        host_header=authority,
        literal=literal,
    )
    if policy.allowed_ports is not None and port not in policy.allowed_ports:
        raise FetchForbiddenAddressError(f"port {port} is not allowed", url=target.url)
    if literal is not None:
        check_address(target, literal, policy)
    return target


def check_address(target: FetchTarget, address: IPAddress, policy: FetchPolicy) -> None:
    """Raise :class:`FetchForbiddenAddressError` unless ``address`` may be contacted."""
    if policy.is_allow_listed(target.host, address):
        return
    reason = forbidden_reason(address)
    if reason is not None:
        via = "" if target.literal is not None else f"{target.host} resolves to "
        raise FetchForbiddenAddressError(
            f"{via}{address}, a {reason} address, is not allowed", url=target.url
        )


def system_resolver(host: str, port: int) -> list[str]:
    """Addresses for ``host`` from ``socket.getaddrinfo``, in the system's order."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def resolve_target(target: FetchTarget, policy: FetchPolicy, resolver: Resolver) -> list[IPAddress]:
    """The addresses to connect to, every one of them checked; any forbidden one refuses
    the whole name (a name that mixes public and private answers is not trusted)."""
    if target.literal is not None:
        return [target.literal]
    try:
        answers = list(resolver(target.host, target.port))
    except (OSError, UnicodeError) as exc:
        raise FetchConnectFailedError(
            f"cannot resolve {target.host}: {exc}", url=target.url
        ) from exc
    addresses: list[IPAddress] = []
    for answer in answers:
        try:
            address = ipaddress.ip_address(answer)
        except ValueError as exc:
            raise FetchConnectFailedError(
                f"resolver returned {answer!r} for {target.host}", url=target.url
            ) from exc
        check_address(target, address, policy)
        addresses.append(address)
    if not addresses:
        raise FetchConnectFailedError(f"no address for {target.host}", url=target.url)
    return addresses
