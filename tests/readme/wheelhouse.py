"""A wheelhouse made from this virtualenv's installed packages, so a fresh clone's `make
install` runs with `pip --no-index --find-links` instead of downloading the dependencies
again: each installed distribution's files (as its RECORD lists them) zipped back into a
wheel with the tag it was installed from. pip regenerates console scripts and RECORD, so
what is left out (scripts outside site-packages, byte code) comes back on install."""

from __future__ import annotations

import base64
import hashlib
import re
import zipfile
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

# Written by the installer, not part of a package.
_INSTALLER_FILES = frozenset({"INSTALLER", "REQUESTED", "RECORD", "direct_url.json"})


def runtime_closure(root: str) -> list[metadata.Distribution]:
    """`root`'s installed dependencies, without its extras (what `pip install .` installs)."""
    found: dict[str, metadata.Distribution] = {}
    pending: list[tuple[str, frozenset[str]]] = [(root, frozenset())]
    while pending:
        name, extras = pending.pop()
        dist = metadata.distribution(name)
        key = canonicalize_name(dist.metadata["Name"])
        if key in found and not extras:
            continue
        found.setdefault(key, dist)
        for text in dist.requires or ():
            requirement = Requirement(text)
            if requirement.marker is not None and not any(
                    requirement.marker.evaluate({"extra": extra})
                    for extra in extras | {""}):
                continue
            pending.append((requirement.name, frozenset(requirement.extras)))
    found.pop(canonicalize_name(root), None)  # the project itself is installed from the clone
    return list(found.values())


def rebuild_wheel(dist: metadata.Distribution, directory: Path) -> Path:
    name = re.sub(r"[-_.]+", "_", dist.metadata["Name"])
    version = dist.version
    info = f"{name}-{version}.dist-info"
    wheel_meta = dist.read_text("WHEEL") or ""
    tags = [line.split(":", 1)[1].strip() for line in wheel_meta.splitlines()
            if line.startswith("Tag:")]
    path = directory / f"{name}-{version}-{_compressed(tags) or 'py3-none-any'}.whl"
    records: list[str] = []
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as wheel:
        for file in dist.files or ():
            parts = file.parts
            if parts[0] == ".." or "__pycache__" in parts:
                continue
            if parts[0].endswith(".dist-info"):
                if parts[-1] in _INSTALLER_FILES:
                    continue
                arcname = "/".join((info, *parts[1:]))
            else:
                arcname = "/".join(parts)
            source = Path(str(dist.locate_file(file)))
            if not source.is_file():
                continue
            data = source.read_bytes()
            wheel.writestr(arcname, data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
            records.append(f"{arcname},sha256={digest.decode()},{len(data)}")
        records.append(f"{info}/RECORD,,")
        wheel.writestr(f"{info}/RECORD", "\n".join(records) + "\n")
    return path


def _compressed(tags: list[str]) -> str:
    """py2-none-any and py3-none-any -> py2.py3-none-any, the file name's form for several."""
    parts: list[list[str]] = [[], [], []]
    for tag in tags:
        for seen, part in zip(parts, tag.split("-", 2), strict=True):
            if part not in seen:
                seen.append(part)
    return "-".join(".".join(seen) for seen in parts) if tags else ""


def build_wheelhouse(root: str, directory: Path) -> list[Path]:
    """Wheels of `root`'s runtime dependencies and of pip (the Makefile upgrades it)."""
    directory.mkdir(parents=True, exist_ok=True)
    dists = [*runtime_closure(root), metadata.distribution("pip")]
    return [rebuild_wheel(dist, directory) for dist in dists]
