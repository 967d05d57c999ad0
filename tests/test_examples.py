"""folkrnn.examples: the example tunes are real v2 transcriptions."""

import pytest

from folkrnn.examples import PART5_TUNE
from folkrnn.vocab import folkrnn_v2_vocabulary


def test_part5_tune_is_the_shared_file_when_present(shared_dir):
    path = shared_dir / "data" / "part5_tune.txt"
    if not path.exists():
        pytest.skip("part5_tune.txt absent")
    assert tuple(path.read_text().split()) == PART5_TUNE


def test_part5_tune_is_v2_tokens():
    folkrnn_v2_vocabulary().encode(PART5_TUNE)
    assert PART5_TUNE[:3] == ("M:4/4", "K:Cmaj", "B,") and len(PART5_TUNE) == 146
