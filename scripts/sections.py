"""Generated Markdown documents made of named sections between markers, so that a generator can
rewrite some sections and keep the others as the file has them (MODEL_CARD.md, docs/benchmarks.md)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path


def write_sections(path: Path, order: Sequence[str], sections: Mapping[str, str], head: str = "") -> str:
    """Write ``head``, then the sections named in ``order``: those in ``sections`` (name -> text) as
    given, every other one as ``path`` holds it (left out where it holds none). Returns the text."""
    old = path.read_text() if path.exists() else ""
    parts = []
    for name in order:
        text = sections.get(name)
        if text is None:
            kept = re.search(rf"<!-- section: {name} -->\n(.*?)<!-- end: {name} -->\n", old, re.S)
            text = kept.group(1) if kept else ""
        if text:
            parts.append(f"<!-- section: {name} -->\n{text.rstrip()}\n<!-- end: {name} -->\n")
    document = head + "\n".join(parts)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(document)
    return document
