"""docs/benchmarks.md from fake results, no benchmark run: one section per benchmark, and ``--only``
rewriting its own sections while the others stay as the file holds them."""

from benchmarks.run import write_report

LOAD = {"cold_ms": 90.0, "cached_ms": 0.0014, "fresh_process_ms": 477.0}
TRAINING = {"fp32": 4777.0, "bf16": 7705.0, "bf16_clipped": 5000.0}
PAGES = {"app_pages/home.py": 23.0, "app_pages/bias.py": 78.0}


def test_only_rewrites_its_own_sections_and_keeps_the_others(tmp_path):
    path = tmp_path / "benchmarks.md"
    write_report(path, {"load": LOAD, "pages": PAGES, "training": TRAINING}, "python -m benchmarks")
    first = path.read_text()
    sections = lambda text: [line for line in text.splitlines() if line.startswith("<!-- section:")]  # noqa: E731
    assert sections(first) == ["<!-- section: load -->", "<!-- section: pages -->", "<!-- section: training -->"]
    assert "| load embedded model + SVD, in process, caches cleared | 90.0 ms | ≤ 100 ms | met |" in first

    text = write_report(path, {"load": {**LOAD, "cold_ms": 132.7}}, "python -m benchmarks --only load",
                        {"tree": "2443468", "pages": {"app_pages/home.py": 24.0}})
    assert text == path.read_text()
    assert "| 132.7 ms | ≤ 100 ms | **missed** |" in text and "| 90.0 ms |" not in text
    assert sections(text) == sections(first)
    for kept in ("pages", "training"):
        block = first[first.index(f"<!-- section: {kept} -->"):first.index(f"<!-- end: {kept} -->")]
        assert block in text
    load = text[text.index("<!-- section: load -->"):text.index("<!-- end: load -->")]
    assert "Command: `python -m benchmarks --only load`" in load and "before" not in load  # load has no before


def test_before_figures_are_marked_in_their_section(tmp_path):
    text = write_report(tmp_path / "b.md", {"pages": PAGES}, "c", {"tree": "2443468", "pages": {"app_pages/home.py": 24.0}})
    assert "Figures marked *before* come from 2443468." in text
    assert "| AppTest warm rerun after a widget change: `app_pages/home.py` | 23 ms (before: 24 ms) | ≤ 50 ms | met |" in text
    assert "| AppTest warm rerun after a widget change: `app_pages/bias.py` | 78 ms | ≤ 50 ms | **missed** |" in text


def test_memory_rows_give_the_one_link_class_beside_its_before(tmp_path):
    memory = {"after_tour_mb": 387.0, "tour_peak_mb": 400.0, "class_peak_mb": 600.0, "class_exceptions": 0,
              "serving_after_class": True, "one_link_added_mb": 41.0, "one_link_seconds": 12.4,
              "one_link_exceptions": 0, "pickle_added_mb": 113.0, "pickle_loaded": True}
    text = write_report(tmp_path / "b.md", {"memory": memory}, "c",
                        {"tree": "9a752ca", "memory": {"one_link_added_mb": 300.0, "one_link_seconds": 50.0}})
    assert ("20 sessions open one link (`in-use?n=20&survey_seed=11`) and press its button together (0 exceptions)"
            in text)
    assert "| 41 MB (before: 300 MB), 12 s (before: 50 s) |" in text
