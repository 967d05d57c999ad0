"""Tests for folkrnn.music.abc: ABC notation of v2 token sequences, and where each token is in it."""

import random
import re

import pytest

from folkrnn.examples import PART5_TUNE
from folkrnn.music.abc import abc_with_span, abc_with_token_chars, to_abc
from folkrnn.vocab import folkrnn_v2_vocabulary, token_category

HEADER = "X:1\nM:4/4\nL:1/8\nK:Cmaj\n"
PART5_ABC = (
    "X:5\n"
    "T:folk-rnn v2, part 5\n"
    "M:4/4\n"
    "L:1/8\n"
    "K:Cmaj\n"
    "B, | G,CC2 G,CEC | G,CEG FDB,D | G,CC2 G,CEG | FEDE CEA,B, |\n"
    "G,CC2 G,CEC | G,CEF G3A | BcdB cBGF | DEFD C3 ::\n"
    "D | ECC2 DB,G,A, | B,CDE F2DF | ECC2 DEFD | G^FGA B2AB |\n"
    "GccB c2Bc | dedc BdcB | GEFD GFDF | ECB,D C3 :|\n"
)


def body(text: str, header: str = "M:4/4 K:Cmaj") -> str:
    """The ABC body written for a token text (the header lines stripped)."""
    abc = to_abc(f"{header} {text}".split())
    return abc.split("\n", 4)[4].rstrip("\n")


def test_part5_tune():
    assert to_abc(PART5_TUNE, index=5, title="folk-rnn v2, part 5") == PART5_ABC


def test_header_from_meter_and_mode_tokens():
    abc = to_abc("<s> M:6/8 K:Cdor A </s>".split(), index=3, title="  A  jig\n")
    assert abc == "X:3\nT:A jig\nM:6/8\nL:1/8\nK:Cdor\nA\n"


def test_header_defaults_when_tokens_lack_it():
    assert to_abc(["c", "2"]) == HEADER + "c2\n"
    assert to_abc([]) == HEADER


@pytest.mark.parametrize(
    "tokens, abc",
    [
        ("c 2", "c2"),
        ("A /2 B /2", "A/2B/2"),
        ("A > B", "A>B"),
        ("A 2< B", "A2<B"),
        ("[ C E ]", "[CE]"),
        ("[ C 2 E ] 2", "[C2E]2"),
        ("(3 A B c", "(3ABc"),
        ("z 2 z /2", "z2z/2"),
        # grouped by half bar in 4/4: glued within a group, spaced between groups
        ("A B c d e f g a |", "ABcd efga |"),
        ("A /2 B /2 A > B [ C E ] (3 A B c d 2 |", "A/2B/2A>B[CE] (3ABcd2 |"),
        ("G 2 (3 B c d c 2 A > B |", "G2(3Bcd c2A>B |"),
    ],
)
def test_notes_glue_to_durations_tuplets_and_chords(tokens, abc):
    assert body(tokens) == abc


def test_beams_follow_the_meter():
    assert body("A B c d e f | g 3 a 3 |", "M:6/8 K:Cmaj") == "ABc def | g3 a3 |"
    assert body("A B c d e f |", "M:3/4 K:Cmaj") == "AB cd ef |"
    assert body("A B c d | e f g a |", "M:2/4 K:Cmaj") == "AB cd | ef ga |"


def test_tuplets_of_five_spell_their_q():
    assert body("(5 A B c d e c |", "M:6/8 K:Cmaj") == "(5:3ABcde c |"
    assert body("(5 A B c d e c c |", "M:2/4 K:Cmaj") == "(5:2ABcde cc |"


def test_repeat_and_ending_marks_merge():
    tokens = "A 8 :| |: B 8 |1 c 8 :| |2 d 8 |"
    assert body(tokens) == "A8 :: B8 |1 c8 :|2 d8 |"


def test_a_line_ends_every_four_bars_and_pickups_do_not_count():
    assert body("A 8 | " * 8) == "A8 | A8 | A8 | A8 |\nA8 | A8 | A8 | A8 |"
    assert body("G | " + "A 8 | " * 5) == "G | A8 | A8 | A8 | A8 |\nA8 |"
    assert body("A 4 | " * 9, "M:2/4 K:Cmaj") == "A4 | " * 7 + "A4 |\nA4 |"


