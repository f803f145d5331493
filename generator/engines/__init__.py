"""Image engines behind the generator service, chosen by name."""

from __future__ import annotations

from collections.abc import Callable

from generator.engines.base import Engine

DEFAULT_ENGINE = "procedural"


def _procedural() -> Engine:
    from generator.engines.procedural import ProceduralEngine

    return ProceduralEngine()


# A real-model engine (diffusers with local weights) registers here when it exists.
ENGINES: dict[str, Callable[[], Engine]] = {"procedural": _procedural}


def make_engine(name: str = DEFAULT_ENGINE) -> Engine:
    try:
        factory = ENGINES[name]
    except KeyError:
        raise ValueError(f"unknown engine {name!r}; choose one of {', '.join(ENGINES)}") from None
    return factory()
