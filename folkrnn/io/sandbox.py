"""Parsing an untrusted pickle in a child process with memory, CPU and time limits.

:func:`folkrnn.io.original.load_original` checks a pickle before and while it builds anything, but it
runs the C unpickler and numpy on attacker-chosen bytes; should some input still crash them or
exhaust memory, only the child dies, and a shared server (every Streamlit session lives in one
process) keeps serving. The child sets its own limits before it reads the file, parses it, and
writes the model back in the project's pickle-free checkpoint format, which this process reads with
its full checks. Any failure is a one-line :class:`ModelFileError`.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

from .. import errors
from ..errors import ModelFileError, one_line
from ..weights import ModelWeights

MEMORY_LIMIT_BYTES = 640 * 2**20  # address space: folk-rnn v2 needs under 300 MB, a 48 MB float16 pickle 600
CPU_LIMIT_S = 10
WALL_LIMIT_S = 15
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])
_CHILD = "from folkrnn.io.sandbox import child_main; child_main()"
_ONE_AT_A_TIME = threading.Lock()  # sessions uploading at once must not add up their children's memory


def load_isolated(data: bytes) -> ModelWeights:
    """The model in the folk-rnn pickle ``data``, parsed by :func:`load_original` in a child process."""
    from .checkpoint import from_bytes

    if not _ONE_AT_A_TIME.acquire(timeout=2 * WALL_LIMIT_S):
        raise ModelFileError("the server is busy parsing other model files; try again in a minute")
    try:
        done = subprocess.run([sys.executable, "-c", _CHILD], input=data, capture_output=True,
                              timeout=WALL_LIMIT_S, env=_child_environment(), cwd=_PACKAGE_ROOT)
    except subprocess.TimeoutExpired:  # run() has killed the child
        raise ModelFileError(f"parsing the pickle took over {WALL_LIMIT_S} s; the file is refused") from None
    except OSError as exc:
        raise ModelFileError(f"could not start the pickle parser ({one_line(exc)})") from None
    finally:
        _ONE_AT_A_TIME.release()
    if done.returncode == 0:
        return from_bytes(done.stdout)
    raise _child_error(done.returncode, done.stderr.decode("utf-8", "replace"))


def _child_environment() -> dict[str, str]:
    """The parent's environment, with the package importable, one BLAS thread (each reserves
    address space) and a fresh string-hash seed (string keys cannot be made to collide)."""
    path = os.pathsep.join(filter(None, [_PACKAGE_ROOT, os.environ.get("PYTHONPATH")]))
    return dict(os.environ, PYTHONPATH=path, PYTHONHASHSEED="random", OPENBLAS_NUM_THREADS="1",
                OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")


def _child_error(returncode: int, stderr: str) -> ModelFileError:
    """The error the child reported on its last stderr line (``ClassName: message``), or what killed it."""
    if returncode < 0:
        name = signal.Signals(-returncode).name if -returncode in signal.valid_signals() else -returncode
        reason = "ran out of CPU time" if name == "SIGXCPU" else f"crashed ({name})"
        return ModelFileError(f"the pickle parser {reason}; the file is refused")
    lines = stderr.strip().splitlines()
    name, _, message = (lines[-1] if lines else "").partition(": ")
    kind = getattr(errors, name, None)
    if returncode == 2 and isinstance(kind, type) and issubclass(kind, ModelFileError):
        return kind(message)
    return ModelFileError(f"the pickle parser failed (exit status {returncode}: {one_line(lines[-1] if lines else '')})")


def _limit_resources() -> None:
    """Address space, CPU time and core dumps of this process, where the platform has rlimits."""
    try:
        import resource
    except ImportError:  # Windows: the wall-clock limit still applies
        return
    for limit, value in ((resource.RLIMIT_AS, MEMORY_LIMIT_BYTES), (resource.RLIMIT_CPU, CPU_LIMIT_S),
                         (resource.RLIMIT_CORE, 0)):
        hard = resource.getrlimit(limit)[1]
        try:
            resource.setrlimit(limit, (value if hard == resource.RLIM_INFINITY else min(value, hard), hard))
        except (ValueError, OSError):  # macOS refuses some address-space limits
            pass


def child_main() -> None:
    """The child: limits first, then the pickle from stdin, the checkpoint to stdout; a refusal is
    ``ClassName: message`` on stderr with exit status 2."""
    _limit_resources()
    from .checkpoint import to_bytes
    from .original import load_original

    try:
        weights = load_original(sys.stdin.buffer.read())
        out = to_bytes(weights)
    except ModelFileError as exc:
        _refuse(type(exc).__name__, one_line(exc))
    except MemoryError:
        _refuse("ModelFileError", f"parsing the pickle needed over {MEMORY_LIMIT_BYTES // 2**20} MB; the file is refused")
    sys.stdout.buffer.write(out)


def _refuse(name: str, message: str) -> None:
    print(f"{name}: {message}", file=sys.stderr)
    sys.exit(2)
