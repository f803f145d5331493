"""Speed of image making on this machine: figures, not assertions.

    .venv/bin/python bench/generate.py [--seconds 3.0] [--size 1024x1024]
    .venv/bin/python bench/generate.py --engine diffusers [--shape sd-turbo] [--device auto]

Prints images per second of each style of the procedural engine (rendering only, and with the
PNG encoding the generator service adds), then the media pipeline's milliseconds per image
(median of 20: decode, JPEG + WebP renditions, thumbnail, blurhash, provenance) on the
engine's own PNG output.

With --engine diffusers (the optional extra): builds the model's real architecture (SD-Turbo's:
Stable Diffusion 2.1) with random weights, so the compute is real, and prints seconds per
512x512 image at 1 and 4 steps on the chosen device (the median of --runs).
"""

from __future__ import annotations

import argparse
import statistics
import time

from generator.engines import make_engine
from generator.engines.base import RenderRequest
from generator.images import encode
from server.images.pipeline import Limits, process_image
from server.images.provenance import Provenance

PROMPTS = ("a violet nebula around a ringed planet", "snowy mountains over a lake at dawn",
           "a low-poly emerald crystal, centered", "blue and gold marble swirl")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="time spent per style")
    parser.add_argument("--size", default="1024x1024", help="WIDTHxHEIGHT")
    parser.add_argument("--engine", choices=("procedural", "diffusers"), default="procedural")
    parser.add_argument("--shape", default="sd-turbo", help="diffusers: sd-turbo or tiny")
    parser.add_argument("--device", default="auto", help="diffusers: auto, cpu, cuda or mps")
    parser.add_argument("--runs", type=int, default=3, help="diffusers: images per figure")
    args = parser.parse_args()
    if args.engine == "diffusers":
        diffusers_bench(args.shape, args.device, args.runs)
        return
    width, height = (int(side) for side in args.size.split("x"))
    engine = make_engine()
    print(f"procedural engine, {width}x{height}, quality medium")
    sample = b""
    for index, style in enumerate(engine.styles):
        prompt = PROMPTS[index % len(PROMPTS)]

        def request(seed: int, style: str = style, prompt: str = prompt) -> RenderRequest:
            return RenderRequest(prompt=prompt, width=width, height=height, seed=seed,
                                 style=style)

        engine.render(request(0))  # warm up
        count, started = 0, time.perf_counter()
        encoded = 0.0
        while (elapsed := time.perf_counter() - started) < args.seconds:
            image = engine.render(request(count)).image
            count += 1
            mark = time.perf_counter()
            sample = encode(image, "png", None)
            encoded += time.perf_counter() - mark
        rendering = elapsed - encoded
        print(f"  {style:<10} {count / rendering:6.2f} images/s rendered "
              f"({rendering / count * 1000:6.1f} ms each), "
              f"{count / elapsed:5.2f}/s with PNG encoding")
    provenance = Provenance("algorithmicMedia", f"{engine.name} {engine.version}",
                            "Dreamfeed bench")
    limits = Limits(max_pixels=33_177_600, max_size=16_777_216)
    timings = []
    for _ in range(20):
        started = time.perf_counter()
        process_image(sample, provenance, limits)
        timings.append((time.perf_counter() - started) * 1000)
    size = len(sample)
    print(f"media pipeline on a {width}x{height} PNG ({size / 1024:.0f} KB): "
          f"{statistics.median(timings):.1f} ms per image (median of 20; "
          f"min {min(timings):.1f}, max {max(timings):.1f})")


def diffusers_bench(shape: str, device: str, runs: int) -> None:
    import torch

    from generator.engines.base import EngineSettings
    from generator.engines.diffusion import DiffusersEngine, pick_device, random_pipeline

    where = pick_device(device)
    card = torch.cuda.get_device_name() if where == "cuda" else where
    pipeline = random_pipeline(shape).to(where)
    print(f"diffusers engine, {shape} architecture with random weights, on {card}, "
          f"torch {torch.__version__}")
    for steps in (1, 4):
        engine = DiffusersEngine(pipeline, EngineSettings(steps=steps, max_batch=1),
                                 name=shape)
        engine.render(RenderRequest(prompt=PROMPTS[0], width=512, height=512, seed=0))
        timings = []
        for seed in range(runs):
            started = time.perf_counter()
            engine.render(RenderRequest(prompt=PROMPTS[seed % len(PROMPTS)], width=512,
                                        height=512, seed=seed))
            timings.append(time.perf_counter() - started)
        print(f"  {steps} step{'s' if steps > 1 else ' '}: {statistics.median(timings):7.2f} s "
              f"per 512x512 image (median of {runs})")


if __name__ == "__main__":
    main()
