"""The diffusers engine: a real text-to-image model (SD-Turbo, SDXL-Turbo, FLUX.1-schnell,
SD 3.5 Large Turbo and the like) run with Hugging Face diffusers.

The only module of ours that imports torch and diffusers (the optional extra); it is imported
only when [generator] engine = "diffusers". The weights are loaded once, at start. Requests
are queued and one worker thread owns the model: it takes the oldest request and whatever
else waits with the same size and step count, and renders them as one batch, each image
with its own seeded generator, so an image depends on its seed and not on its batch-mates.
A request whose client has gone is skipped, or interrupted between steps.
"""

from __future__ import annotations

import json
import math
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import diffusers
import torch
from diffusers import (
    AutoencoderKL,
    AutoPipelineForImage2Image,
    AutoPipelineForText2Image,
    EulerDiscreteScheduler,
    StableDiffusionPipeline,
    UNet2DConditionModel,
)
from PIL import Image
from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

from generator.engines import diffusers_model_name
from generator.engines.base import (
    TRAINED_ALGORITHMIC_MEDIA,
    Cancelled,
    Engine,
    EngineSettings,
    Rendered,
    RenderRequest,
    Unsupported,
)
from generator.engines.diffusion_check import check_settings, is_local_path

# Steps by the request's quality when the operator set none: turbo models are made for 1-4.
STEPS_BY_QUALITY = {"low": 1, "medium": 2, "high": 4}
# How far a remix moves from its parent when the request does not say.
DEFAULT_STRENGTH = 0.6
# How long the worker waits for batch-mates after the first request of a batch: the images
# of one request (n > 1) arrive a moment apart, from the service's threads.
GATHER_SECONDS = 0.02


@dataclass
class _Job:
    request: RenderRequest
    steps: int
    done: threading.Event = field(default_factory=threading.Event)
    image: Image.Image | None = None
    error: BaseException | None = None

    @property
    def cancelled(self) -> bool:
        return self.request.cancelled is not None and self.request.cancelled.is_set()

    def batch_key(self) -> tuple[int, int, int, bool, float | None]:
        request = self.request
        return (request.width, request.height, self.steps, bool(request.sources),
                request.strength)


