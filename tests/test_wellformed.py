"""Tests for folkrnn.music.wellformed: durations, bars and the verdict on hand-written tunes."""

from fractions import Fraction as F

import pytest

from folkrnn.examples import PART5_TUNE
from folkrnn.music.wellformed import (
    MAX_TUNE_TOKENS,
    Bar,
    WellFormedness,
    bars,
    check_tune,
    duration_factor,
    meter_eighths,
    split_header,
    tuplet_ratio,
    well_formed_share,
)

# A jig with a pickup and first and second endings of different lengths.
JIG = (
    "M:6/8 K:Cdor G | c 2 G E 2 G | F D B, C 3 |1 z 2 G c 2 G :| |2 z 3 z 2 |: "
    "(3 c d e c B 2 G | A > B c d 3 |1 c 3 c 2 :| |2 c 6 |"
)


def tune(text: str) -> list[str]:
    return text.split()


def bar_durations(tokens) -> list[F]:
    """Duration in eighths of each bar of a tune, as :func:`bars` reads it."""
    return [bar.duration for bar in bars(tokens)]


@pytest.mark.parametrize(
    "token, expected",
    [("2", (F(2), "")), ("/2", (F(1, 2), "")), ("3/2", (F(3, 2), "")), ("/4", (F(1, 4), "")),
     ("/3", (F(1, 3), "")), ("12", (F(12), "")), (">", (F(1), ">")), ("<", (F(1), "<")),
     ("2>", (F(2), ">")), ("/2<", (F(1, 2), "<"))],
)
def test_duration_factor(token, expected):
    assert duration_factor(token) == expected


@pytest.mark.parametrize("token", ["", "A", "2/", "/0", "3>>"])
def test_duration_factor_rejects_non_durations(token):
    with pytest.raises(ValueError):
        duration_factor(token)


@pytest.mark.parametrize(
    "meter, eighths",
    [("M:4/4", 8), ("M:6/8", 6), ("M:9/8", 9), ("M:12/8", 12), ("M:2/4", 4), ("M:3/4", 6), ("M:3/2", 12)],
)
def test_meter_eighths(meter, eighths):
    assert meter_eighths(meter) == eighths


@pytest.mark.parametrize(
    "text, meter, mode, body",
    [("M:6/8 K:Cdor A B", "M:6/8", "K:Cdor", ["A", "B"]), ("K:Cmaj M:3/4 A", "M:3/4", "K:Cmaj", ["A"]),
     ("M:4/4 M:3/4 A", "M:4/4", None, ["M:3/4", "A"]), ("A B", None, None, ["A", "B"]), ("", None, None, [])],
)
def test_split_header_takes_each_of_meter_and_mode_once(text, meter, mode, body):
    assert split_header(text.split()) == (meter, mode, body)


@pytest.mark.parametrize(
    "p, compound, ratio",
    [(2, False, F(3, 2)), (3, False, F(2, 3)), (3, True, F(2, 3)), (4, False, F(3, 4)),
     (5, False, F(2, 5)), (5, True, F(3, 5)), (6, True, F(1, 3)), (7, True, F(3, 7)),
     (8, False, F(3, 8)), (9, False, F(2, 9)), (9, True, F(3, 9))],
)
def test_tuplet_ratio_uses_abc_defaults(p, compound, ratio):
    assert tuplet_ratio(p, compound) == ratio


@pytest.mark.parametrize(
    "body, durations",
    [
        ("A B c d e f g a", [8]),
        ("(3 A B c d 2 e f g a", [8]),  # triplet of eighths = one quarter
        ("(3 A 2 B 2 c 2 d e", [6]),  # triplet of quarters = one half
        ("A > B c < d e 2> f g /2> a /2", [F(17, 2)]),  # 2 + 2 + (3 + 1/2) + (3/4 + 1/4)
        ("[ C E ] 2 [ C 2 E ] [ C /2 E ] 2 z", [6]),  # chords last as long as their first note
        ("(3 [ C E ] z G A 3/2 B /2 c /4 d /4 e /2", [5]),
        ("G /2 A /2 | B c | d", [1, 2, 1]),
        ("c 4 :| |: d 8 |1 e 2 :| |2 f 3 |", [4, 8, 2, 3]),  # `:| |:` leaves no empty bar
    ],
)
def test_bar_durations(body, durations):
    assert bar_durations(tune("M:4/4 K:Cmaj " + body)) == durations


def test_quintuplet_depends_on_compound_meter():
    assert bar_durations(tune("M:6/8 K:Cmaj (5 A B c d e c")) == [4]  # 5 in the time of 3
    assert bar_durations(tune("M:2/4 K:Cmaj (5 A B c d e c c")) == [4]  # 5 in the time of 2


def test_bars_know_their_bar_lines():
    assert bars(tune("M:4/4 K:Cmaj G | A 8 :| |2 B 2 |")) == [
        Bar(F(1), (), ("|",)),
        Bar(F(8), ("|",), (":|", "|2")),
        Bar(F(2), (":|", "|2"), ("|",)),
    ]
    assert not Bar(F(1), ("|",), ("|",)).next_to_mark
    assert Bar(F(1), ("|",), ("|1",)).next_to_mark


def test_part5_tune_is_well_formed():
    assert bar_durations(PART5_TUNE) == [1] + [8] * 7 + [7, 1] + [8] * 7 + [7]
    assert check_tune(PART5_TUNE) == WellFormedness(True, "")


