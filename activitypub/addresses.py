"""Which IP addresses outgoing server-to-server requests may reach.

A remote actor chooses the URLs we fetch (its inbox, key id, avatar), so without this check
anyone could make us probe our own loopback, LAN or cloud metadata service (SSRF).
Pure stdlib, no I/O: the HTTP client applies it to literal hosts and to DNS answers.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_v4 = ipaddress.IPv4Network
_v6 = ipaddress.IPv6Network

# Never a valid peer, whatever the policy: connecting to 0.0.0.0/8 or :: reaches this very
# host on Linux, and multicast/broadcast are not unicast servers.
_NEVER: tuple[IPNetwork, ...] = (
    _v4("0.0.0.0/8"), _v4("224.0.0.0/4"), _v4("255.255.255.255/32"), _v6("::/128"), _v6("ff00::/8"),
)

# Not publicly routable. Spelled out rather than trusting only `is_global`, whose tables
# differ between Python patch releases (3.11.7 calls 224.0.0.1 and 192.0.0.9 global).
_NON_PUBLIC_V4 = tuple(
    _v4(n)
    for n in (
        "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
        "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15",
        "198.51.100.0/24", "203.0.113.0/24", "240.0.0.0/4",
    )
)
# Public IPv6 unicast lives in 2000::/3; inside it, these are special-purpose.
_GLOBAL_UNICAST_V6 = _v6("2000::/3")
_NON_PUBLIC_V6 = tuple(
    _v6(n)
    for n in (
        "2001::/23",  # IETF protocol assignments: Teredo, benchmarking, ORCHID
        "2001:db8::/32",  # documentation
        "3fff::/20",  # documentation (RFC 9637)
        "5f00::/16",  # SRv6 SIDs
    )
)
# The well-known NAT64 prefix (RFC 6052): the last 32 bits are the IPv4 destination.
_NAT64_V6 = _v6("64:ff9b::/96")


def parse_ip(value: str | IPAddress) -> IPAddress | None:
    """The address in `value` (scoped IPv6 such as fe80::1%eth0 included), or None."""
    if isinstance(value, ipaddress.IPv4Address | ipaddress.IPv6Address):
        return value
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def embedded_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address really reaches: mapped, NAT64 or 6to4; else None."""
    if isinstance(ip, ipaddress.IPv4Address):
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in _NAT64_V6:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip.sixtofour


@dataclass(frozen=True, slots=True)
class AddressPolicy:
    """Decides whether an outgoing connection to an address is allowed.

    `allow_private` admits loopback, private, link-local and reserved ranges (development,
    tests, a LAN federation); multicast, broadcast and unspecified addresses stay refused.
    `extra_allowed` admits given networks even when `allow_private` is False.
    """

    allow_private: bool = False
    extra_allowed: tuple[IPNetwork, ...] = ()

    def is_allowed(self, ip: str | IPAddress) -> bool:
        address = parse_ip(ip)
        if address is None:
            return False
        if _in_any(address, _NEVER):
            return False
        if _in_any(address, self.extra_allowed):
            return True
        inner = embedded_ipv4(address)
        if inner is not None:
            # ::ffff:127.0.0.1 connects to 127.0.0.1: judge what is really reached.
            return self.is_allowed(inner)
        return self.allow_private or _is_public(address)


def _in_any(ip: IPAddress, networks: tuple[IPNetwork, ...]) -> bool:
    # `in` across versions is simply False, so mixed tuples are fine.
    return any(ip in network for network in networks)


def _is_public(ip: IPAddress) -> bool:
    if isinstance(ip, ipaddress.IPv4Address):
        return ip.is_global and not _in_any(ip, _NON_PUBLIC_V4)
    return ip in _GLOBAL_UNICAST_V6 and ip.is_global and not _in_any(ip, _NON_PUBLIC_V6)
