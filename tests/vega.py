"""Reading a Vega-Lite spec (``chart.to_dict()``, or the spec Streamlit was sent): the views it draws."""

from __future__ import annotations

from dataclasses import dataclass

COMPOSITIONS = ("layer", "vconcat", "hconcat", "concat")


@dataclass(frozen=True)
class View:
    """One mark of a spec, with the encoding, data and transforms it inherits from the layers above it."""

    mark: str
    encoding: dict
    data: str | None  # the name of its dataset in the spec's "datasets"
    transform: tuple

    def fields(self) -> dict[str, str]:
        """The field each channel draws, tooltips left out."""
        return {channel: e["field"] for channel, e in self.encoding.items()
                if channel != "tooltip" and isinstance(e, dict) and "field" in e}

    def tooltip_fields(self) -> list[str]:
        tooltip = self.encoding.get("tooltip", [])
        return [t["field"] for t in (tooltip if isinstance(tooltip, list) else [tooltip])]

    def computed(self) -> set[str]:
        """The fields its transforms add (window, joinaggregate, calculate)."""
        made = set()
        for t in self.transform:
            made |= {t["as"]} if "as" in t else set()
            made |= {op["as"] for key in ("window", "joinaggregate", "aggregate") for op in t.get(key, [])}
        return made


def views(spec: dict, encoding: dict | None = None, data: str | None = None, transform: tuple = ()) -> list[View]:
    """Every view of ``spec``, through layers, concatenations and facets, in drawing order."""
    encoding = {**(encoding or {}), **spec.get("encoding", {})}
    data = spec.get("data", {}).get("name", data)
    transform = (*transform, *spec.get("transform", []))
    for key in COMPOSITIONS:
        if key in spec:
            inherited = encoding if key == "layer" else {}
            return [v for child in spec[key] for v in views(child, inherited, data, transform)]
    if "spec" in spec:  # a facet
        return views(spec["spec"], encoding, data, transform)
    mark = spec["mark"]
    return [View(mark["type"] if isinstance(mark, dict) else mark, encoding, data, transform)]


def title(spec: dict) -> str | None:
    text = spec.get("title")
    return text.get("text") if isinstance(text, dict) else text
