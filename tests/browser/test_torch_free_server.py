"""On one real server, every page of the app opened in turn, forms pressed, leaves torch out of the
server's process: no torch library is mapped into its memory (what the AppTest check in
tests/test_light_pages.py says for the script, here for the server users run)."""

from pathlib import Path
from urllib.parse import urlparse

from explorer.navigation import SECTIONS
from tests.browser.conftest import app_exceptions, open_app


def _server_pid(base_url: str) -> int:
    """The pid of the streamlit process serving ``base_url`` (found by its --server.port)."""
    port = str(urlparse(base_url).port)
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                args = (proc / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"streamlit" in b" ".join(args) and port.encode() in args:
                return int(proc.name)
    raise AssertionError(f"no streamlit process on port {port}")


def test_no_page_loads_torch_into_the_server(page, streamlit_server):
    for spec in [spec for specs in SECTIONS.values() for spec in specs]:
        open_app(page, f"{streamlit_server}/{spec.url_path or ''}?n=5&length=30&survey_length=30&candidates=16")
        assert app_exceptions(page) == [], spec.url_path
    maps = Path(f"/proc/{_server_pid(streamlit_server)}/maps").read_text()
    assert "libtorch" not in maps and "/torch/" not in maps
