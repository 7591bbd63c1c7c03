"""A throw-away HTTPS Web Key Directory on loopback, with a trustme CA (tests/gateway/keys/lookup)."""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import trustme

from gateway.keys.lookup.wkd import wkd_urls


@dataclass
class WkdServer:
    """Serves published keys by (host, path); records every request as (host, path)."""

    port: int
    ca_file: Path
    keys: dict[tuple[str, str], bytes] = field(default_factory=dict)
    hits: list[tuple[str, str]] = field(default_factory=list)

    def publish(self, address: str, key: bytes, *, method: str = "advanced") -> None:
        """Publish `key` for `address` by the advanced or the direct method."""
        advanced, direct = wkd_urls(address)
        host, path = advanced if method == "advanced" else direct
        self.keys[(host, path.split("?", 1)[0])] = key

    def hits_for(self, address: str) -> int:
        """How many requests asked for `address`'s key (by either method)."""
        paths = {p.split("?", 1)[0] for _, p in wkd_urls(address)}
        return sum(1 for _, p in self.hits if p.split("?", 1)[0] in paths)


@contextmanager
def running_wkd(directory: Path, hosts: tuple[str, ...]) -> Iterator[WkdServer]:
    """An HTTPS server on 127.0.0.1 with a certificate for `hosts` from a fresh trustme CA."""
    ca = trustme.CA()
    ca_file = directory / "wkd-ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(*hosts).configure_cert(context)
    state = WkdServer(0, ca_file)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            host = (self.headers.get("Host") or "").split(":", 1)[0].lower()
            state.hits.append((host, self.path))
            body = state.keys.get((host, self.path.split("?", 1)[0]))
            if body is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def silent_tcp() -> Iterator[int]:
    """A TCP port on 127.0.0.1 that accepts connections and never answers; yields the port."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    try:
        yield sock.getsockname()[1]
    finally:
        sock.close()
