"""A real HTTP receiver for webhook tests and the benchmark: a threaded server on a free
loopback port that records every request and answers as a policy says (200, or 500 at random,
or always 500)."""

from __future__ import annotations

import contextlib
import random
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    status: int


@dataclass
class Inbox:
    requests: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def ok(self) -> list[Received]:
        with self.lock:
            return [r for r in self.requests if 200 <= r.status < 300]


def always_ok() -> int:
    return 200


def fail_half(seed: int) -> Callable[[], int]:
    rng = random.Random(seed)
    lock = threading.Lock()

    def policy() -> int:
        with lock:
            return 500 if rng.random() < 0.5 else 200
    return policy


@contextlib.contextmanager
def receiver(policy: Callable[[], int] = always_ok) -> Iterator[tuple[str, Inbox]]:
    """(URL, inbox) of a receiver running until the block ends."""
    inbox = Inbox()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as a real receiver would
        # headers and body leave at once (else Nagle and the client's delayed ACK add 40 ms)
        disable_nagle_algorithm = True

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            status = policy()
            with inbox.lock:
                inbox.requests.append(Received(dict(self.headers.items()), body, status))
            answer = b'{"ok": true}' if status < 300 else b"receiver failed on purpose"
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                              daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", inbox
    finally:
        server.shutdown()
        server.server_close()
