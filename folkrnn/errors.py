"""Errors raised for bad model files; each message says what is wrong and where."""


class ModelFileError(ValueError):
    """A model file could not be used: unreadable, refused, malformed or inconsistent."""


class RefusedPickleError(ModelFileError):
    """A pickle asked for something a folk-rnn metadata file never contains; nothing was run."""


class ShapeError(ModelFileError):
    """An array has a shape the architecture does not allow."""


class NonFiniteWeightsError(ModelFileError):
    """An array holds NaN or infinite values."""


def one_line(error: BaseException | str, limit: int = 300) -> str:
    """``error``'s message on one line (whitespace runs collapsed), at most ``limit`` characters."""
    text = " ".join(str(error).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
