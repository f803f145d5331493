"""The local image generator service: an aiohttp app speaking the OpenAI Images API, with
pluggable engines (the default, procedural one needs no model weights).

Independent of the rest of Dreamfeed: it imports nothing from server/, storage/ or
activitypub/, and is reached only over HTTP.
"""
