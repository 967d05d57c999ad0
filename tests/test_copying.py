"""Is it copying? Nearest reference tunes by shared n-grams, runs and edit distances checked by hand,
and a bad reference corpus refused with a clear message."""

import json
import subprocess
import sys

import numpy as np
import pytest

from folkrnn.analysis.copying import (
    CorpusError,
    Reference,
    edit_distance,
    longest_shared_run,
    ngrams,
    population,
    read_reference,
)
from folkrnn.vocab import folkrnn_v2_vocabulary

A = "M:4/4 K:Cmaj |: c 2 G E C D E F | G A B c d 2 c 2 :|".split()
B = "M:6/8 K:Cdor G E C E 2 G | c 3 B A G | A > B c d 2 e |".split()
COPY = "M:4/4 K:Cmaj |: c 2 G E C D E F | e d c B A G F E :|".split()  # A's first bar, then its own
CORPUS = "\n\n".join(" ".join(t[:2]) + "\n" + " ".join(t[2:]) for t in (B, A, B)) + "\n"


def test_ngrams_leave_the_header_out():
    assert ngrams(A, 12) == {tuple(A[2 + i : 14 + i]) for i in range(len(A) - 2 - 12 + 1)}
    assert ("M:4/4", "K:Cmaj") not in ngrams(A, 2) and ("K:Cmaj", "|:") not in ngrams(A, 2)


def test_ngrams_without_bar_lines_leave_them_out():
    tune = "M:4/4 K:Cmaj |: c d | e f g :| a b".split()
    assert ngrams(tune, 3, bar_lines=False) == {("c", "d", "e"), ("d", "e", "f"), ("e", "f", "g"), ("f", "g", "a"),
                                                ("g", "a", "b")}


def test_closest_shares_against_a_brute_force_count():
    rng = np.random.default_rng(0)
    notes = list("CDEFGAB")

    def tune(n):
        return ["M:4/4", "K:Cmaj", *rng.choice(notes + ["|"], n).tolist()]

    reference = [tune(n) for n in rng.integers(5, 40, 30)]
    tunes = [tune(n) for n in rng.integers(5, 40, 10)] + [reference[3][:2] + ["C", "|", "D"], max(reference, key=len)]
    expected = []
    for t in tunes:
        own = ngrams(t, 6, bar_lines=False)
        expected.append(max(len(own & ngrams(r, 6, bar_lines=False)) for r in reference) / len(own) if own else 0.0)
    shares = Reference(reference, bar_lines=False).closest_shares(tunes, 6)
    np.testing.assert_allclose(shares, expected)
    assert shares[-2] == 0.0 and shares[-1] == 1.0  # too short for an n-gram; a copy of a reference tune


def test_runs_and_edit_distance_by_hand():
    assert longest_shared_run(A, COPY) == 12  # M:4/4 K:Cmaj |: c 2 G E C D E F |
    assert longest_shared_run(["a", "b"], ["c"]) == 0
    assert edit_distance(A, A) == 0.0
    assert edit_distance(["a", "b", "c", "d"], ["a", "x", "c"]) == pytest.approx(2 / 4)  # one change, one deletion


def test_nearest_ranks_by_shared_ngrams():
    reference = Reference([B, A, B])
    (best,) = reference.nearest(COPY, n=4, k=2)  # B shares no 4-gram with it: not listed
    grams = ngrams(COPY, 4)
    assert best.index == 1 and best.shared == pytest.approx(len(grams & ngrams(A, 4)) / len(grams))
    assert best.longest_run == longest_shared_run(COPY[2:], A[2:]) == 10
    assert best.edit_distance == pytest.approx(edit_distance(COPY[2:], A[2:]))
    same = Reference([B, A, A]).nearest(A, n=3)
    assert [m.index for m in same] == [1, 2, 0][: len(same)] and same[0].shared == 1.0 and same[0].edit_distance == 0
    with pytest.raises(ValueError, match="shorter than n"):
        reference.nearest(A, n=30)


def test_reading_a_reference_file(tmp_path):
    vocabulary = folkrnn_v2_vocabulary()
    path = tmp_path / "ref.txt"
    path.write_text(CORPUS)
    assert [t[:2] for t in read_reference(path, vocabulary).tunes] == [B[:2], A[:2], B[:2]]
    for text, message in [("", "no transcriptions"), ("\n\n\n", "no transcriptions"),
                          ("c d e f\n\n", "does not open with a meter and a mode"),
                          ("M:4/4\nK:Cmaj\nc d H e\n", "'H'")]:
        with pytest.raises(CorpusError, match=message):
            read_reference(text.encode(), vocabulary)
    with pytest.raises(CorpusError, match="not UTF-8"):
        read_reference(b"\xff\xfe\x00", vocabulary)
    with pytest.raises(CorpusError, match="cannot read"):
        read_reference(tmp_path / "missing.txt", vocabulary)


def test_population_statistics():
    stats = population([A, B, COPY])
    assert stats["meters"] == {"M:4/4": 2, "M:6/8": 1} and stats["modes"]["K:Cdor"] == 1
    np.testing.assert_array_equal(stats["lengths"], [len(A), len(B), len(COPY)])
    np.testing.assert_array_equal(stats["bars"], [3, 3, 3])  # |: | :| in A and COPY; three | in B


def test_cli_copycheck(tmp_path):
    path = tmp_path / "ref.txt"
    path.write_text(CORPUS)
    run = lambda *a: subprocess.run([sys.executable, "-m", "folkrnn", "copycheck", *a], capture_output=True,  # noqa: E731
                                    text=True, timeout=120)
    result = run("--tokens", " ".join(COPY), "--reference", str(path), "--n", "4", "--k", "1", "--json")
    assert result.returncode == 0, result.stderr
    (match,) = json.loads(result.stdout)["matches"]
    assert match["index"] == 1 and match["longest_run"] == 10 and match["tokens"] == A
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    bad = run("--tokens", " ".join(COPY), "--reference", str(empty))
    assert bad.returncode == 2 and "no transcriptions" in bad.stderr and "Traceback" not in bad.stderr
