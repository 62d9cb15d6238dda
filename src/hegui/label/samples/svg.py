"""SVG sample: a drawing with Dublin Core metadata (as Inkscape writes it); ``size`` adds shapes."""

from __future__ import annotations

from pathlib import Path

SHAPE = '<rect x="1" y="1" width="8" height="8" fill="#3a7"/>\n'


def make(folder: Path, *, size: int = 0) -> list[Path]:
    shapes = SHAPE * max(1, size // len(SHAPE))
    text = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" width="64" height="64">\n'
        '<metadata><rdf:RDF><rdf:Description rdf:about=""><dc:title>示例</dc:title></rdf:Description>'
        "</rdf:RDF></metadata>\n"
        f"{shapes}</svg>\n"
    )
    path = folder / "sample.svg"
    path.write_text(text, encoding="utf-8")
    return [path]
