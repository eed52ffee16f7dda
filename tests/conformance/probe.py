"""The conformance probe: run as any process type on any backend, it reports what it sees.

Standard library only, so the same file runs as a local command and inside the test image. It prints one line
`PROBE {json}` at start (argv after the shell's expansion, the whole environment, whether it could bind $PORT),
serves HTTP 200 on $PORT when there is one (so health checks pass), and on a stop signal prints
`PROBE-SIGNAL <name>` then `PROBE-ALIVE <seconds since the signal>` every 0.1 s until it is killed, unless
PROBE_EXIT_ON_SIGNAL is set; with PROBE_CLEANUP=<seconds> it stops after that long, printing `PROBE-CLEANED`
and exiting 0, as a program that cleans up before it exits (unless it is killed first). PROBE_EXIT=<code> makes
it exit with that code after PROBE_EXIT_AFTER seconds;
PROBE_BIND_AFTER=<seconds> delays binding $PORT (and the `PROBE-BOUND <port>` line), to test health gating;
PROBE_TICK=<seconds> prints `PROBE-TICK <n>` that often, a process that keeps writing.
"""

from __future__ import annotations

import http.server
import json
import os
import signal
import sys
import threading
import time
from types import FrameType

CATCHABLE = ("SIGTERM", "SIGINT", "SIGQUIT", "SIGHUP", "SIGUSR1", "SIGUSR2")


class Ok(http.server.BaseHTTPRequestHandler):
    """Answers every GET with 200 and the instance's name."""

    def do_GET(self) -> None:
        body = os.environ.get("PROCFLEET_PROCESS", "?").encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Keep the probe's output to its own lines."""


def serve(report: dict[str, object]) -> None:
    """Bind $PORT on every address and answer on it in the background."""
    port = os.environ.get("PORT")
    if not port:
        return
    time.sleep(float(os.environ.get("PROBE_BIND_AFTER", "0")))
    try:
        server = http.server.ThreadingHTTPServer(("0.0.0.0", int(port)), Ok)
    except OSError as error:
        report["bound"] = str(error)
        return
    report["bound"] = True
    print(f"PROBE-BOUND {port}", flush=True)  # before it answers: a passing check comes after this line
    threading.Thread(target=server.serve_forever, daemon=True).start()


def on_signal(number: int, frame: FrameType | None) -> None:
    """Say which signal came, then how long the process has been left alive after it, until its cleanup is done."""
    print(f"PROBE-SIGNAL {signal.Signals(number).name}", flush=True)
    if os.environ.get("PROBE_EXIT_ON_SIGNAL"):
        sys.exit(0)
    cleanup = float(os.environ.get("PROBE_CLEANUP", "inf"))
    start = time.monotonic()
    while time.monotonic() - start < cleanup:
        print(f"PROBE-ALIVE {time.monotonic() - start:.1f}", flush=True)
        time.sleep(0.1)
    print("PROBE-CLEANED", flush=True)
    sys.exit(0)


def main() -> None:
    """Report, serve, then wait for a signal or the configured exit."""
    report: dict[str, object] = {"argv": sys.argv[1:], "env": dict(os.environ), "bound": None, "pid": os.getpid()}
    serve(report)
    for name in CATCHABLE:
        signal.signal(getattr(signal, name), on_signal)
    print("PROBE " + json.dumps(report, sort_keys=True), flush=True)
    if "PROBE_EXIT" in os.environ:
        time.sleep(float(os.environ.get("PROBE_EXIT_AFTER", "0.5")))
        print(f"PROBE-EXIT {os.environ['PROBE_EXIT']}", flush=True)
        sys.exit(int(os.environ["PROBE_EXIT"]))
    tick = float(os.environ.get("PROBE_TICK", "0"))
    ticks = 0
    while True:
        time.sleep(tick or 1)
        if tick:
            ticks += 1
            print(f"PROBE-TICK {ticks}", flush=True)


if __name__ == "__main__":
    main()
