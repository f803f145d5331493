"""AddressPolicy over a table of addresses: pure, no sockets."""

from __future__ import annotations

import ipaddress

import pytest

from activitypub.addresses import AddressPolicy, embedded_ipv4, parse_ip

STRICT = AddressPolicy()
LENIENT = AddressPolicy(allow_private=True)

# (address, allowed by default, allowed with allow_private=True)
TABLE = [
    # public
    ("93.184.216.34", True, True),
    ("8.8.8.8", True, True),
    ("2606:2800:220:1:248:1893:25c8:1946", True, True),
    ("2a01:4f8::1", True, True),
    # loopback
    ("127.0.0.1", False, True),
    ("127.255.255.254", False, True),
    ("::1", False, True),
    # RFC 1918 and IPv6 unique local
    ("10.1.2.3", False, True),
    ("172.16.0.1", False, True),
    ("172.31.255.255", False, True),
    ("192.168.1.1", False, True),
    ("fc00::1", False, True),
    ("fd12:3456::1", False, True),
    # link-local, the cloud metadata address among them
    ("169.254.169.254", False, True),
    ("fe80::1", False, True),
    ("fe80::1%eth0", False, True),
    # shared address space (carrier-grade NAT), benchmarking, documentation, reserved
    ("100.64.0.1", False, True),
    ("198.18.0.1", False, True),
    ("192.0.2.1", False, True),
    ("198.51.100.7", False, True),
    ("203.0.113.9", False, True),
    ("192.0.0.9", False, True),
    ("240.0.0.1", False, True),
    ("2001:db8::1", False, True),
    ("2001::1", False, True),  # Teredo
    ("fec0::1", False, True),  # deprecated site-local
    ("100::1", False, True),  # discard
    ("64:ff9b:1::a00:1", False, True),  # local-use NAT64
    # never a peer, whatever the policy
    ("0.0.0.0", False, False),  # noqa: S104 (an address under test, nothing binds it)
    ("0.1.2.3", False, False),
    ("::", False, False),
    ("224.0.0.1", False, False),
    ("239.255.255.250", False, False),
    ("255.255.255.255", False, False),
    ("ff02::1", False, False),
    ("ff0e::1", False, False),
    # IPv6 forms embedding IPv4: judged by the IPv4 they reach
    ("::ffff:127.0.0.1", False, True),
    ("::ffff:10.0.0.1", False, True),
    ("::ffff:8.8.8.8", True, True),
    ("::ffff:0.0.0.0", False, False),
    ("::ffff:224.0.0.1", False, False),
    ("64:ff9b::7f00:1", False, True),  # NAT64 of 127.0.0.1
    ("64:ff9b::a9fe:a9fe", False, True),  # NAT64 of 169.254.169.254
    ("64:ff9b::808:808", True, True),  # NAT64 of 8.8.8.8
    ("2002:7f00:1::1", False, True),  # 6to4 of 127.0.0.1
    ("2002:c0a8:101::1", False, True),  # 6to4 of 192.168.1.1
    ("2002:808:808::1", True, True),  # 6to4 of 8.8.8.8
    # not an address at all
    ("example.com", False, False),
    ("", False, False),
]


@pytest.mark.parametrize(("address", "strict", "lenient"), TABLE)
def test_policy_table(address: str, strict: bool, lenient: bool) -> None:
    assert STRICT.is_allowed(address) is strict
    assert LENIENT.is_allowed(address) is lenient


@pytest.mark.parametrize(("address", "strict", "lenient"), [r for r in TABLE if parse_ip(r[0])])
def test_policy_takes_address_objects(address: str, strict: bool, lenient: bool) -> None:
    ip = ipaddress.ip_address(address)
    assert STRICT.is_allowed(ip) is strict
    assert LENIENT.is_allowed(ip) is lenient


def test_extra_allowed_admits_only_its_networks() -> None:
    policy = AddressPolicy(extra_allowed=(ipaddress.ip_network("127.0.0.2/32"),
                                          ipaddress.ip_network("fd00:1::/64")))
    assert policy.is_allowed("127.0.0.2")
    assert policy.is_allowed("::ffff:127.0.0.2")  # the mapped form reaches the same host
    assert policy.is_allowed("fd00:1::5")
    assert not policy.is_allowed("127.0.0.1")
    assert not policy.is_allowed("fd00:2::5")
    assert not policy.is_allowed("10.0.0.1")
    assert policy.is_allowed("8.8.8.8")


def test_extra_allowed_cannot_admit_never_addresses() -> None:
    policy = AddressPolicy(extra_allowed=(ipaddress.ip_network("0.0.0.0/0"),
                                          ipaddress.ip_network("::/0")))
    assert policy.is_allowed("10.0.0.1")
    assert not policy.is_allowed("0.0.0.0")  # noqa: S104 (nothing binds it)
    assert not policy.is_allowed("224.0.0.1")
    assert not policy.is_allowed("ff02::1")


def test_embedded_ipv4() -> None:
    v4 = ipaddress.IPv4Address
    assert embedded_ipv4(ipaddress.ip_address("::ffff:1.2.3.4")) == v4("1.2.3.4")
    assert embedded_ipv4(ipaddress.ip_address("64:ff9b::102:304")) == v4("1.2.3.4")
    assert embedded_ipv4(ipaddress.ip_address("2002:102:304::")) == v4("1.2.3.4")
    assert embedded_ipv4(ipaddress.ip_address("2a01:4f8::1")) is None
    assert embedded_ipv4(v4("1.2.3.4")) is None


def test_policy_is_frozen() -> None:
    with pytest.raises(AttributeError):
        STRICT.allow_private = True  # type: ignore[misc]
