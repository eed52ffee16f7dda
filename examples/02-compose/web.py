"""A tiny web process: answers with who served the request, and /healthz for the health check."""

import json
import os
import signal
import socket
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    """GET / says hello and names the container; GET /healthz is the health check's target."""

    def do_GET(self) -> None:
        if self.path == "/healthz":
            body = b"ok\n"
        else:
            body = (json.dumps({"greeting": os.environ.get("GREETING", "hello"),
                                "process": os.environ.get("PROCFLEET_PROCESS", "web"),
                                "container": socket.gethostname()}) + "\n").encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json" if self.path != "/healthz" else "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        if self.path != "/healthz":  # the health check every 2s would drown the log
            sys.stdout.write(f"{self.address_string()} {format % args}\n")
            sys.stdout.flush()


def main() -> None:
    port = int(os.environ.get("PORT", "8000"))
    server = ThreadingHTTPServer(("0.0.0.0", port), Handler)
    # Compose stops a container with SIGTERM (stop_signal), then SIGKILL after stop_timeout: exit cleanly.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    print(f"listening on :{port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
