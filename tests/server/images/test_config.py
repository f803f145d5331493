"""The [generator] and new [media] keys: defaults, the OPENAI_API_KEY fallback, bad values."""

from __future__ import annotations

import pytest

from server.config import ConfigError, build_config, load_config


def test_defaults_embed_the_generator() -> None:
    config = load_config(env={})
    assert config.generator.embedded
    assert (config.generator.model, config.generator.size) == ("gpt-image-2", "1024x1024")
    assert config.generator.daily_limit == 50
    assert config.media.base_url == "" and config.media.max_pixels == 33_177_600


def test_an_api_key_means_openai() -> None:
    from_env = load_config(env={"OPENAI_API_KEY": "sk-env"})
    assert from_env.generator.api_key == "sk-env" and not from_env.generator.embedded
    ours = load_config(env={"OPENAI_API_KEY": "sk-env", "DREAMFEED_GENERATOR_API_KEY": "sk-df"})
    assert ours.generator.api_key == "sk-df"
    token = load_config(env={"DREAMFEED_GENERATOR_TOKEN": "t"})
    assert token.generator.token == "t" and token.generator.embedded


@pytest.mark.parametrize(("section", "values", "message"), [
    ("generator", {"base_url": "api.openai.com"}, "generator.base_url must start"),
    ("generator", {"size": "big"}, "generator.size"),
    ("generator", {"quality": "ultra"}, "generator.quality"),
    ("generator", {"timeout": 0}, "generator.timeout"),
    ("generator", {"daily_limit": -1}, "generator.daily_limit"),
    ("media", {"base_url": "cdn.example"}, "media.base_url must start"),
    ("media", {"max_pixels": 0}, "media.max_pixels"),
])
def test_bad_values_name_their_key(section: str, values: dict[str, object],
                                   message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        build_config({section: values})


def test_media_urls_follow_media_base_url() -> None:
    from server.services.statuses.media import media_url
    from storage.models import MediaAttachment

    media = MediaAttachment(id=5, url_secret="0123abcd4567ef89")
    ours = build_config({"instance": {"domain": "social.example"}})
    assert media_url(ours, media, "image.jpg") == \
        "https://social.example/media/5/0123abcd4567ef89/image.jpg"
    cdn = build_config({"media": {"base_url": "https://cdn.example/df/"}})
    assert media_url(cdn, media, "thumb.jpg") == \
        "https://cdn.example/df/5/0123abcd4567ef89/thumb.jpg"
    # Files stored before URLs had a secret keep the URLs they were published with.
    legacy = MediaAttachment(id=6, url_secret=None)
    assert media_url(ours, legacy, "image.jpg") == "https://social.example/media/6/image.jpg"
