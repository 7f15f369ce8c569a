"""The development server: only files inside the site, content types, 404 page, injection, events, concurrency."""

from __future__ import annotations

import socket
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from generator.serve import devserver
from generator.serve.devserver import EventHub, ServeError, bind_server, content_type, inject, locate
from tests.conftest import write_vault
from tests.serving import EventStream, fetch

SITE = {
    "index.html": "<html><head><title>Home</title></head><body><p>home</p></body></html>",
    "a.html": "<html><head></head><body><p>a</p></body></html>",
    "docs/index.html": "<html><body>docs index</body></html>",
    "assets/style.css": "body{}",
    "graph.json": "{}",
    "404.html": '<html><head><meta charset="utf-8"></head><body><a href="index.html">home</a></body></html>',
    ".kbwiki-site": "marker",
}


@pytest.fixture
def site(tmp_path):
    root = write_vault(tmp_path / "site", SITE)
    write_vault(tmp_path / "secret", {"passwd.html": "<p>secret</p>", "index.html": "secret index"})
    (root / "out.html").symlink_to(tmp_path / "secret/passwd.html")
    (root / "outdir").symlink_to(tmp_path / "secret", target_is_directory=True)
    (root / "in.html").symlink_to(root / "a.html")
    return root


@pytest.mark.parametrize("request_path, expected", [
    ("/", "index.html"), ("/a.html", "a.html"), ("/a.html?x=1#y", "a.html"), ("/docs/", "docs/index.html"),
    ("/assets/style.css", "assets/style.css"), ("/%61.html", "a.html"), ("/in.html", "a.html"),
    ("/docs/../a.html", None), ("/../secret/passwd.html", None), ("/%2e%2e/secret/passwd.html", None),
    ("/%2E%2E%2Fsecret%2Fpasswd.html", None), ("/..%2fsecret/passwd.html", None), ("/docs/%2e%2e/a.html", None),
    ("/out.html", None), ("/outdir/passwd.html", None), ("/outdir/", None), ("/.kbwiki-site", None),
    ("/missing.html", None), ("/a.html%00.css", None), ("/..\\secret\\passwd.html", None), ("a.html", None),
])
def test_locate_serves_only_files_inside_the_site(site, request_path, expected):
    found = locate(site, request_path)
    assert (found.path.relative_to(site.resolve()).as_posix() if found.path else None) == expected


def test_locate_redirects_a_folder_without_its_slash(site):
    assert locate(site, "/docs").redirect == "/docs/"
    assert locate(site, "/outdir").redirect == ""  # not even a redirect for a folder outside


def test_locate_in_a_missing_site_finds_nothing(tmp_path):
    assert locate(tmp_path / "none", "/index.html").path is None


@pytest.mark.parametrize("name, expected", [
    ("a.html", "text/html; charset=utf-8"), ("s.css", "text/css; charset=utf-8"),
    ("x.js", "text/javascript; charset=utf-8"), ("graph.json", "application/json; charset=utf-8"),
    ("i.svg", "image/svg+xml; charset=utf-8"), ("p.PNG", "image/png"), ("p.jpg", "image/jpeg"),
    ("p.webp", "image/webp"), ("feed.xml", "application/xml; charset=utf-8"),
    ("robots.txt", "text/plain; charset=utf-8"), ("f.woff2", "font/woff2"), ("blob.bin", "application/octet-stream"),
])
def test_content_types(name, expected):
    assert content_type(name) == expected


@pytest.mark.parametrize("html, expected", [
    (b"<html><body><p>x</p></body></html>", b'<html><body><p>x</p><script src="/__kbwiki/livereload.js" data-build="7"></script>\n</body></html>'),
    (b"<p>x</p></BODY >", b'<p>x</p><script src="/__kbwiki/livereload.js" data-build="7"></script>\n</BODY >'),
    (b"<p>no body end</p>", b'<p>no body end</p><script src="/__kbwiki/livereload.js" data-build="7"></script>\n'),
])
def test_inject_adds_the_script_before_the_last_body_end(html, expected):
    assert inject(html, 7) == expected


def test_inject_base_for_the_404_page():
    assert inject(b'<html><head lang="x"><title>t</title></head><body></body></html>', 1, base=True).startswith(
        b'<html><head lang="x"><base href="/"><title>t</title>')