class DiffusersEngine(Engine):
    digital_source_type = TRAINED_ALGORITHMIC_MEDIA
    styles = ()

    def __init__(self, pipeline: Any, settings: EngineSettings, *, name: str) -> None:
        self.name = name
        self.version = f"diffusers {diffusers.__version__}"
        self.concurrency = max(1, settings.max_batch)
        self._settings = settings
        self._text2image = pipeline
        self._text2image.set_progress_bar_config(disable=True)
        try:
            # Shares the loaded modules: no second copy of the weights.
            self._image2image: Any = AutoPipelineForImage2Image.from_pipe(pipeline)
            self._image2image.set_progress_bar_config(disable=True)
        except ValueError:  # no image-to-image pipeline for this model class
            self._image2image = None
        self._pending: list[_Job] = []
        self._wake = threading.Condition()
        # Daemon: a stopping process does not wait for the model to finish a batch.
        threading.Thread(target=self._work, name="diffusers", daemon=True).start()

    def render(self, request: RenderRequest) -> Rendered:
        if request.sources and self._image2image is None:
            raise Unsupported(f"The model {self.name} has no image-to-image pipeline, so it "
                              "cannot remix images.")
        job = _Job(request, self._steps(request))
        with self._wake:
            self._pending.append(job)
            self._wake.notify()
        job.done.wait()
        if job.error is not None:
            raise job.error
        assert job.image is not None
        return Rendered(image=job.image, style="", revised_prompt=request.prompt)

    def _steps(self, request: RenderRequest) -> int:
        steps = self._settings.steps or STEPS_BY_QUALITY.get(request.quality, 2)
        if request.sources:
            # Image-to-image runs int(steps * strength) steps: at least one.
            strength = request.strength or DEFAULT_STRENGTH
            steps = max(steps, math.ceil(1 / strength))
        return steps

    def _work(self) -> None:
        while True:
            batch = self._next_batch()
            try:
                images = self._run(batch)
            except Exception as exc:  # reported to each waiting request, the worker goes on
                for job in batch:
                    job.error = exc
                    job.done.set()
                continue
            for job, image in zip(batch, images, strict=True):
                if job.cancelled:
                    job.error = Cancelled()
                job.image = image
                job.done.set()

    def _next_batch(self) -> list[_Job]:
        with self._wake:
            while True:
                self._drop_cancelled()
                if self._pending:
                    break
                self._wake.wait()
            key = self._pending[0].batch_key()
            if sum(job.batch_key() == key for job in self._pending) < self.concurrency:
                self._wake.wait(GATHER_SECONDS)
                self._drop_cancelled()
                if not self._pending:
                    return self._next_batch()
                key = self._pending[0].batch_key()
            batch = [job for job in self._pending if job.batch_key() == key][:self.concurrency]
            self._pending = [job for job in self._pending if job not in batch]
            return batch

    def _drop_cancelled(self) -> None:
        for job in self._pending:
            if job.cancelled:
                job.error = Cancelled()
                job.done.set()
        self._pending = [job for job in self._pending if not job.done.is_set()]

    def _run(self, batch: list[_Job]) -> list[Image.Image]:
        first = batch[0].request

        def on_step_end(pipe: Any, _step: int, _timestep: Any,
                        tensors: dict[str, Any]) -> dict[str, Any]:
            # Nobody waits for any image of the batch: stop denoising (diffusers' own
            # interruption flag), so the GPU goes to the next batch.
            if all(job.cancelled for job in batch):
                pipe._interrupt = True
            return tensors

        options: dict[str, Any] = {
            "prompt": [job.request.prompt for job in batch],
            "num_inference_steps": batch[0].steps,
            "guidance_scale": self._settings.guidance,
            # CPU generators: the same seed gives the same image on any device.
            "generator": [torch.Generator("cpu").manual_seed(job.request.seed)
                          for job in batch],
            "callback_on_step_end": on_step_end,
            "output_type": "pil",
        }
        if first.sources:
            pipeline = self._image2image
            options["image"] = [job.request.sources[0].convert("RGB").resize(
                (first.width, first.height), Image.Resampling.LANCZOS) for job in batch]
            options["strength"] = first.strength or DEFAULT_STRENGTH
        else:
            pipeline = self._text2image
            options["width"], options["height"] = first.width, first.height
        with torch.inference_mode():
            result = pipeline(**options)
        images: list[Image.Image] = list(result.images)
        return [image.convert("RGB") for image in images]


def load_diffusers_engine(settings: EngineSettings) -> DiffusersEngine:
    """Load the operator's model once. Raises ValueError with one line naming the path and
    what is missing."""
    problem = check_settings(settings)
    if problem:
        raise ValueError(problem)
    device = pick_device(settings.device)
    dtype = pick_dtype(settings.dtype, device)
    path = settings.model_path.strip()
    source = str(Path(path).expanduser()) if is_local_path(path) else path
    try:
        pipeline = AutoPipelineForText2Image.from_pretrained(
            source, torch_dtype=dtype, local_files_only=not settings.allow_download)
    except Exception as exc:  # diffusers raises many kinds; the operator needs one line
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ValueError(f"cannot load the diffusers model at {path}: {reason}") from None
    pipeline.to(device)
    return DiffusersEngine(pipeline, settings, name=diffusers_model_name(path))


def pick_device(wanted: str) -> str:
    if wanted == "auto":
        if torch.cuda.is_available():
            return "cuda"
        return "mps" if torch.backends.mps.is_available() else "cpu"
    if wanted == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"generator.device is cuda, but this torch ({torch.__version__}) "
                         "sees no CUDA device")
    if wanted == "mps" and not torch.backends.mps.is_available():
        raise ValueError("generator.device is mps, but this torch sees no Apple GPU")
    return wanted


def pick_dtype(wanted: str, device: str) -> torch.dtype:
    if wanted == "auto":
        # Half precision where the hardware is made for it; CPUs compute float32 best.
        return torch.float32 if device == "cpu" else torch.float16
    dtype: torch.dtype = getattr(torch, wanted)
    return dtype


