"""A local OpenAI-compatible chat server with image input, on loopback: POST
/v1/chat/completions checks the request the official `openai` client sends for an image
description (what server.images.describe promises: the instruction, the image as a JPEG
data URL without metadata, nothing about the account) and answers as OpenAI's API does
(a chat.completion object, or its error bodies). Shared by the image, API and web tests."""

from __future__ import annotations

import asyncio
import base64
import io
import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from PIL import Image

from server.images.describe import INSTRUCTION

KEY = "sk-vision-test"
DESCRIPTION = ("A lighthouse on a rocky point at dusk, its beam sweeping over a violet sea. "
               "A sign on the door reads \"KEEP OUT\".")
CAPTION = "Evening watch at the edge of the world."
# What the official client may send for a chat completion, and nothing else from us.
ALLOWED_KEYS = {"model", "messages", "max_tokens", "temperature"}


@dataclass
class FakeVision:
    """Answers with `content` (the JSON the instruction asks for, by default), or with an
    error (`status` and `error`), after `delay` seconds; `refusal` answers as a model that
    declines. Each request's JSON body, its headers and its decoded image are kept;
    a request of the wrong shape gets a 400 naming what is wrong."""

    content: str = field(default_factory=lambda: json.dumps(
        {"alt_text": DESCRIPTION, "caption": CAPTION}))
    status: int = 200
    error: dict[str, Any] = field(default_factory=dict)
    delay: float = 0.0
    refusal: str | None = None
    model_answered: str = "llava:13b"
    received: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    images: list[Image.Image] = field(default_factory=list)

    def fail(self, status: int, message: str, *, code: str | None = None,
             type: str = "invalid_request_error") -> None:
        self.status = status
        self.error = {"error": {"message": message, "type": type, "param": None,
                                "code": code}}

    def problems(self, request: web.Request, body: Any) -> list[str]:
        found = []
        if request.headers.get("Authorization") != f"Bearer {KEY}":
            found.append("no bearer token")
        if not request.headers.get("User-Agent", "").startswith("AsyncOpenAI/Python"):
            found.append("not the official client")
        if not isinstance(body, dict) or set(body) - ALLOWED_KEYS:
            return [*found, f"unexpected fields: {sorted(set(body) - ALLOWED_KEYS)}"]
        messages = body.get("messages")
        if not isinstance(body.get("model"), str):
            found.append("no model")
        if not (isinstance(messages, list) and len(messages) == 2):
            return [*found, "not a system and a user message"]
        system, user = messages
        if system != {"role": "system", "content": INSTRUCTION}:
            found.append("not the documented instruction")
        parts = user.get("content") if user.get("role") == "user" else None
        if not (isinstance(parts, list) and len(parts) == 2 and parts[0].get("type") == "text"
                and parts[1].get("type") == "image_url"):
            return [*found, "the user message is not text and an image"]
        url = parts[1]["image_url"]["url"]
        prefix = "data:image/jpeg;base64,"
        if not url.startswith(prefix):
            return [*found, "the image is not a JPEG data URL"]
        image = Image.open(io.BytesIO(base64.b64decode(url[len(prefix):], validate=True)))
        image.load()
        if image.format != "JPEG" or max(image.size) > 1536:
            found.append(f"image {image.format} {image.size}")
        if {"exif", "xmp", "icc_profile", "comment"} & set(image.info):
            found.append(f"image metadata sent: {sorted(image.info)}")
        self.images.append(image)
        return found

    async def handle(self, request: web.Request) -> web.Response:
        body = json.loads(await request.read())
        self.received.append(body)
        self.headers.append(dict(request.headers))
        problems = self.problems(request, body)
        if problems:
            return web.json_response({"error": {"message": "; ".join(problems),
                                                "type": "invalid_request_error",
                                                "param": None, "code": "bad_shape"}},
                                     status=400)
        await asyncio.sleep(self.delay)
        if self.status != 200:
            return web.json_response(self.error, status=self.status)
        return web.json_response({
            "id": "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT",
            "object": "chat.completion",
            "created": 1741569952,
            "model": self.model_answered,
            "choices": [{
                "index": 0,
                "message": {"role": "assistant",
                            "content": None if self.refusal else self.content,
                            "refusal": self.refusal, "annotations": []},
                "logprobs": None,
                "finish_reason": "stop",
            }],
            "usage": {"prompt_tokens": 1117, "completion_tokens": 46, "total_tokens": 1163},
            "service_tier": "default",
        })

    def app(self) -> web.Application:
        app = web.Application(client_max_size=32 * 1024 * 1024)
        app.router.add_post("/v1/chat/completions", self.handle)
        return app

    def last_text(self) -> str:
        return str(self.received[-1]["messages"][1]["content"][0]["text"])
