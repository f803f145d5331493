"""The local image generator service: an aiohttp app speaking the OpenAI Images API.

Independent of the rest of Dreamfeed (reached only over HTTP); built in the image-generation
issue.
"""