@pytest.mark.parametrize(
    "text",
    [
        " ".join(PART5_TUNE),
        JIG,
        " ".join(["<s>", *PART5_TUNE, "</s>"]),
        "M:4/4 K:Cmaj |: A B c d e f g a | [ C E ] 4 [ D F ] 2 z 2 :|",
        "M:3/2 K:Cmix A 4 B 4 c 4 | (3 d e f g 2 a 2 b 2 c' 2 d' 2 | e' 12 |",
        "M:9/8 K:Cmin A 3 B 3 c 3 | d 9 |",
        "M:12/8 K:Cmaj A 3 B 3 c 3 d 3 | e 12 |",
        # an ending and a shorter pickup split one bar at a section boundary
        "M:4/4 K:Cmaj A 8 | B 8 | C 6 | A 2 | B 8 | c 8 |",
    ],
)
def test_well_formed_tunes(text):
    assert check_tune(tune(text)).ok


@pytest.mark.parametrize(
    "text, reason",
    [
        ("M:4/4 K:Cmaj A 8 | B 7 | c 8 | d 8 |", "bar 2 lasts 7 eighths, not the 8 M:4/4 asks for"),
        ("M:4/4 K:Cmaj A 9 | B 8 |", "bar 1 lasts 9 eighths, not the 8 M:4/4 asks for"),
        ("M:6/8 K:Cmaj A 6 | A B c d e f g | A 6 :|", "bar 2 lasts 7 eighths, not the 6 M:6/8 asks for"),
        ("M:2/4 K:Cmaj A 4 | B /2 c 3 | d 4 |", "bar 2 lasts 7/2 eighths, not the 4 M:2/4 asks for"),
        ("M:6/8 K:Cmaj A 6 |: A 7 :|", "bar 2 lasts 7 eighths, not the 6 M:6/8 asks for"),
        # a short bar that no pickup completes, and halves of a mislabelled meter
        ("M:4/4 K:Cmaj A 8 | C 2 | A 6 | B 8 |", "bar 2 lasts 2 eighths, not the 8 M:4/4 asks for"),
        ("M:3/2 K:Cmaj A 12 | B 6 | c 6 | d 6 |", "bar 2 lasts 6 eighths, not the 12 M:3/2 asks for"),
        ("K:Cmaj M:4/4 A 8 |", "starts with 'K:Cmaj', not a meter token"),
        ("M:4/4 A 8 |", "M:4/4 is followed by 'A', not a mode token"),
        ("", "starts with nothing, not a meter token"),
        ("M:4/4 K:Cmaj", "the tune has no notes"),
        ("M:4/4 K:Cmaj A 8 | M:3/4 B 6 |", "meter change to 'M:3/4' mid-tune (bar 2)"),
        ("M:4/4 K:Cmaj A 8 | K:Cmin B 8 |", "mode change to 'K:Cmin' mid-tune (bar 2)"),
        ("M:4/4 K:Cmaj A 8 | 2 B 8 |", "duration '2' follows no note (bar 2)"),
        ("M:4/4 K:Cmaj A 8 | [ B d | c 8 |", "chord left open before '|' (bar 2)"),
        ("M:4/4 K:Cmaj A 8 | [ ] B 8 |", "empty chord (bar 2)"),
        ("M:4/4 K:Cmaj A 8 | B 8 ] |", "']' closes no chord (bar 2)"),
        ("M:4/4 K:Cmaj A 6 (3 B c", "tuplet lacks 1 note(s) at the end (bar 1)"),
        ("M:4/4 K:Cmaj A 6 B > | c 8 |", "broken rhythm runs into bar line '|' (bar 1)"),
        ("M:4/4 K:Cmaj A 8 | <s> B 8 |", "'<s>' inside the tune (bar 2)"),
        ("M:4/4 K:Cmaj A 8 | </s> B 8 |", "tokens follow </s>"),
    ],
)
def test_ill_formed_tunes_say_why(text, reason):
    assert check_tune(tune(text)) == WellFormedness(False, reason)


def test_tune_must_end_within_max_tokens():
    assert check_tune(PART5_TUNE, ended=False) == WellFormedness(
        False, "did not end: no </s> after 146 tokens"
    )
    assert check_tune(["<s>", *PART5_TUNE, "</s>"], ended=False).ok  # </s> says it ended
    bar = ["A", "B", "c", "d", "e", "f", "g", "a", "|"]
    longest = ["M:4/4", "K:Cmaj", *(bar * 110), "A", "B", "c", "d", "e", "f", "g"]  # 999 tokens
    assert len(longest) == MAX_TUNE_TOKENS - 1
    assert check_tune(longest).ok  # 999 tokens + </s>
    assert check_tune(longest + ["a"]) == WellFormedness(False, "ended after 1001 tokens, more than 1000")
    assert check_tune(longest + ["a"], max_tokens=2000).ok


def test_well_formed_share():
    good, bad = PART5_TUNE, tune("M:4/4 K:Cmaj A 8 | B 7 | c 8 | d 8 |")
    assert well_formed_share([good, bad, good, good]) == 0.75
    assert well_formed_share([bad]) == 0.0
    assert well_formed_share([]) == 0.0
    assert well_formed_share([good[:-1]], ended=False) == 0.0
