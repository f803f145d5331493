"""[media] backend and the s3_* keys: validation, and the AWS_* environment variables read
when the keys are empty (the keys win when set)."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.config import ConfigError, load_config

AWS = {"AWS_ENDPOINT_URL": "http://127.0.0.1:9000", "AWS_DEFAULT_REGION": "eu-west-1",
       "AWS_ACCESS_KEY_ID": "env-key", "AWS_SECRET_ACCESS_KEY": "env-secret"}


def write(tmp_path: Path, media: str) -> Path:
    path = tmp_path / "dreamfeed.toml"
    path.write_text(f'[instance]\ndomain = "dreamfeed.test"\n[media]\n{media}\n')
    return path


def test_disk_is_the_default_and_keys_come_from_the_aws_variables(tmp_path: Path) -> None:
    assert load_config(write(tmp_path, ""), env={}).media.backend == "disk"
    media = load_config(write(tmp_path, 'backend = "s3"\ns3_bucket = "b"'), env=AWS).media
    assert (media.s3_endpoint, media.s3_region, media.s3_access_key, media.s3_secret_key) == (
        "http://127.0.0.1:9000", "eu-west-1", "env-key", "env-secret")


def test_keys_set_in_the_file_win(tmp_path: Path) -> None:
    media = load_config(write(tmp_path, 'backend = "s3"\ns3_bucket = "b"\n'
                                        's3_access_key = "file-key"'), env=AWS).media
    assert (media.s3_access_key, media.s3_secret_key) == ("file-key", "env-secret")


@pytest.mark.parametrize(("media", "error"), [
    ('backend = "ftp"', "media.backend must be disk or s3"),
    ('backend = "s3"', "needs media.s3_bucket"),
    ('s3_endpoint = "s3.example"', "media.s3_endpoint must start with http"),
])
def test_bad_values_are_refused(tmp_path: Path, media: str, error: str) -> None:
    with pytest.raises(ConfigError, match=error):
        load_config(write(tmp_path, media), env={})
