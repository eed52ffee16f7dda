"""A tiny worker: says what it is every couple of seconds until stopped."""

import os
import signal
import sys
import time

running = True


def stop(signum: int, frame: object) -> None:
    """Finish the current round, then exit cleanly (twelve-factor disposability)."""
    global running
    running = False


signal.signal(signal.SIGTERM, stop)
name = os.environ.get("PROCFLEET_PROCESS", "worker")
greeting = os.environ.get("GREETING", "hello")
while running:
    print(f"{greeting}: {name} working", flush=False)
    time.sleep(2)
print(f"{name} stopping")
sys.exit(0)
