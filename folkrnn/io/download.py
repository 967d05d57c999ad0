"""Fetching the original folk-rnn v2 weights from the public folk-rnn repository, verified and cached.

The file is checked against its git blob id (sha1 of ``blob <size>\\0`` + content) before it is
kept; a failed or corrupt download leaves nothing in the cache.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

ORIGINAL_URL = "https://raw.githubusercontent.com/IraKorshunova/folk-rnn/master/metadata/folkrnn_v2.pkl"
ORIGINAL_BLOB_ID = "6ac1708b3532be8a2f53b53dda4a97ec77f46791"
ORIGINAL_FILENAME = "folkrnn_v2.pkl"
MAX_DOWNLOAD_BYTES = 64 * 2**20


class DownloadError(RuntimeError):
    """The original weights could not be fetched or failed verification; the cache is unchanged."""


def cache_dir() -> Path:
    """Where downloads are kept: $FOLKRNN_CACHE, else ~/.cache/folkrnn-explorer."""
    return Path(os.environ.get("FOLKRNN_CACHE") or Path.home() / ".cache" / "folkrnn-explorer")


def git_blob_id(data: bytes) -> str:
    """The id git gives a file with this content."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def fetch_verified(url: str, blob_id: str, destination: Path, timeout: float = 30.0) -> Path:
    """Download ``url`` to ``destination`` unless a verified copy is there already.

    Raises :class:`DownloadError` on network failure, truncation or checksum mismatch.
    """
    if destination.exists() and git_blob_id(destination.read_bytes()) == blob_id:
        return destination
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            expected = response.headers.get("Content-Length")
            data = response.read(MAX_DOWNLOAD_BYTES + 1)
    except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DownloadError(f"could not download {url}: {reason}") from None
    if len(data) > MAX_DOWNLOAD_BYTES:
        raise DownloadError(f"{url} is larger than {MAX_DOWNLOAD_BYTES:,} bytes; refused")
    if expected is not None and int(expected) != len(data):
        raise DownloadError(f"download of {url} was cut off: {len(data):,} of {int(expected):,} bytes")
    if (actual := git_blob_id(data)) != blob_id:
        raise DownloadError(f"{url} failed verification: git blob id {actual}, expected {blob_id}")
    destination.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=destination.parent, delete=False) as tmp:
        tmp.write(data)
    Path(tmp.name).replace(destination)
    return destination


def fetch_original_weights(url: str | None = None, timeout: float = 30.0) -> Path:
    """The verified original folk-rnn v2 pickle in the cache, downloading it if needed.

    The URL defaults to $FOLKRNN_ORIGINAL_URL if set (a mirror), else the folk-rnn repository.
    """
    url = url or os.environ.get("FOLKRNN_ORIGINAL_URL") or ORIGINAL_URL
    return fetch_verified(url, ORIGINAL_BLOB_ID, cache_dir() / ORIGINAL_FILENAME, timeout)
