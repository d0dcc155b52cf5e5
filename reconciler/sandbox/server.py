"""Serve a SandboxApp over HTTP on loopback, so curl and the ESPs' SDKs can use it."""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from reconciler.sandbox.core import SandboxApp, SandboxRequest


def make_server(app: SandboxApp, host: str = "127.0.0.1", port: int = 0) -> ThreadingHTTPServer:
    """A threaded HTTP server bound to host:port (port 0 picks a free one)."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "espform-sandbox"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            url = urlsplit(self.path)
            request = SandboxRequest.build(
                self.command, url.path, url.query, dict(self.headers.items()), body
            )
            response = app.handle(request)
            if response.is_dropped:
                # Hang up without a status line, like a crashed upstream or a reset socket.
                self.close_connection = True
                return
            self.send_response(response.status)
            for name, value in response.headers.items():
                if name.lower() != "content-length":
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            if response.body and self.command != "HEAD":
                self.wfile.write(response.body)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _serve

        def log_message(self, format: str, *args: object) -> None:
            # Request lines go to the server's own log hook; default stderr spam is noise.
            self.server.log(format % args)  # type: ignore[attr-defined]

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        quiet = True

        def log(self, line: str) -> None:
            if not self.quiet:
                print(line, flush=True)

    return Server((host, port), Handler)
