"""A remote account's pins in the client API (issue 18): read from its recorded Mastodon
`featured` collection (tests/data/featured/) when it is found, they are what
GET /api/v1/accounts/:id/statuses?pinned=true lists (newest status first, as Mastodon
orders that list), as for a local account; an Add from its server adds one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.api.harness import Api
from tests.federation.fake_remote import AS_PUBLIC, FakeRemote

DATA = Path(__file__).parent.parent / "data" / "featured"


def _recorded(name: str, **values: str) -> dict[str, Any]:
    text = (DATA / name).read_text()
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    doc: dict[str, Any] = json.loads(text)
    doc.pop("_source")
    return doc


async def test_remote_pins_in_the_client_api(api: Api) -> None:
    token = await api.user("alice")
    async with FakeRemote("masto") as masto:
        dora = masto.add_actor("dora", name="Dora")
        dora.overrides["featured"] = f"{dora.id}/collections/featured"
        first, second, third = (f"{dora.id}/statuses/{n}" for n in (101, 102, 103))
        masto.serve(_recorded("mastodon_featured.json", ACTOR=dora.id, NOTE1=first,
                              NOTE2=second))
        masto.serve({"id": third, "type": "Note", "attributedTo": dora.id,
                     "content": "<p>third</p>", "published": "2024-11-05T10:00:00Z",
                     "to": [AS_PUBLIC], "cc": [f"{dora.id}/followers"]})
        found = await api.get("/api/v1/accounts/search", token=token,
                              params={"q": f"@{dora.handle}", "resolve": "true"})
        dora_id = found.body[0]["id"]
        await api.run_jobs()

        pinned = await api.get(f"/api/v1/accounts/{dora_id}/statuses", token=token,
                               params={"pinned": "true"})
        assert pinned.status == 200
        assert [s["uri"] for s in pinned.body] == [first, second]
        assert [s["visibility"] for s in pinned.body] == ["public", "unlisted"]
        assert (await api.get(f"/api/v1/accounts/{dora_id}/statuses",
                              params={"pinned": "true"})).body[0]["uri"] == first

        add = _recorded("mastodon_add.json", ACTOR=dora.id, NOTE1=third)
        assert (await masto.deliver(dora, f"{api.base}/users/alice/inbox", add)).status == 202
        await api.run_jobs()
        pinned = await api.get(f"/api/v1/accounts/{dora_id}/statuses", token=token,
                               params={"pinned": "true"})
        assert [s["uri"] for s in pinned.body] == [third, first, second]
