"""A tiny three-part app for the Nomad example: a web server, a worker and a clock (standard library only)."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer


class Greeter(BaseHTTPRequestHandler):
    """Answers / with the greeting and /healthz with ok."""

    def do_GET(self) -> None:
        body = b"ok\n" if self.path == "/healthz" else f"{os.environ.get('GREETING', 'hello')}\n".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def web() -> None:
    """Serve on $PORT until SIGTERM."""
    server = HTTPServer(("0.0.0.0", int(os.environ["PORT"])), Greeter)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"{os.environ.get('PROCFLEET_PROCESS', 'web')} listening on {os.environ['PORT']}", flush=True)
    server.serve_forever()


def worker() -> None:
    """Pretend to work through a queue; SIGINT finishes the current job first."""
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    done = 0
    while not stopping:
        time.sleep(1)
        done += 1
        print(f"{os.environ.get('PROCFLEET_PROCESS', 'worker')} finished job {done}", flush=True)
    print("warm shutdown", flush=True)


def clock(every: float) -> None:
    """Tick on a schedule."""
    while True:
        print(f"tick ({every:g}s)", flush=True)
        time.sleep(every)


def main() -> None:
    """Run the part named on the command line."""
    parser = argparse.ArgumentParser()
    parser.add_argument("part", choices=("web", "worker", "clock"))
    parser.add_argument("--every", type=float, default=30.0)
    args = parser.parse_args()
    if args.part == "web":
        web()
    elif args.part == "worker":
        worker()
    else:
        clock(args.every)


if __name__ == "__main__":
    main()