def test_meter_and_mode_tokens_mid_tune_become_inline_fields():
    assert body("A 8 | M:3/4 K:Cmin B 6 |") == "A8 | [M:3/4] [K:Cmin] B6 |"
    assert body("A B c | M:6/8 d e f g a b |") == "ABc | [M:6/8] def gab |"


def test_tokens_that_would_break_abc_are_dropped():
    # a duration after a bar line, <s>, an empty chord, a second length, a stray ']', a lone tuplet
    assert body("| 2 A <s> > [ ] B 2 /2 ] | (3 |") == "| A>B2 |"
    assert body("A 3 B > | c 4 [ C E") == "A3B | c4 [CE]"
    assert body("A 2 /4 B") == "A2B"


def test_random_token_sequences_give_readable_abc():
    note = r"[_^=]?[A-Ga-g][,']*"
    length = r"(?:\d+(?:/\d+)?|/\d+)"
    element = rf"(?:\(\d(?::\d)?)?(?:{note}|z|\[(?:{note}{length}?)+\]){length}?[<>]?"
    item = re.compile(rf"(?:{element})+|\||\|:|:\||::|:\|[12]|\|[12]|\[[MK]:[^\]]+\]")
    tokens = folkrnn_v2_vocabulary().tokens
    rng = random.Random(0)
    for _ in range(300):
        abc = to_abc([rng.choice(tokens) for _ in range(rng.randint(0, 80))])
        head, music = abc.split("\nK:", 1)[1].split("\n", 1)
        assert head in ("Cmaj", "Cmin", "Cdor", "Cmix")
        for word in music.split():
            assert item.fullmatch(word), (word, abc)
            assert not word.endswith((">", "<")), abc


def test_each_token_is_placed_on_the_characters_written_for_it():
    tokens = "M:6/8 K:Cmaj |: G 2 A (3 B c d [ C E ] 2 | d > c B A :| |2 c 2 z M:3/4 c".split()
    abc, chars = abc_with_token_chars(tokens, 1, None, ())
    assert abc == to_abc(tokens) and abc.endswith("\n|: G2A (3Bcd[CE]2 | d>cB A :|2 c2z [M:3/4] c\n")
    written = {tokens[i]: abc[a:b] for i, (a, b) in chars.items() if tokens[i] in ("G", "2", "(3", "C", "M:3/4")}
    assert written == {"G": "G", "2": "2", "(3": "(3", "C": "[CE]", "M:3/4": "[M:3/4]"}
    assert abc[slice(*chars[tokens.index(":|")])] == ":|" and abc[slice(*chars[tokens.index("|2")])] == ":|2"
    assert 0 not in chars and 1 not in chars  # the header's meter and mode are the M: and K: lines


def test_a_span_is_marked_from_its_first_token_to_its_last():
    tokens = list(PART5_TUNE)
    abc, (a, b) = abc_with_span(tokens, 4, 10, index=5, title="folk-rnn v2, part 5")
    assert abc == to_abc(tokens, 5, "folk-rnn v2, part 5") and abc[a:b] == "G,CC2 G,C"
    assert abc_with_span(["<s>", "</s>"], 0, 2) == (to_abc([]), None)  # nothing of it is written


def test_every_token_placed_in_random_sequences_lies_in_the_body_in_order():
    tokens = folkrnn_v2_vocabulary().tokens
    rng = random.Random(1)
    for _ in range(200):
        tune = [rng.choice(tokens) for _ in range(rng.randint(0, 80))]
        abc, chars = abc_with_token_chars(tune, 1, None, ())
        body_start = abc.index("\nK:") + 1 + abc[abc.index("\nK:") + 1:].index("\n") + 1
        placed = sorted(chars)
        assert all(body_start <= chars[i][0] < chars[i][1] <= len(abc) for i in placed), abc
        # notes, rests and bar lines in the tune's order (a tuplet mark may come before a duration of the note
        # before it: "f (7 /8" is written f/8(7:3)
        elements = [i for i in placed if token_category(tune[i]) in ("pitch", "rest", "measure")]
        assert all(chars[i][0] <= chars[j][0] for i, j in zip(elements, elements[1:])), abc
        assert all(abc[slice(*chars[i])].strip() == abc[slice(*chars[i])] for i in placed), abc
