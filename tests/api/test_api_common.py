"""The client API's common behaviour: JSON errors everywhere under /api, CORS, tokens."""

from __future__ import annotations

from pathlib import Path

from aiohttp import ClientSession

from server.services.oauth import apps, tokens
from tests.federation.harness import Instance, start_instance


async def _instance(database_url: str, tmp_path: Path) -> Instance:
    return await start_instance("a", database_url, tmp_path)


async def test_unknown_api_routes_answer_json_404_with_cors(database_url: str,
                                                           tmp_path: Path) -> None:
    instance = await _instance(database_url, tmp_path)
    try:
        async with ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{instance.domain.split(':')[1]}"
                                "/api/v1/no_such_thing", headers={"Host": instance.domain,
                                                                  "User-Agent": ""}) as resp:
                assert resp.status == 404
                assert resp.content_type == "application/json"
                assert await resp.json() == {"error": "Record not found"}
                assert resp.headers["Access-Control-Allow-Origin"] == "*"
            async with http.options(f"http://127.0.0.1:{instance.domain.split(':')[1]}"
                                    "/api/v1/statuses",
                                    headers={"Host": instance.domain,
                                             "Origin": "https://elk.zone",
                                             "Access-Control-Request-Method": "POST"}) as resp:
                assert resp.status == 204
                assert "Authorization" in resp.headers["Access-Control-Allow-Headers"]
    finally:
        await instance.runner.cleanup()


async def test_a_token_is_stored_hashed_and_revocation_ends_it(database_url: str,
                                                               tmp_path: Path) -> None:
    instance = await _instance(database_url, tmp_path)
    try:
        user = await instance.add_user("alice")
        services = instance.services
        app = await apps.register_app(services, name="Tusky", redirect_uris=[apps.OOB_REDIRECT],
                                      scopes="read write", website=None)
        issued = await tokens.issue_token(services, app.id, user.user_id,
                                          frozenset({"read"}))
        found = await tokens.authenticate(services, issued.access_token)
        assert found is not None and found.username == "alice"
        assert found.allows("read:statuses") and not found.allows("write:statuses")
        assert await tokens.authenticate(services, tokens.digest(issued.access_token)) is None
    finally:
        await instance.runner.cleanup()


async def test_the_api_limit_answers_429_with_rate_limit_headers(database_url: str,
                                                                tmp_path: Path) -> None:
    instance = await start_instance("a", database_url, tmp_path,
                                    ratelimits={"api": "3 per minute"})
    url = f"{instance.base}/api/v1/no_such_thing"
    try:
        async with ClientSession() as http:
            seen = []
            for _ in range(4):
                async with http.get(url.replace(instance.domain, "127.0.0.1:"
                                                + instance.domain.split(":")[1]),
                                    headers={"Host": instance.domain}) as resp:
                    seen.append((resp.status, resp.headers.get("X-RateLimit-Remaining")))
                    limit = resp.headers.get("X-RateLimit-Limit")
                    reset = resp.headers.get("X-RateLimit-Reset", "")
            assert seen == [(404, "2"), (404, "1"), (404, "0"), (429, "0")]
            assert limit == "3" and reset.endswith("Z")
    finally:
        await instance.runner.cleanup()
