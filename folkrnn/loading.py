"""One entry point for every model file: the embedded default, project checkpoints, original pickles."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from . import checkpoint, sandbox
from .errors import ModelFileError
from .weights import ModelWeights

DEFAULT_MODEL_NAME = "folkrnn_v2_replica.safetensors"
MAX_MODEL_BYTES = 64 * 2**20  # folk-rnn v2's pickle is 24 MB; nothing of this layout is near 64 MB


def default_model_path() -> Path:
    """The embedded model shipped with the package (trained by this project; see MODEL_CARD.md)."""
    return Path(str(resources.files("folkrnn") / "assets" / DEFAULT_MODEL_NAME))


def load_bytes(data: bytes, max_bytes: int = MAX_MODEL_BYTES) -> ModelWeights:
    """Load a project checkpoint or a folk-rnn metadata pickle from its bytes (format sniffed).

    Checkpoints are parsed here, their header checked before any array is read; pickles in a child
    process with resource limits (:mod:`folkrnn.sandbox`)."""
    if len(data) > max_bytes:
        raise ModelFileError(f"the file is {len(data):,} bytes; the limit is {max_bytes:,}")
    if not data:
        raise ModelFileError("the file is empty")
    if checkpoint.is_checkpoint(data):
        return checkpoint.from_bytes(data)
    return sandbox.load_isolated(data)


def load_model(path: str | Path | None = None, max_bytes: int = MAX_MODEL_BYTES) -> ModelWeights:
    """Load the model at ``path`` (default: the embedded model), refusing files over ``max_bytes``."""
    path = Path(path) if path is not None else default_model_path()
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise ModelFileError(f"{path}: the file is {size:,} bytes; the limit is {max_bytes:,}")
        data = path.read_bytes()
    except OSError as exc:
        raise ModelFileError(f"{path}: cannot read the file ({exc.strerror or exc})") from None
    try:
        return load_bytes(data, max_bytes)
    except ModelFileError as exc:
        raise type(exc)(f"{path.name}: {exc}") from None
