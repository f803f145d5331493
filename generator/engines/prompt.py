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
# Words naming a scene that has colours of its own: a plain colour named beside them wins
# ("a red boat on the sea" is red, not sea-blue).
SCENE_COLOR_WORDS = frozenset({"sunset", "sunrise", "fire", "lava", "ice", "ocean", "sea", "sky",
                               "forest", "autumn", "desert", "neon", "cyberpunk", "aurora"})
PALE_WORDS = frozenset({"pastel", "pale", "soft", "faded", "misty", "foggy", "dreamy"})
VIVID_WORDS = frozenset({"vivid", "neon", "saturated", "bold", "electric", "psychedelic"})
GREY_WORDS = frozenset({"monochrome", "grayscale", "greyscale", "noir", "grey", "gray"})
SEPIA_WORDS = frozenset({"sepia", "vintage", "antique"})
DARK_WORDS = frozenset({"night", "dark", "midnight", "shadow", "shadows", "gloomy", "moody",
                        "nocturnal", "noir"})
BRIGHT_WORDS = frozenset({"bright", "sunny", "day", "daylight", "light", "radiant", "glowing",
                          "luminous", "summer"})
# Time of day -> the words that name it. It sets the light (brightness, the sky's hues when no
# colour is named, where the sun stands) and a final colour grade over every style.
TIME_WORDS: dict[str, frozenset[str]] = {
    "dawn": frozenset({"dawn", "sunrise", "daybreak", "morning"}),
    "noon": frozenset({"noon", "midday", "daytime", "afternoon"}),
    "dusk": frozenset({"dusk", "sunset", "evening", "twilight", "sundown"}),
    "night": frozenset({"night", "midnight", "nighttime", "nocturnal"}),
}
TIME_BRIGHTNESS = {"dawn": 0.55, "noon": 0.88, "dusk": 0.48, "night": 0.22}
# Sky hues (degrees) of each time, used when the prompt names no colour.
TIME_HUES: dict[str, tuple[float, ...]] = {
    "dawn": (330, 30, 205), "noon": (205, 195, 50), "dusk": (20, 340, 270),
    "night": (230, 250, 215),
}

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
    # Drawn over whatever style renders (generator.engines.subjects).
    "lighthouse": frozenset({"lighthouse", "lighthouses", "beacon"}),
    "cat": frozenset({"cat", "cats", "kitten", "kitty", "kittens"}),
    "flower": frozenset({"flower", "flowers", "rose", "roses", "tulip", "tulips", "daisy",
                         "daisies", "blossom", "blossoms", "bloom", "poppy", "poppies"}),
}

STYLE_WORDS: dict[str, frozenset[str]] = {
    "nebula": frozenset({"space", "galaxy", "nebula", "cosmic", "cosmos", "universe",
                         "astral", "stars", "starry", "planet", "aurora", "celestial"}),
    "landscape": frozenset({"landscape", "mountain", "mountains", "valley", "hills",
                            "horizon", "lake", "desert", "field", "coast", "island", "dunes",
                            "scenery", "vista", "countryside", "skyline", "city", "sea",
                            "ocean", "moon", "sunset", "sunrise", "forest", "river",
                            "beach", "lighthouse", "tree", "trees", "woods", "pines",
                            "town", "dawn", "dusk", "noon"}),
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
    time_of_day: str | None  # dawn, noon, dusk, night, or None when the prompt names none
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
    plain = tuple(w for w in color_words if w not in SCENE_COLOR_WORDS)
    color_words = plain or color_words
    # The first time named wins ("a night after a sunny day" is a night).
    time_of_day = next((time for w in words for time, vocab in TIME_WORDS.items() if w in vocab),
                       None)
    hue_degrees = [h for w in color_words for h in COLOR_WORDS[w]]
    if not hue_degrees and time_of_day is not None:
        hue_degrees = list(TIME_HUES[time_of_day])
    hues = tuple(h / 360.0 for h in hue_degrees)
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
    if time_of_day is not None:
        brightness = TIME_BRIGHTNESS[time_of_day]
    subjects = frozenset(name for name, vocab in SUBJECT_WORDS.items() if wordset & vocab)
    if time_of_day == "night" and "sun" not in subjects:
        subjects |= {"stars"}
    if time_of_day == "noon":
        subjects |= {"sun"}
    scores = {style: sum(1 for w in words if w in vocab) for style, vocab in STYLE_WORDS.items()}
    return PromptFeatures(
        words=words, digest=digest, color_words=color_words, hues=hues,
        saturation=saturation, brightness=brightness, time_of_day=time_of_day,
        sepia=bool(wordset & SEPIA_WORDS),
        subjects=subjects, centered=bool(wordset & CENTERED_WORDS),
        symmetric=bool(wordset & SYMMETRIC_WORDS), minimal=bool(wordset & MINIMAL_WORDS),
        style_scores=scores)
