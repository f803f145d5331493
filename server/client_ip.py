"""The real client address behind trusted reverse proxies (for rate limits and logs).

Only proxies listed in `[server] trusted_proxies` are believed: we walk the forwarding chain
from the nearest hop outwards and stop at the first address we do not trust.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(entries: Sequence[str]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(e, strict=False) for e in entries)


def _parse_ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip().strip('"')
    if text.startswith("["):  # [v6]:port
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:  # v4:port
        text = text.partition(":")[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _trusted(ip: ipaddress.IPv4Address | ipaddress.IPv6Address | None,
             trusted: Sequence[Network]) -> bool:
    return ip is not None and any(ip.version == n.version and ip in n for n in trusted)


def forwarded_for(header: str) -> list[str]:
    """The `for=` values of an RFC 7239 Forwarded header, in order."""
    hops: list[str] = []
    for element in header.split(","):
        for pair in element.split(";"):
            key, _, value = pair.strip().partition("=")
            if key.strip().lower() == "for":
                hops.append(value.strip())
    return hops


def client_ip(peer: str | None, x_forwarded_for: str | None, forwarded: str | None,
              trusted: Sequence[Network]) -> str | None:
    """The client address: the peer itself unless the peer is a trusted proxy."""
    peer_ip = _parse_ip(peer) if peer else None
    if not _trusted(peer_ip, trusted):
        return str(peer_ip) if peer_ip is not None else peer
    if forwarded:
        chain = forwarded_for(forwarded)
    elif x_forwarded_for:
        chain = [hop.strip() for hop in x_forwarded_for.split(",")]
    else:
        chain = []
    result: str = str(peer_ip)
    for hop in reversed(chain):
        ip = _parse_ip(hop)
        if ip is None:
            break  # obfuscated or garbage: stop believing the chain here
        result = str(ip)
        if not _trusted(ip, trusted):
            break
    return result
