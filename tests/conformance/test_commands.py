"""An argv reaches the process exactly, with no shell, and a type may run its image's own command, everywhere
that runs images. `args` are the image's CMD, handed to its ENTRYPOINT (`python3 probe.py` in the test image,
whose CMD is `image-cmd`); `entrypoint` replaces that ENTRYPOINT."""

from __future__ import annotations

from procfleet import registry
from procfleet.backend import IMAGE_COMMAND
from tests.conformance.platforms import Platform

ARGV = """
[processes.exact]
entrypoint = ["python3", "probe.py", "from-entrypoint"]
args = ["two words", "$HOME", "${A:-b}", "*", "it's"]
stop_timeout = "1s"
"""

IMAGE_COMMANDS = """
[processes.own]
stop_timeout = "1s"

[processes.flags]
args = ["--verbose", "-I", "1M"]
stop_timeout = "1s"
"""


def test_an_argv_reaches_the_process_word_for_word(platform: Platform) -> None:
    """No shell expands $HOME, ${A:-b} or *, and a word with a space stays one word (local runs it the same)."""
    platform.write(ARGV)
    platform.deploy()
    report = platform.reports(1, "exact")["exact.1"]
    assert report["argv"] == ["from-entrypoint", "two words", "$HOME", "${A:-b}", "*", "it's"]
    platform.down()


def test_a_type_without_a_command_runs_its_images_own(platform: Platform) -> None:
    """Where the backend runs images, the image's ENTRYPOINT and CMD run, and args only replace the CMD (mysql's
    `command: --default-authentication-plugin=…`); a backend without images refuses both types before it starts
    anything, naming the key."""
    platform.write(IMAGE_COMMANDS)
    if IMAGE_COMMAND not in registry.load(platform.backend).features:
        done = platform.cli("check")
        assert done.code == 2 and "processes.own.command: missing" in done.err, done.err
        assert platform.cli("deploy").code == 2 and platform.leftovers() == []
        return
    platform.deploy()
    reports = platform.reports(2)
    own = next(report for name, report in reports.items() if name.startswith("own"))
    flags = next(report for name, report in reports.items() if name.startswith("flags"))
    assert own["argv"] == ["image-cmd"]
    assert flags["argv"] == ["--verbose", "-I", "1M"]
    platform.down()