# Random-weight pipelines of the real classes, for the tests (tiny) and the bench (the real
# size, so the compute is real). Nothing is downloaded: the tokenizer's files are written here.
SHAPES: dict[str, dict[str, Any]] = {
    "tiny": {
        "unet": {"block_out_channels": (32, 64), "layers_per_block": 1,
                 "down_block_types": ("CrossAttnDownBlock2D", "DownBlock2D"),
                 "up_block_types": ("UpBlock2D", "CrossAttnUpBlock2D"),
                 "cross_attention_dim": 32, "attention_head_dim": (2, 4),
                 "norm_num_groups": 32, "sample_size": 8},
        "vae": {"block_out_channels": (32, 64), "layers_per_block": 1,
                "down_block_types": ("DownEncoderBlock2D", "DownEncoderBlock2D"),
                "up_block_types": ("UpDecoderBlock2D", "UpDecoderBlock2D"),
                "norm_num_groups": 32, "sample_size": 64},
        "text": {"hidden_size": 32, "intermediate_size": 37, "num_hidden_layers": 2,
                 "num_attention_heads": 4, "projection_dim": 32},
    },
    # Stable Diffusion 2.1's architecture, which SD-Turbo distils (stabilityai/sd-turbo).
    "sd-turbo": {
        "unet": {"block_out_channels": (320, 640, 1280, 1280), "layers_per_block": 2,
                 "down_block_types": ("CrossAttnDownBlock2D", "CrossAttnDownBlock2D",
                                      "CrossAttnDownBlock2D", "DownBlock2D"),
                 "up_block_types": ("UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D",
                                    "CrossAttnUpBlock2D"),
                 "cross_attention_dim": 1024, "attention_head_dim": (5, 10, 20, 20),
                 "use_linear_projection": True, "sample_size": 64},
        "vae": {"block_out_channels": (128, 256, 512, 512), "layers_per_block": 2,
                "down_block_types": ("DownEncoderBlock2D",) * 4,
                "up_block_types": ("UpDecoderBlock2D",) * 4, "sample_size": 512},
        "text": {"hidden_size": 1024, "intermediate_size": 4096, "num_hidden_layers": 23,
                 "num_attention_heads": 16, "projection_dim": 512, "hidden_act": "gelu"},
    },
}


def random_pipeline(shape: str) -> StableDiffusionPipeline:
    """A Stable Diffusion pipeline of `shape` (a key of SHAPES) with random weights."""
    config = SHAPES[shape]
    torch.manual_seed(0)
    unet = UNet2DConditionModel(in_channels=4, out_channels=4, **config["unet"])
    vae = AutoencoderKL(in_channels=3, out_channels=3, latent_channels=4, **config["vae"])
    text_encoder = CLIPTextModel(CLIPTextConfig(vocab_size=1000, max_position_embeddings=77,
                                                bos_token_id=0, eos_token_id=2, pad_token_id=1,
                                                **config["text"]))
    # SD-Turbo's scheduler: Euler with trailing timesteps, so one step starts from pure noise.
    scheduler = EulerDiscreteScheduler(beta_start=0.00085, beta_end=0.012,
                                       beta_schedule="scaled_linear", steps_offset=1,
                                       timestep_spacing="trailing")
    return StableDiffusionPipeline(unet=unet, vae=vae, text_encoder=text_encoder,
                                   tokenizer=_tiny_tokenizer(), scheduler=scheduler,
                                   safety_checker=None, feature_extractor=None,
                                   requires_safety_checker=False)


def _tiny_tokenizer() -> CLIPTokenizer:
    """A CLIP byte-level BPE tokenizer over single characters (no merges): real code, a
    vocabulary of under 1000 entries, written here rather than downloaded."""
    characters = [chr(c) for c in range(ord("a"), ord("z") + 1)] + list("0123456789.,!?'-")
    tokens = ["<|startoftext|>", "<|pad|>", "<|endoftext|>"]
    tokens += characters + [c + "</w>" for c in characters]
    with tempfile.TemporaryDirectory() as folder:
        vocab, merges = Path(folder, "vocab.json"), Path(folder, "merges.txt")
        vocab.write_text(json.dumps({token: index for index, token in enumerate(tokens)}))
        merges.write_text("#version: 0.2\n")
        special = {"unk_token": "<|endoftext|>", "pad_token": "<|pad|>"}  # tokens, not secrets
        return CLIPTokenizer(str(vocab), str(merges), model_max_length=77, **special)

