from __future__ import annotations

from server.client_ip import client_ip, parse_networks

PROXIES = parse_networks(["127.0.0.1", "10.0.0.0/8", "::1"])


def test_untrusted_peer_is_the_client_whatever_it_claims() -> None:
    assert client_ip("203.0.113.9", "1.2.3.4", None, PROXIES) == "203.0.113.9"


def test_trusted_proxy_forwards_the_client() -> None:
    assert client_ip("127.0.0.1", "198.51.100.7", None, PROXIES) == "198.51.100.7"


def test_chain_stops_at_first_untrusted_hop() -> None:
    # A client can prepend anything; only hops added by our proxies are believed.
    xff = "6.6.6.6, 198.51.100.7, 10.1.1.1"
    assert client_ip("127.0.0.1", xff, None, PROXIES) == "198.51.100.7"


def test_forwarded_header() -> None:
    fwd = 'for=192.0.2.60;proto=https, for="[2001:db8::1]:4711"'
    assert client_ip("::1", None, fwd, PROXIES) == "2001:db8::1"


def test_garbage_hop_stops_the_walk() -> None:
    assert client_ip("127.0.0.1", "1.2.3.4, unknown", None, PROXIES) == "127.0.0.1"


def test_no_proxies_configured() -> None:
    assert client_ip("127.0.0.1", "1.2.3.4", None, ()) == "127.0.0.1"
