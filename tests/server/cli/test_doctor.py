"""`dreamfeed doctor` against a real instance served over TLS on loopback (a certificate for
social.test from a CA the check is told to trust), correct and misconfigured."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from server.app import create_app
from server.config import Config
from server.services.doctor import Finding, Probe, diagnose
from tests.conftest import make_test_config
from tests.server.cli.cli_helpers import DREAMFEED, free_port

HOST = "social.test"
# Also on the certificate: a configuration naming it reaches the same server over TLS.
OTHER_HOST = "wrong.test"


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def write_certificates(directory: Path) -> tuple[Path, Path, Path]:
    """A CA (ca.pem) and a certificate for social.test (and wrong.test) it signed (cert.pem,
    key.pem)."""
    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(_name("Doctor test CA"))
          .issuer_name(_name("Doctor test CA")).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number())
          .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True,
                                       crl_sign=True, content_commitment=False,
                                       key_encipherment=False, data_encipherment=False,
                                       key_agreement=False, encipher_only=False,
                                       decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()),
                         critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(_name(HOST)).issuer_name(ca.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(HOST),
                                                         x509.DNSName(OTHER_HOST)]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    paths = directory / "ca.pem", directory / "cert.pem", directory / "key.pem"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return paths


@dataclass
class Instance:
    config: Config
    ca_file: Path
    # Seconds added to the Date of every answer (a server whose clock is off).
    clock_offset: float = 0.0


@pytest.fixture
async def instance(database_url: str, tmp_path: Path) -> AsyncIterator[Instance]:
    """An instance served over https at social.test:PORT (reached on 127.0.0.1), behind
    what would be a proxy on this machine (trusted_proxies), as `doctor` wants it."""
    ca_file, cert_file, key_file = write_certificates(tmp_path)
    port = free_port()
    config = make_test_config(database_url, tmp_path,
                              instance={"domain": f"{HOST}:{port}", "scheme": "https"},
                              server={"trusted_proxies": ["127.0.0.1"]})
    found = Instance(config, ca_file)

    async def set_date(_request: web.Request, response: web.StreamResponse) -> None:
        if found.clock_offset:
            date = datetime.now(UTC) + timedelta(seconds=found.clock_offset)
            response.headers["Date"] = format_datetime(date, usegmt=True)

    app = create_app(config)
    app.on_response_prepare.append(set_date)
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert_file, key_file)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", port, ssl_context=tls).start()
        yield found
    finally:
        await runner.cleanup()


def _probe(instance: Instance) -> Probe:
    return Probe(address="127.0.0.1", ca_file=str(instance.ca_file), timeout=10)


def _problems(findings: list[Finding]) -> dict[str, str]:
    return {f.subject: f.text for f in findings if f.level == "problem"}


async def test_a_correct_instance_passes(instance: Instance, tmp_path: Path) -> None:
    config = instance.config
    env = {k: v for k, v in os.environ.items() if not k.startswith("DREAMFEED_")}
    env.update({"DREAMFEED_INSTANCE_DOMAIN": config.instance.domain,
                "DREAMFEED_DATABASE_URL": config.database.url,
                "DREAMFEED_MEDIA_PATH": str(tmp_path / "media"),
                "DREAMFEED_SERVER_TRUSTED_PROXIES": "127.0.0.1"})
    # The real command, in a process of its own (this loop serves the instance meanwhile).
    proc = await asyncio.create_subprocess_exec(
        DREAMFEED, "doctor", "--address", "127.0.0.1", "--ca-file", str(instance.ca_file),
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    stdout, stderr = await asyncio.wait_for(proc.communicate(), 60)
    output = stdout.decode()
    assert proc.returncode == 0, output + stderr.decode()
    base = config.base_url
    for line in (f"ok       domain: the public URL is {base}",
                 f"ok       WebFinger: acct:{config.instance.domain}@{config.instance.domain} "
                 f"is found at {base}",
                 f"ok       actor: the instance actor is served at {base}/actor",
                 f"ok       NodeInfo: {base}/nodeinfo/2.1 says dreamfeed",
                 f"ok       clock: the clock at {base} agrees with this machine's",
                 "ok       database: the database (",
                 "ok       generator: the built-in generator (procedural) makes images"):
        assert line in output
    assert "PROBLEM" not in output and "warning" not in output
    assert output.rstrip().endswith("other servers can reach this instance")


async def test_misconfigured_instances_get_plain_findings(instance: Instance) -> None:
    config, probe = instance.config, _probe(instance)
    base = config.base_url

    # A certificate other servers would not trust (here: the test CA is not given).
    untrusted = _problems(await diagnose(config, dataclasses.replace(probe, ca_file=None)))
    assert untrusted["WebFinger"].startswith(f"the TLS certificate at {base}/.well-known/")
    assert "other servers will refuse it too" in untrusted["WebFinger"]

    # The configuration names another domain than the one the server runs under.
    port = config.instance.domain.rpartition(":")[2]
    wrong = dataclasses.replace(config, instance=dataclasses.replace(
        config.instance, domain=f"{OTHER_HOST}:{port}"))
    wrong_found = _problems(await diagnose(wrong, probe))
    assert wrong_found["database"].endswith(
        f"belongs to the instance {config.instance.domain}, but instance.domain is "
        f"wrong.test:{port}: this is not its configuration, and a domain can never change.")
    assert "answered 404, not 200: the server answering there does not know this instance" \
        in wrong_found["WebFinger"]

    # Nothing listens at the public address.
    closed = dataclasses.replace(config, instance=dataclasses.replace(
        config.instance, domain=f"{HOST}:{free_port()}"))
    unreachable = _problems(await diagnose(closed, probe))
    assert "nothing answers at https://social.test:" in unreachable["WebFinger"]
    assert "is `dreamfeed serve` running" in unreachable["WebFinger"]

    # The server's clock is two hours behind.
    instance.clock_offset = -7200
    skewed = _problems(await diagnose(config, probe))
    assert skewed == {"clock": f"the clock of the server answering at {base} is 2.0 hours "
                               "behind this machine's. Deliveries are signed with the time, "
                               "and servers refuse signatures too far off (from five minutes "
                               "to an hour): keep the clock synchronised (NTP: `timedatectl "
                               "set-ntp true`)."}
    instance.clock_offset = 0

    # The database cannot be reached.
    gone = dataclasses.replace(config, database=dataclasses.replace(
        config.database, url="postgresql+asyncpg://postgres@127.0.0.1:1/gone"))
    assert _problems(await diagnose(gone, probe))["database"].startswith(
        "cannot open the database (PostgreSQL): ")

    # The built-in defaults: localhost over plain http, and no proxy trusted.
    local = dataclasses.replace(config, instance=dataclasses.replace(
        config.instance, domain=f"localhost:{port}", scheme="http"))
    local_found = _problems(await diagnose(local, probe))
    assert local_found["domain"].startswith(f"instance.domain is localhost:{port}, which "
                                            "only this machine can reach")
    assert local_found["https"] == (f"the public URL http://localhost:{port} is not https: "
                                    "other servers will not federate with it.")
    public_http = dataclasses.replace(config, instance=dataclasses.replace(
        config.instance, scheme="http"), server=dataclasses.replace(
        config.server, trusted_proxies=()))
    findings = await diagnose(public_http, probe)
    assert _problems(findings)["scheme"].startswith("instance.scheme is http: Mastodon")
    assert [f.text for f in findings if f.level == "warning"] == [
        "server.host is 127.0.0.1, so a reverse proxy on this machine forwards to it, but "
        "server.trusted_proxies is empty: every request seems to come from the proxy, and "
        "rate limits count all visitors as one. Add the proxy's address (127.0.0.1) to "
        "[server] trusted_proxies."]


async def test_a_database_never_started_is_not_created(tmp_path: Path) -> None:
    config = make_test_config(f"sqlite+aiosqlite:///{tmp_path / 'none' / 'df.db'}", tmp_path)
    findings = _problems(await diagnose(config, Probe(timeout=2)))
    assert findings["database"].startswith(f"there is no database at {tmp_path}/none/df.db")
    assert not (tmp_path / "none").exists()
