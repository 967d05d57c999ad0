"""The original-weights download against real HTTP servers on 127.0.0.1."""

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from folkrnn.io.download import DownloadError, fetch_verified, git_blob_id

PAYLOAD = b"folk-rnn weights stand-in " * 1000


class _Server:
    """Serves PAYLOAD at /file; ``mode`` picks a fault: 'ok', 'drop' (cut midway), 'corrupt'."""

    def __init__(self, mode):
        mode_ = mode

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                body = PAYLOAD if mode_ != "corrupt" else PAYLOAD[:-1] + b"!"
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body[: len(body) // 2] if mode_ == "drop" else body)
                if mode_ == "drop":
                    self.wfile.flush()
                    self.connection.shutdown(socket.SHUT_RDWR)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/file"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def test_correct_file_is_verified_and_cached(tmp_path):
    dest = tmp_path / "cache" / "w.pkl"
    with _Server("ok") as server:
        assert fetch_verified(server.url, git_blob_id(PAYLOAD), dest, timeout=5) == dest
    assert dest.read_bytes() == PAYLOAD
    # a second call is served from the cache: no server is running now
    assert fetch_verified("http://127.0.0.1:9/unreachable", git_blob_id(PAYLOAD), dest, timeout=5) == dest


@pytest.mark.parametrize("mode, message", [("drop", "cut off|could not download"), ("corrupt", "failed verification")])
def test_faulty_download_leaves_no_file(tmp_path, mode, message):
    dest = tmp_path / "cache" / "w.pkl"
    with _Server(mode) as server, pytest.raises(DownloadError, match=message):
        fetch_verified(server.url, git_blob_id(PAYLOAD), dest, timeout=5)
    assert not dest.exists()
    assert not list(tmp_path.rglob("*")) or all(p.is_dir() for p in tmp_path.rglob("*"))


def test_no_network_gives_a_clear_error(tmp_path):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(DownloadError, match="could not download"):
        fetch_verified(f"http://127.0.0.1:{port}/x", "0" * 40, tmp_path / "w.pkl", timeout=5)
    assert not (tmp_path / "w.pkl").exists()


def test_git_blob_id_matches_git():
    # `printf 'hello\n' | git hash-object --stdin`
    assert git_blob_id(b"hello\n") == "ce013625030ba8dba906f756967f9e9ca394464a"
