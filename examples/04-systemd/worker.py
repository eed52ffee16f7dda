"""A worker that says who it is every two seconds and stops cleanly on SIGINT (its stop_signal)."""

import os
import signal
import sys
import time

signal.signal(signal.SIGINT, lambda number, frame: sys.exit(0))
name = os.environ.get("PROCFLEET_PROCESS", "worker")
while True:
    print(f"{os.environ.get('GREETING', 'hello')}: {name} working", flush=True)
    time.sleep(2)
