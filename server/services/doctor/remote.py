"""The public URL, as another server reaches it: WebFinger, the actor and NodeInfo fetched
over the network at `config.base_url`, and the clock of whatever answers there (the Date of
its answers) compared with this machine's."""

from __future__ import annotations

import socket
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote, urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult

from server.config import Config, split_domain
from server.services.doctor.findings import Finding, ok, problem, warning
from server.services.federation.instance import instance_actor_username

ACTIVITY_JSON = "application/activity+json"
# Signatures carry their time: an RFC 9421 signature lives five minutes by default, and
# Mastodon allows an hour of skew; a few seconds off is only the Date header's resolution.
SKEW_WARNING_SECONDS = 30
SKEW_PROBLEM_SECONDS = 300


@dataclass(frozen=True)
class Probe:
    """How to reach the public URL: `address` instead of what DNS says for the domain (to
    check a server before DNS points at it), `ca_file` trusted beside the system's CAs."""

    address: str | None = None
    ca_file: str | None = None
    timeout: float = 10.0


class _FixedAddress(AbstractResolver):
    """Every name resolves to one address (curl's --resolve)."""

    def __init__(self, address: str) -> None:
        self.address = address

    async def resolve(self, host: str, port: int = 0,
                      family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        family = socket.AF_INET6 if ":" in self.address else socket.AF_INET
        return [ResolveResult(hostname=host, host=self.address, port=port, family=family,
                              proto=0, flags=socket.AI_NUMERICHOST)]

    async def close(self) -> None:
        return None


class _Unusable(Exception):
    """A fetch gave nothing to go on; the finding says why."""

    def __init__(self, finding: Finding) -> None:
        super().__init__(finding.text)
        self.finding = finding


class _Fetcher:
    def __init__(self, session: aiohttp.ClientSession, config: Config) -> None:
        self.session = session
        self.config = config
        self.dates: list[tuple[datetime, datetime]] = []  # (their Date, our clock)

    async def json(self, subject: str, url: str, accept: str) -> dict[str, Any]:
        try:
            async with self.session.get(url, headers={"Accept": accept},
                                        allow_redirects=False) as resp:
                self._note_date(resp)
                if resp.status != 200:
                    raise _Unusable(problem(subject, f"{url} answered {resp.status}, not 200"
                                            f"{_status_hint(resp.status)}."))
                try:
                    body = await resp.json(content_type=None)
                except ValueError:
                    body = None
        except aiohttp.ClientConnectorCertificateError as exc:
            raise _Unusable(problem(subject, f"the TLS certificate at {url} is not accepted "
                                    f"({exc.certificate_error}): other servers will refuse "
                                    "it too. Use a certificate for "
                                    f"{split_domain(self.config.instance.domain)[0]} from a "
                                    "public authority "
                                    "such as Let's Encrypt.")) from None
        except aiohttp.ClientSSLError as exc:
            raise _Unusable(problem(subject, f"no TLS connection to {url} ({exc}).")) from None
        except aiohttp.ClientConnectorError as exc:
            raise _Unusable(problem(subject, f"nothing answers at {url} "
                                    f"({exc.strerror or exc.os_error}): is `dreamfeed serve` "
                                    "running, and do DNS and the reverse proxy lead to "
                                    "it?")) from None
        except TimeoutError:
            raise _Unusable(problem(subject, f"{url} did not answer in time.")) from None
        except aiohttp.ClientError as exc:
            raise _Unusable(problem(subject, f"{url} could not be fetched ({exc}).")) from None
        if not isinstance(body, dict):
            raise _Unusable(problem(subject, f"{url} did not answer with a JSON document: "
                                    "is something else than Dreamfeed answering there?"))
        return body

    def _note_date(self, resp: aiohttp.ClientResponse) -> None:
        header = resp.headers.get("Date")
        if not header:
            return
        try:
            theirs = parsedate_to_datetime(header)
        except (TypeError, ValueError):
            return
        if theirs.tzinfo is None:
            theirs = theirs.replace(tzinfo=UTC)
        self.dates.append((theirs, datetime.now(UTC)))


def _status_hint(status: int) -> str:
    if status in (301, 302, 303, 307, 308):
        return ": other servers do not follow redirects for it; serve it at this address"
    if status in (502, 503, 504):
        return ": the reverse proxy answers, but not Dreamfeed behind it"
    if status == 404:
        return (": the server answering there does not know this instance (another "
                "instance.domain, or the proxy forwards elsewhere)")
    return ""


async def check_public_url(config: Config, probe: Probe) -> list[Finding]:
    context = ssl.create_default_context()
    if probe.ca_file:
        context.load_verify_locations(cafile=probe.ca_file)
    resolver = _FixedAddress(probe.address) if probe.address else None
    connector = aiohttp.TCPConnector(ssl=context, resolver=resolver)
    findings: list[Finding] = []
    if config.instance.scheme != "https":
        findings.append(problem("https", f"the public URL {config.base_url} is not https: "
                                "other servers will not federate with it."))
    async with aiohttp.ClientSession(
            connector=connector, timeout=aiohttp.ClientTimeout(total=probe.timeout),
            headers={"User-Agent": "dreamfeed-doctor"}) as session:
        fetcher = _Fetcher(session, config)
        try:
            findings += await _federation_documents(fetcher, config)
        except _Unusable as exc:
            findings.append(exc.finding)
    findings += _clock(fetcher.dates, config.base_url)
    return findings


async def _federation_documents(fetcher: _Fetcher, config: Config) -> list[Finding]:
    base, domain = config.base_url, config.instance.domain
    account = f"acct:{instance_actor_username(config)}@{domain}"
    url = f"{base}/.well-known/webfinger?resource={quote(account)}"
    document = await fetcher.json("WebFinger", url, "application/jrd+json")
    links = document.get("links")
    actor_id = next((link.get("href") for link in links or ()
                     if isinstance(link, dict) and link.get("rel") == "self"), None)
    if not isinstance(actor_id, str):
        return [problem("WebFinger", f"{url} names no actor (no \"self\" link).")]
    if urlsplit(actor_id)[:2] != urlsplit(base)[:2]:
        return [problem("WebFinger", f"WebFinger at {base} names the actor {actor_id}, "
                        f"which is not under {base}: the server answering there was "
                        "started with another instance.domain or instance.scheme.")]
    findings = [ok("WebFinger", f"{account} is found at {base}")]
    actor = await fetcher.json("actor", actor_id, ACTIVITY_JSON)
    if actor.get("id") != actor_id or not isinstance(actor.get("publicKey"), dict):
        findings.append(problem("actor", f"{actor_id} is not the actor WebFinger names (its "
                                "id differs, or it has no public key to check signatures "
                                "with)."))
    else:
        findings.append(ok("actor", f"the instance actor is served at {actor_id}"))
    index = await fetcher.json("NodeInfo", f"{base}/.well-known/nodeinfo", "application/json")
    hrefs = [str(link["href"]) for link in index.get("links") or ()
             if isinstance(link, dict) and isinstance(link.get("href"), str)]
    if not hrefs:
        findings.append(problem("NodeInfo", f"{base}/.well-known/nodeinfo lists no document."))
        return findings
    nodeinfo = await fetcher.json("NodeInfo", hrefs[0], "application/json")
    software = nodeinfo.get("software")
    name = software.get("name") if isinstance(software, dict) else None
    if not isinstance(name, str):
        findings.append(problem("NodeInfo", f"{hrefs[0]} names no software."))
    else:
        findings.append(ok("NodeInfo", f"{hrefs[0]} says {name}"))
    return findings


def _clock(dates: list[tuple[datetime, datetime]], base: str) -> list[Finding]:
    if not dates:
        return []
    theirs, ours = dates[0]
    skew = (theirs - ours).total_seconds()
    size = abs(skew)
    if size < SKEW_WARNING_SECONDS:
        return [ok("clock", f"the clock at {base} agrees with this machine's")]
    direction = "ahead of" if skew > 0 else "behind"
    text = (f"the clock of the server answering at {base} is {_duration(size)} {direction} "
            "this machine's. Deliveries are signed with the time, and servers refuse "
            "signatures too far off (from five minutes to an hour): keep the clock "
            "synchronised (NTP: `timedatectl set-ntp true`).")
    return [problem("clock", text) if size >= SKEW_PROBLEM_SECONDS else warning("clock", text)]


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} seconds"
    if seconds < 7200:
        return f"{seconds / 60:.0f} minutes"
    return f"{seconds / 3600:.1f} hours"
