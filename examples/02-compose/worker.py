"""A tiny worker: does a round of work every few seconds until Compose stops it."""

import argparse
import os
import signal
import socket
import time

running = True


def stop(signum: int, frame: object) -> None:
    """Finish the current round, then exit (twelve-factor disposability)."""
    global running
    running = False


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--every", type=float, default=2.0, help="seconds between rounds")
    every = parser.parse_args().every
    signal.signal(signal.SIGTERM, stop)
    name = f"{os.environ.get('PROCFLEET_PROCESS', 'worker')}@{socket.gethostname()}"
    print(f"{name} starting: a round every {every:g}s", flush=True)
    rounds = 0
    while running:
        rounds += 1
        print(f"{os.environ.get('GREETING', 'hello')}: {name} round {rounds} (LOG_LEVEL={os.environ.get('LOG_LEVEL')})",
              flush=True)
        time.sleep(every)
    print(f"{name} stopping after {rounds} rounds", flush=True)


if __name__ == "__main__":
    main()
