"""`logs` from the journal: each instance's own lines, with the time journald received each, as procfleet.loglines
prints them on every backend."""

from __future__ import annotations

import json
import math
import subprocess
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from procfleet.errors import PlatformError
from procfleet.loglines import LogLine
from procfleet_systemd.layout import Layout

NO_JOURNALCTL = "journalctl is not installed: the systemd backend reads logs from the journal"
Units = Mapping[str, tuple[str, str]]  # unit → (instance name, type): web.1, web


@dataclass(frozen=True)
class Entry:
    """One line an instance wrote, and where the journal keeps it (to follow on from it)."""

    line: LogLine
    cursor: str


def entry_from(record: Mapping[str, Any], units: Units, field: str) -> Entry | None:
    """The Entry of a journal record written by one of the units; None for others, such as systemd's own
    "Started …" messages about the unit."""
    owner = units.get(str(record.get(field, "")))
    if owner is None:
        return None
    message = record.get("MESSAGE", "")
    if isinstance(message, list):  # the journal's JSON gives a message that is not UTF-8 as its bytes
        message = bytes(message).decode("utf-8", errors="replace")
    at = int(record.get("__REALTIME_TIMESTAMP", 0)) / 1e6  # when journald received it: as the process wrote it
    return Entry(LogLine(owner[0], owner[1], str(message).rstrip("\n"), at), str(record.get("__CURSOR", "")))


def since_argument(since: float) -> str:
    """journalctl's `--since` for a moment (`@` and Unix seconds, systemd.time(7)), on the whole second before it:
    the lines of that second before the moment are left out by their own times."""
    return f"--since=@{math.floor(since)}"


class Journal:
    """The journal of one systemd instance, read with journalctl's JSON output."""

    def __init__(self, layout: Layout, environ: Mapping[str, str]) -> None:
        self.layout = layout
        self.environ = dict(environ)
        # the process's own lines carry the unit it runs in; in a user's manager that is the user unit
        self.field = "_SYSTEMD_USER_UNIT" if layout.scope == "user" else "_SYSTEMD_UNIT"

    def _argv(self, units: Iterable[str], *args: str) -> list[str]:
        matches = [f"--unit={unit}" for unit in units]
        return self.layout.journalctl("--output=json", "--quiet", *args, *matches)

    def read(self, units: Units, tail: int | None, since: float | None = None) -> list[Entry]:
        """The units' lines so far, oldest first: those written since `since`, and with tail, the last `tail` of
        each instance of those (as `docker logs --since --tail`)."""
        if tail is None:
            window = [] if since is None else [since_argument(since)]
            return self._kept(self._lines(self._argv(units, "--lines=all", *window), units), since)
        # not with --since: journalctl would show the first `tail` lines from then on; the last `tail` lines of all,
        # less those before then, are the last `tail` of those since
        entries: list[Entry] = []
        for unit in units:
            if tail > 0:
                entries += self._kept(self._lines(self._argv([unit], f"--lines={tail}"), units), since)
        return sorted(entries, key=lambda entry: entry.line.at)

    def follow(self, units: Units, after: str | None, since: float | None = None) -> Iterator[Entry]:
        """The units' new lines as they are written (after the cursor, else from now), until interrupted."""
        start = [f"--after-cursor={after}"] if after else ["--lines=0"]
        argv = self._argv(units, "--follow", *start)
        try:
            child = subprocess.Popen(argv, stdout=subprocess.PIPE, env=self.environ, text=True, errors="replace")
        except FileNotFoundError:
            raise PlatformError(NO_JOURNALCTL) from None
        assert child.stdout is not None
        try:
            for text in child.stdout:
                entry = self._parse(text, units)
                if entry is not None and (since is None or entry.line.at >= since):
                    yield entry
        finally:
            child.terminate()
            child.wait()

    @staticmethod
    def _kept(entries: Iterable[Entry], since: float | None) -> list[Entry]:
        return [entry for entry in entries if since is None or entry.line.at >= since]

    def _lines(self, argv: list[str], units: Units) -> Iterator[Entry]:
        try:
            done = subprocess.run(argv, capture_output=True, text=True, env=self.environ, check=False,
                                  errors="replace", timeout=120)
        except FileNotFoundError:
            raise PlatformError(NO_JOURNALCTL) from None
        if done.returncode != 0:
            raise PlatformError(f"journalctl: {(done.stderr.strip() or 'failed').splitlines()[-1]}")
        for text in done.stdout.splitlines():
            entry = self._parse(text, units)
            if entry is not None:
                yield entry

    def _parse(self, text: str, units: Units) -> Entry | None:
        try:
            record = json.loads(text)
        except json.JSONDecodeError:
            return None
        return entry_from(record, units, self.field) if isinstance(record, dict) else None
