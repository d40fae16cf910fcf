"""Allow and block lists, as the sign-on path reads them: entries normalised once when an
organizer adds them, compiled into sets and networks, kept in each process for a moment.

An address entry is stored as a keyed hash of the address's normalised form, never as typed:
the list, the console and the audit log hold no signer's address."""

from __future__ import annotations

import functools
import hashlib
import hmac
import ipaddress
from dataclasses import dataclass, field

from django.conf import settings

from undersigned.lib.emails import email_key

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def ascii_domain(domain: str) -> str:
    """A domain in the form matching compares: lower case, no trailing dot, IDN as punycode
    (예시.kr and xn--... are one domain). Raises ValueError for what cannot be a domain."""
    domain = domain.strip().lower().rstrip(".").removeprefix("@")
    if not domain:
        raise ValueError("empty domain")
    if domain.isascii():
        return domain  # already the ASCII form (the sign-on path's usual case: no codec)
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError:
        raise ValueError(domain) from None


def address_key(address: str) -> str:
    """The normalised address (lib.emails.email_key) with its domain in ASCII form."""
    local, _at, domain = email_key(address).rpartition("@")
    try:
        domain = ascii_domain(domain)
    except ValueError:
        pass
    return f"{local}@{domain}"


@functools.lru_cache(maxsize=2)
def _digest_key(secret: str) -> bytes:
    return hashlib.sha256(f"undersigned.address:{secret}".encode()).digest()


def address_digest(address: str) -> str:
    """A keyed hash of the normalised address: equal for j.park+x@GMail.com and
    jpark@gmail.com, useless without the site's key."""
    key = _digest_key(settings.SECRET_KEY)
    return hmac.new(key, address_key(address).encode(), hashlib.sha256).hexdigest()[:40]


def mask_address(address: str) -> str:
    """How the console shows an address entry: the first letter and the domain (j…@example.org)."""
    local, _at, domain = address.strip().rpartition("@")
    return f"{local[:1]}…@{domain.lower()}"


def parse_network(value: str) -> Network:
    """An address or a range in CIDR form, IPv4 or IPv6; host bits are dropped (203.0.113.7/24
    is 203.0.113.0/24). Raises ValueError."""
    return ipaddress.ip_network(value.strip(), strict=False)


def _address(ip: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(ip.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped  # ::ffff:203.0.113.7 is 203.0.113.7
    return address


def _domain_and_parents(domain: str) -> list[str]:
    """mail.spam.example -> [mail.spam.example, spam.example, example]"""
    parts = domain.split(".")
    return [".".join(parts[i:]) for i in range(len(parts))]


@dataclass
class RuleSet:
    """One action's entries (allow or block), ready to match: a set lookup per prefix
    length in use, per domain level and per address, whatever the length of the list."""

    # (IP version, prefix length) -> {the range's leading bits as an int: the range as text}
    networks: dict[tuple[int, int], dict[int, str]] = field(default_factory=dict)
    domains: set[str] = field(default_factory=set)
    addresses: set[str] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.networks or self.domains or self.addresses)

    def add_network(self, network: Network) -> None:
        bits = network.max_prefixlen - network.prefixlen
        prefix = int(network.network_address) >> bits
        self.networks.setdefault((network.version, network.prefixlen), {})[prefix] = str(network)

    def match(self, *, ip: str, email: str) -> str:
        """What matched, in words for the hold reason, or ""."""
        if self.networks and ip:
            address = _address(ip)
            if address is not None:
                value = int(address)
                for (version, prefixlen), prefixes in self.networks.items():
                    if version == address.version:
                        found = prefixes.get(value >> (address.max_prefixlen - prefixlen))
                        if found is not None:
                            return f"IP range {found}"
        if (self.domains or self.addresses) and "@" in email:
            if self.domains:
                try:
                    domain = ascii_domain(email.rpartition("@")[2])
                except ValueError:
                    domain = ""
                for candidate in _domain_and_parents(domain) if domain else ():
                    if candidate in self.domains:
                        return f"email domain {candidate}"
            if self.addresses and address_digest(email) in self.addresses:
                return "email address"
        return ""


@dataclass
class Screening:
    """A statement's abuse settings: its own limits (None: the site's default, read from
    settings at each use) and its allow and block lists."""

    own_per_minute: int | None = None
    own_per_hour: int | None = None
    own_min_fill_seconds: int | None = None
    allow: RuleSet = field(default_factory=RuleSet)
    block: RuleSet = field(default_factory=RuleSet)

    @property
    def per_minute(self) -> int:
        return (
            settings.RATE_LIMIT_PER_MINUTE if self.own_per_minute is None else self.own_per_minute
        )

    @property
    def per_hour(self) -> int:
        return settings.RATE_LIMIT_PER_HOUR if self.own_per_hour is None else self.own_per_hour

    @property
    def min_fill_seconds(self) -> int:
        own = self.own_min_fill_seconds
        return settings.MIN_FILL_SECONDS if own is None else own
