"""NodeInfo as other servers read it, over real HTTP: each reader picks its link from
/.well-known/nodeinfo its own way and must get a document it accepts (issue 18)."""

from __future__ import annotations

from typing import Any

import aiohttp

from tests.federation.conftest import StartInstance
from tests.federation.harness import Instance

SCHEMA = "http://nodeinfo.diaspora.software/ns/schema/"


def _local(instance: Instance, url: str) -> str:
    return url.replace(instance.base, f"http://127.0.0.1:{instance.domain.rpartition(':')[2]}")


async def _get(instance: Instance, url: str) -> tuple[str, Any]:
    async with aiohttp.ClientSession() as session, session.get(
            _local(instance, url), headers={"Accept": "application/json"}) as resp:
        assert resp.status == 200, await resp.text()
        assert "noindex" not in resp.headers.getall("X-Robots-Tag", [])
        return resp.headers["Content-Type"], await resp.json(content_type=None)


def _gotosocial_pick(links: list[dict[str, str]]) -> str:
    """GoToSocial's callNodeInfoWellKnown (internal/transport/derefinstance.go): the loop
    over links has no break, so the LAST link whose rel starts with schema/2 wins."""
    href = ""
    for link in links:
        if link.get("href") and link.get("rel", "").startswith(SCHEMA + "2"):
            href = link["href"]
    assert href, "no nodeinfo link"
    return href


def _gotosocial_accepts(content_type: str) -> bool:
    """GoToSocial's apiutil.NodeInfo2ContentType: application/json alone, or with the 2.0
    profile (quoted or not), charset utf-8 allowed; anything else is "non nodeinfo schema
    2.0 response"."""
    parts = [p.strip() for p in content_type.split(";") if p.strip()]
    parts = [p for p in parts if not (p.startswith("charset=") and p == "charset=utf-8")]
    if len(parts) == 1:
        return parts[0] == "application/json"
    return len(parts) == 2 and parts[0] == "application/json" and parts[1] in (
        f'profile="{SCHEMA}2.0#"', f"profile={SCHEMA}2.0#")


def _misskey_pick(links: list[dict[str, str]]) -> str:
    """Misskey's FetchInstanceMetadataService: the 2.1 link, else the 2.0 one."""
    by_rel = {link["rel"]: link["href"] for link in links}
    return by_rel.get(SCHEMA + "2.1") or by_rel[SCHEMA + "2.0"]


async def test_gotosocial_gets_software_from_our_nodeinfo(start: StartInstance) -> None:
    a = await start("a")
    _, index = await _get(a, f"{a.base}/.well-known/nodeinfo")
    href = _gotosocial_pick(index["links"])
    content_type, document = await _get(a, href)
    assert _gotosocial_accepts(content_type), content_type
    # What GoToSocial's dereferenceByNodeInfo keeps: the title and "name version".
    assert document["software"]["name"] == "dreamfeed" and document["software"]["version"]
    assert document["metadata"]["nodeName"] == "Instance a"


async def test_every_reader_gets_a_document_of_the_version_it_asked_for(
        start: StartInstance) -> None:
    a = await start("a")
    _, index = await _get(a, f"{a.base}/.well-known/nodeinfo")
    rels = [link["rel"] for link in index["links"]]
    assert sorted(rels) == [SCHEMA + "2.0", SCHEMA + "2.1"]
    # Misskey by rel, Akkoma and most others the first link: each gets the version it named.
    for href in (_misskey_pick(index["links"]), index["links"][0]["href"]):
        content_type, document = await _get(a, href)
        version = href.rpartition("/")[2]
        assert document["version"] == version
        assert f'profile="{SCHEMA}{version}#"' in content_type
        assert document["software"]["name"] == "dreamfeed"
