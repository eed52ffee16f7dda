"""Where `--since` starts reading a task's log on Nomad, from the only times Nomad keeps: each file's ModTime."""

from __future__ import annotations

from typing import Any

from procfleet.lognames import rfc3339
from procfleet_nomad.logs import since_offset

Json = dict[str, Any]


def listing(*files: tuple[str, int, str]) -> list[Json]:
    """GET /v1/client/fs/ls/:alloc?path=alloc/logs as Nomad answers it (client/allocdir AllocFileInfo)."""
    return [{"Name": name, "IsDir": False, "Size": size, "FileMode": "-rw-r--r--", "ModTime": modified}
            for name, size, modified in files]


# A web task whose stdout rotated twice; the fifo logmon reads from sits beside the files.
FILES = [*listing(("web.stdout.0", 1000, "2026-12-03T10:00:00.5+01:00"), ("web.stdout.1", 400, "2026-12-03T09:20:00Z"),
                  ("web.stdout.2", 30, "2026-12-03T09:30:00.123456789Z"), ("web.stderr.0", 0, "2026-12-03T08:00:00Z"),
                  ("worker.stdout.0", 5, "2026-12-03T09:40:00Z")),
         {"Name": ".web.stdout.fifo", "IsDir": False, "Size": 0, "FileMode": "prw-------",
          "ModTime": "2026-12-03T09:50:00Z"}]


def moment(text: str) -> float:
    found = rfc3339(text)
    assert found is not None
    return found


def test_reading_starts_at_the_first_file_written_to_since_then() -> None:
    assert since_offset(FILES, "web", "stdout", moment("2026-12-03T08:00:00Z")) == 0  # all three
    assert since_offset(FILES, "web", "stdout", moment("2026-12-03T09:10:00Z")) == 1000  # .1 and .2, in index order
    assert since_offset(FILES, "web", "stdout", moment("2026-12-03T09:25:00Z")) == 1400  # .2 only, whole
    assert since_offset(FILES, "web", "stdout", moment("2026-12-03T09:30:00.123456Z")) == 1400  # written then


def test_a_stream_not_written_to_since_then_has_nothing() -> None:
    assert since_offset(FILES, "web", "stdout", moment("2026-12-03T09:30:01Z")) is None
    assert since_offset(FILES, "web", "stderr", moment("2026-12-03T08:00:01Z")) is None
    assert since_offset(FILES, "clock", "stdout", moment("2026-12-03T08:00:00Z")) is None  # no file: not started


def test_a_time_that_cannot_be_read_keeps_the_file() -> None:
    files = listing(("web.stdout.0", 10, "2026-12-03T08:00:00Z"), ("web.stdout.1", 3, "yesterday"))
    assert since_offset(files, "web", "stdout", moment("2026-12-03T09:00:00Z")) == 10
