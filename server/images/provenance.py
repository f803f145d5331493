"""The XMP packet written into every rendition: how the image was made, and by what.

Pure: builds bytes, touches no image. The prompt goes in only when its author published it.
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

DIGITAL_SOURCE_TYPE_BASE = "http://cv.iptc.org/newscodes/digitalsourcetype/"
TRAINED_ALGORITHMIC_MEDIA = "trainedAlgorithmicMedia"  # output of a trained model
ALGORITHMIC_MEDIA = "algorithmicMedia"  # drawn by an algorithm with no trained model
SOURCE_TYPES = frozenset({TRAINED_ALGORITHMIC_MEDIA, ALGORITHMIC_MEDIA})


@dataclass(frozen=True)
class Provenance:
    digital_source_type: str
    # The model or engine that made the image, e.g. "gpt-image-2".
    generator: str
    # The software that wrote the file, e.g. "Dreamfeed 0.1.0".
    software: str
    # Only when the author chose to publish it.
    prompt: str | None = None

    def __post_init__(self) -> None:
        if self.digital_source_type not in SOURCE_TYPES:
            raise ValueError(f"unknown digital source type {self.digital_source_type!r}")

    @property
    def digital_source_type_uri(self) -> str:
        return DIGITAL_SOURCE_TYPE_BASE + self.digital_source_type


def xmp_packet(provenance: Provenance) -> bytes:
    """An XMP packet with IPTC's DigitalSourceType and AISystemUsed (Photo Metadata 2025.1),
    xmp:CreatorTool, and AIPromptInformation when the prompt is public."""
    prompt = ""
    if provenance.prompt is not None:
        prompt = ("\n   <Iptc4xmpExt:AIPromptInformation>"
                  f"{escape(provenance.prompt)}</Iptc4xmpExt:AIPromptInformation>")
    text = f"""<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/"
    xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    Iptc4xmpExt:DigitalSourceType={quoteattr(provenance.digital_source_type_uri)}
    xmp:CreatorTool={quoteattr(provenance.software)}>
   <Iptc4xmpExt:AISystemUsed>{escape(provenance.generator)}</Iptc4xmpExt:AISystemUsed>{prompt}
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>"""
    return text.encode("utf-8")
