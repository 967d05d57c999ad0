"""One entry point for every model file: the embedded models, project checkpoints, original pickles."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from ..errors import ModelFileError
from ..weights import ModelWeights
from . import checkpoint, sandbox

EMBEDDED_MODELS = {
    "replica": "folkrnn_v2_replica.safetensors",  # the default: Adam, cosine schedule, per-token loss
    "faithful": "folkrnn_v2_faithful.safetensors",  # folk-rnn's own recipe (train --recipe folkrnn)
}
DEFAULT_MODEL = "replica"
MAX_MODEL_BYTES = 64 * 2**20  # folk-rnn v2's pickle is 24 MB; nothing of this layout is near 64 MB


def embedded_model_path(name: str = DEFAULT_MODEL) -> Path:
    """The file of an embedded model shipped with the package (trained by this project; see MODEL_CARD.md)."""
    if name not in EMBEDDED_MODELS:
        raise ModelFileError(f"no embedded model {name!r}; the embedded models are {', '.join(EMBEDDED_MODELS)}")
    return Path(str(resources.files("folkrnn") / "assets" / EMBEDDED_MODELS[name]))


def default_model_path() -> Path:
    """The default embedded model's file."""
    return embedded_model_path(DEFAULT_MODEL)


def model_path(model: str | Path | None = None) -> Path:
    """The file a model argument names: an embedded model's name (``"replica"``, ``"faithful"``), a
    path, or None for the default. A name wins over a file of that name: write ``./faithful`` for one."""
    if model is None:
        return default_model_path()
    if isinstance(model, str) and model in EMBEDDED_MODELS:
        return embedded_model_path(model)
    return Path(model)


def load_bytes(data: bytes, max_bytes: int = MAX_MODEL_BYTES) -> ModelWeights:
    """Load a project checkpoint or a folk-rnn metadata pickle from its bytes (format sniffed).

    Checkpoints are parsed here, their header checked before any array is read; pickles in a child
    process with resource limits (:mod:`folkrnn.io.sandbox`)."""
    if len(data) > max_bytes:
        raise ModelFileError(f"the file is {len(data):,} bytes; the limit is {max_bytes:,}")
    if not data:
        raise ModelFileError("the file is empty")
    if checkpoint.is_checkpoint(data):
        return checkpoint.from_bytes(data)
    return sandbox.load_isolated(data)


def load_model(model: str | Path | None = None, max_bytes: int = MAX_MODEL_BYTES) -> ModelWeights:
    """Load a model (an embedded model's name or a file, see :func:`model_path`; default the embedded
    replica), refusing files over ``max_bytes``."""
    path = model_path(model)
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
