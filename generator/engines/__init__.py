"""Image engines behind the generator service, chosen by name.

The procedural engine is the default and needs nothing beyond the base install. The diffusers
engine runs a real model and needs the optional extra (`pip install 'dreamfeed[diffusers]'`);
its module, the only one of ours that imports torch and diffusers, is imported only when that
engine is chosen, so a server on the procedural engine never loads them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from generator.engines.base import Engine, EngineSettings

DEFAULT_ENGINE = "procedural"


@dataclass(frozen=True)
class EngineKind:
    # Builds the engine (for a model engine: loads the weights, once).
    factory: Callable[[EngineSettings], Engine]
    # Checks the settings cheaply, without loading anything: a one-line reason, or None.
    check: Callable[[EngineSettings], str | None]
    # The styles it draws, known without building it (the compose page lists them).
    styles: tuple[str, ...]
    # The model name it reports (Engine.name), known without building it.
    model_name: Callable[[EngineSettings], str]


def _procedural(settings: EngineSettings) -> Engine:
    from generator.engines.procedural import ProceduralEngine

    return ProceduralEngine()


def _diffusers(settings: EngineSettings) -> Engine:
    from generator.engines.diffusion import load_diffusers_engine

    return load_diffusers_engine(settings)


def _check_diffusers(settings: EngineSettings) -> str | None:
    from generator.engines.diffusion_check import check_settings

    return check_settings(settings)


def _procedural_styles() -> tuple[str, ...]:
    from generator.engines.styles import STYLES

    return tuple(STYLES)


# The procedural engine's name: what posts, the client API and image provenance show, so it
# says what draws the images (code, not an AI model).
PROCEDURAL_NAME = "dreamfeed-procedural"


def diffusers_model_name(model_path: str) -> str:
    """A diffusers model is named after its directory or hub id's last part ("sd-turbo")."""
    path = model_path.strip()
    return Path(path.rstrip("/")).name or path


ENGINES: dict[str, EngineKind] = {
    "procedural": EngineKind(_procedural, lambda settings: None, _procedural_styles(),
                             lambda settings: PROCEDURAL_NAME),
    # A model's own look comes from the prompt: it offers no named styles.
    "diffusers": EngineKind(_diffusers, _check_diffusers, (),
                            lambda settings: diffusers_model_name(settings.model_path)),
}


def engine_model_name(name: str, settings: EngineSettings | None = None) -> str:
    """The model name the engine `name` will report, without building it."""
    return _kind(name).model_name(settings or EngineSettings())


def make_engine(name: str = DEFAULT_ENGINE, settings: EngineSettings | None = None) -> Engine:
    """The engine `name`, built from `settings`. Raises ValueError with a one-line reason
    when the name is unknown or the engine cannot be built (a missing model, say)."""
    return _kind(name).factory(settings or EngineSettings())


def check_engine(name: str, settings: EngineSettings | None = None) -> str | None:
    """Why `name` with `settings` cannot run here (one line), or None; loads nothing."""
    try:
        kind = _kind(name)
    except ValueError as exc:
        return str(exc)
    return kind.check(settings or EngineSettings())


def _kind(name: str) -> EngineKind:
    try:
        return ENGINES[name]
    except KeyError:
        raise ValueError(f"unknown engine {name!r}; choose one of {', '.join(ENGINES)}") from None