def test_event_hub_wakes_waiters_and_closes():
    hub = EventHub()
    version = hub.snapshot()[0]
    assert hub.wait(version, timeout=0) == (version, 0, None)  # nothing new: unchanged after the timeout
    hub.publish(3, {"failure": "x", "problems": []})
    assert hub.wait(version, timeout=5) == (version + 1, 3, {"failure": "x", "problems": []})
    woke = []
    waiter = threading.Thread(target=lambda: woke.append(hub.wait(version + 1, timeout=60)))
    waiter.start()
    hub.close()
    waiter.join(timeout=10)
    assert woke == [None]


@pytest.fixture
def server(site):
    hub = EventHub()
    srv = bind_server("127.0.0.1", 0, site, hub)
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield srv
    hub.close()
    srv.shutdown()
    srv.server_close()


@pytest.mark.parametrize("path", [
    "/../secret/passwd.html", "/%2e%2e/secret/passwd.html", "/..%2fsecret%2fpasswd.html", "/%2e%2e%2fsecret/passwd.html",
    "/docs/../../secret/passwd.html", "/out.html", "/outdir/passwd.html", "/.kbwiki-site", "//etc/passwd",
])
def test_traversal_attempts_get_the_404_page(server, path):
    status, headers, body = fetch(server.url(), path)
    assert status == 404
    assert b"secret" not in body and b"marker" not in body
    assert headers["content-type"] == "text/html; charset=utf-8"
    assert b'<base href="/">' in body and b"/__kbwiki/livereload.js" in body


def test_pages_assets_and_folders(server):
    status, headers, body = fetch(server.url(), "/a.html")
    assert (status, headers["content-type"]) == (200, "text/html; charset=utf-8")
    assert body.endswith(b'<script src="/__kbwiki/livereload.js" data-build="0"></script>\n</body></html>')
    assert int(headers["content-length"]) == len(body)
    status, headers, body = fetch(server.url(), "/assets/style.css")
    assert (status, headers["content-type"], body) == (200, "text/css; charset=utf-8", b"body{}")  # nothing injected
    status, headers, _ = fetch(server.url(), "/docs")
    assert (status, headers["location"]) == (301, "/docs/")
    assert b"docs index" in fetch(server.url(), "/docs/")[2]
    status, headers, body = fetch(server.url(), "/a.html", method="HEAD")
    assert (status, body) == (200, b"") and int(headers["content-length"]) > 0
    status, headers, body = fetch(server.url(), "/__kbwiki/livereload.js")
    assert status == 200 and headers["content-type"].startswith("text/javascript") and b"EventSource" in body


def test_a_missing_404_page_still_answers_404(server, site):
    (site / "404.html").unlink()
    status, headers, body = fetch(server.url(), "/nothing")
    assert (status, headers["content-type"], body) == (404, "text/plain; charset=utf-8", b"404 Not Found\n")


def test_many_concurrent_requests_while_event_streams_are_open(server):
    streams = [EventStream(server.url()) for _ in range(4)]
    for stream in streams:
        assert stream.wait_for("hello") == {"build": 0}
    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(lambda i: fetch(server.url(), f"/a.html?{i}")[0], range(100)))
    assert results == [200] * 100
    server.hub.publish(1, None)
    assert [s.wait_for("reload") for s in streams] == [{"build": 1}] * 4
    server.hub.publish(1, {"failure": "boom", "problems": []})
    assert [s.wait_for("overlay") for s in streams] == [{"failure": "boom", "problems": []}] * 4
    server.hub.close()  # shutdown ends every stream
    assert [s.next_event(timeout=10) for s in streams] == [None] * 4


def test_a_busy_port_is_refused_when_given_and_skipped_when_not(site, monkeypatch):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(ServeError, match=f"port {port} on 127.0.0.1 is in use"):
            bind_server("127.0.0.1", port, site, EventHub())
        monkeypatch.setattr(devserver, "DEFAULT_PORT", port)
        srv = bind_server("127.0.0.1", None, site, EventHub())
        try:
            assert port < srv.server_port < port + devserver.PORT_TRIES
        finally:
            srv.server_close()
