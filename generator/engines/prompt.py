"""Reading a prompt the procedural way: which words steer palette, subject, composition and
style. No language model: a word list, so the same prompt always reads the same."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

# Word -> hues in degrees. Several hues make a scheme of their own ("sunset").
COLOR_WORDS: dict[str, tuple[float, ...]] = {
    "red": (0,), "crimson": (350,), "scarlet": (5,), "ruby": (345,), "orange": (28,),
    "amber": (40,), "gold": (45,), "golden": (45,), "yellow": (55,), "lemon": (58,),
    "lime": (90,), "green": (125,), "emerald": (145,), "jade": (155,), "mint": (150,),
    "teal": (175,), "cyan": (185,), "turquoise": (178,), "aqua": (185,), "blue": (220,),
    "azure": (205,), "navy": (230,), "cobalt": (215,), "indigo": (255,), "violet": (275,),
    "purple": (285,), "lavender": (270,), "magenta": (310,), "pink": (330,), "rose": (340,),
    "sunset": (20, 340, 280), "sunrise": (35, 15, 200), "fire": (10, 35), "lava": (5, 25),
    "ice": (190, 210), "ocean": (200, 185), "sea": (195, 175), "sky": (205,),
    "forest": (130, 95), "autumn": (25, 40, 10), "desert": (35, 25), "neon": (310, 185, 60),
    "cyberpunk": (300, 190), "aurora": (140, 280), "copper": (22,), "rust": (15,),
}
PALE_WORDS = frozenset({"pastel", "pale", "soft", "faded", "misty", "foggy", "dreamy"})
VIVID_WORDS = frozenset({"vivid", "neon", "saturated", "bold", "electric", "psychedelic"})
GREY_WORDS = frozenset({"monochrome", "grayscale", "greyscale", "noir", "grey", "gray"})
SEPIA_WORDS = frozenset({"sepia", "vintage", "antique"})
DARK_WORDS = frozenset({"night", "dark", "midnight", "shadow", "shadows", "gloomy", "moody",
                        "nocturnal", "noir"})
BRIGHT_WORDS = frozenset({"bright", "sunny", "day", "daylight", "light", "radiant", "glowing",
                          "luminous", "summer"})

# Canonical subject -> the words that ask for it.
SUBJECT_WORDS: dict[str, frozenset[str]] = {
    "sun": frozenset({"sun", "sunset", "sunrise", "dawn", "dusk"}),
    "moon": frozenset({"moon", "moonlight", "moonlit", "crescent"}),
    "stars": frozenset({"star", "stars", "starry", "starlight", "constellation"}),
    "planet": frozenset({"planet", "planets", "world", "orb", "sphere", "globe"}),
    "mountains": frozenset({"mountain", "mountains", "peak", "peaks", "hills", "ridge",
                            "alps", "volcano"}),
    "water": frozenset({"lake", "sea", "ocean", "river", "water", "reflection", "bay",
                        "coast", "shore", "pond"}),
    "trees": frozenset({"tree", "trees", "forest", "pine", "pines", "woods", "jungle"}),
    "city": frozenset({"city", "skyline", "buildings", "towers", "town", "metropolis",
                       "skyscrapers", "cyberpunk"}),
    "waves": frozenset({"wave", "waves", "ripples", "tide", "surf"}),
    "swirl": frozenset({"swirl", "swirls", "vortex", "spiral", "whirlpool", "galaxy"}),
}

STYLE_WORDS: dict[str, frozenset[str]] = {
    "nebula": frozenset({"space", "galaxy", "nebula", "cosmic", "cosmos", "universe",
                         "astral", "stars", "starry", "planet", "aurora", "celestial"}),
    "landscape": frozenset({"landscape", "mountain", "mountains", "valley", "hills",
                            "horizon", "lake", "desert", "field", "coast", "island", "dunes",
                            "scenery", "vista", "countryside", "skyline", "city", "sea",
                            "ocean", "moon", "sunset", "sunrise", "forest", "river",
                            "beach"}),
    "mosaic": frozenset({"geometric", "mosaic", "polygon", "polygons", "crystal", "abstract",
                         "cubist", "cubism", "tiles", "shards", "stained", "facets", "lowpoly",
                         "triangles", "prism"}),
    "marble": frozenset({"marble", "fluid", "liquid", "swirl", "waves", "psychedelic", "flow",
                         "ink", "silk", "smoke", "paint", "marbled", "vortex", "ripples"}),
}

CENTERED_WORDS = frozenset({"centered", "centred", "portrait", "closeup", "single", "lone",
                            "solitary", "icon", "emblem"})
SYMMETRIC_WORDS = frozenset({"symmetric", "symmetrical", "mandala", "kaleidoscope", "mirrored",
                             "mirror"})
MINIMAL_WORDS = frozenset({"minimal", "minimalist", "simple", "clean", "sparse"})

_WORD_RE = re.compile(r"[a-z]+")


@dataclass(frozen=True)
class PromptFeatures:
    words: tuple[str, ...]
    digest: bytes
    color_words: tuple[str, ...]
    hues: tuple[float, ...]  # 0..1
    saturation: float  # 0..1
    brightness: float  # 0..1
    sepia: bool
    subjects: frozenset[str]
    centered: bool
    symmetric: bool
    minimal: bool
    style_scores: dict[str, int]

    def pick_style(self, styles: tuple[str, ...]) -> str:
        """The style the prompt's words favour; the prompt's hash breaks ties and silence."""
        best = max((self.style_scores.get(s, 0) for s in styles), default=0)
        candidates = [s for s in styles if self.style_scores.get(s, 0) == best]
        return candidates[self.digest[0] % len(candidates)]


def read_prompt(prompt: str) -> PromptFeatures:
    text = prompt.lower().replace("low poly", "lowpoly").replace("low-poly", "lowpoly") \
        .replace("close-up", "closeup").replace("close up", "closeup")
    words = tuple(_WORD_RE.findall(text))
    wordset = frozenset(words)
    digest = hashlib.sha256(" ".join(words).encode()).digest()
    color_words = tuple(dict.fromkeys(w for w in words if w in COLOR_WORDS))
    hues = tuple(h / 360.0 for w in color_words for h in COLOR_WORDS[w])
    saturation = 0.72
    if wordset & PALE_WORDS:
        saturation = 0.38
    if wordset & VIVID_WORDS:
        saturation = 0.95
    if wordset & GREY_WORDS:
        saturation = 0.0
    brightness = 0.58
    if wordset & DARK_WORDS:
        brightness = 0.32
    if wordset & BRIGHT_WORDS:
        brightness = 0.8
    subjects = frozenset(name for name, vocab in SUBJECT_WORDS.items() if wordset & vocab)
    if "night" in wordset and "sun" not in subjects:
        subjects |= {"stars"}
    scores = {style: sum(1 for w in words if w in vocab) for style, vocab in STYLE_WORDS.items()}
    return PromptFeatures(
        words=words, digest=digest, color_words=color_words, hues=hues,
        saturation=saturation, brightness=brightness, sepia=bool(wordset & SEPIA_WORDS),
        subjects=subjects, centered=bool(wordset & CENTERED_WORDS),
        symmetric=bool(wordset & SYMMETRIC_WORDS), minimal=bool(wordset & MINIMAL_WORDS),
        style_scores=scores)
