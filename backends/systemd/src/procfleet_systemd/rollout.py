"""Writing the units and starting, stopping and restarting their instances: what deploy, scale and down do."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from procfleet.errors import PlatformError
from procfleet_systemd import names, unitfiles
from procfleet_systemd.manager import Manager
from procfleet_systemd.unitfiles import Installed

ENV_FILE_MODE = 0o600  # the app's environment holds its secrets: readable by the manager's user only


def refuse_strangers(manager: Manager, files: Iterable[Path]) -> None:
    """Refuse to write a unit that systemd already loads from a file procfleet did not write (a vendor's
    `network.target` for an app called network, a package's `shop-web@.service`): ours would shadow it."""
    new = [path for path in files if not unitfiles.is_ours(path)]
    if not new:
        return
    # systemd shows no template itself, only an instance of it, whose FragmentPath is the template's file
    asked = [path.name.replace("@.", "@1.") for path in new]
    shown = manager.show(asked, ("Id", "LoadState", "FragmentPath"))
    for path, unit in zip(new, shown, strict=False):
        fragment = unit.get("FragmentPath", "")
        if unit.get("LoadState") == "loaded" and fragment and Path(fragment).name == path.name and \
                Path(fragment) != path:
            raise PlatformError(f"the unit {path.name} already exists ({fragment}) and procfleet did not write it: "
                                "procfleet only touches its own units; give the app or the type another name")


def write_files(files: Sequence[tuple[Path, str, int]]) -> bool:
    """Write each (path, text, mode) that changed; whether any did (systemd must then reload)."""
    changed = False
    for path, text, mode in files:
        changed = unitfiles.write(path, text, mode) or changed
    return changed


def instance_units(installed: Installed, process: str, numbers: Iterable[int]) -> list[str]:
    """`shop-web@1.service`… for the numbers."""
    return [names.instance(installed.app, process, number) for number in sorted(numbers)]


def stop_above(manager: Manager, installed: Installed, process: str, count: int, running: Iterable[int]) -> None:
    """Stop and disable the instances numbered above count (enabled, or running though not enabled)."""
    enabled = set(installed.types[process].enabled) if process in installed.types else set()
    above = instance_units(installed, process, (n for n in enabled | set(running) if n > count))
    if above:
        manager.systemctl("disable", "--now", "--quiet", *above)


def start_missing(manager: Manager, installed: Installed, process: str, count: int) -> None:
    """Enable and start the instances up to count that are not enabled yet."""
    enabled = set(installed.types[process].enabled) if process in installed.types else set()
    missing = instance_units(installed, process, (n for n in range(1, count + 1) if n not in enabled))
    if missing:
        manager.systemctl("enable", "--quiet", *missing)
        # an instance that crashes at once fails its start job: that is for the wait to report, with its output
        manager.systemctl("start", *missing, check=False)


def scale_type(manager: Manager, installed: Installed, process: str, count: int, running: Iterable[int]) -> None:
    """Stop the instances above count and start the missing ones up to it; those that stay are not touched."""
    stop_above(manager, installed, process, count, running)
    start_missing(manager, installed, process, count)


def start_stopped(manager: Manager, installed: Installed, process: str, numbers: Iterable[int]) -> None:
    """Start these enabled instances, which did not run (crashed, stopped by hand), whatever stopped them."""
    units = instance_units(installed, process, numbers)
    if units:
        manager.systemctl("reset-failed", *units, check=False)  # a unit that hit its start limit refuses to start
        manager.systemctl("start", *units, check=False)


def rolling_restart(manager: Manager, installed: Installed, process: str, numbers: Iterable[int],
                    wait_running: Callable[[str], None]) -> None:
    """Restart the instances one after another, each running again before the next stops."""
    for unit in instance_units(installed, process, numbers):
        manager.systemctl("restart", unit)
        wait_running(unit)


def remove_type(manager: Manager, installed: Installed, process: str, loaded: Iterable[int]) -> None:
    """Stop and disable every instance of a type, then remove its template and environment file."""
    kind = installed.types[process]
    units = instance_units(installed, process, set(kind.enabled) | set(loaded))
    if units:
        manager.systemctl("disable", "--now", "--quiet", *units)
        manager.systemctl("reset-failed", *units, check=False)
    unitfiles.remove(kind.path)
    unitfiles.remove(installed.layout.env_dir / names.env_file(installed.app, process))


def remove_app(manager: Manager, installed: Installed) -> None:
    """After its types: the target, the one-off environment file, the folders left empty."""
    target = names.target(installed.app)
    if unitfiles.is_ours(installed.target_path):
        manager.systemctl("disable", "--now", "--quiet", target)
    unitfiles.remove(installed.target_path)
    unitfiles.remove(installed.layout.env_dir / names.env_file(installed.app, None))
    for folder in (installed.wants_dir, installed.layout.env_dir):
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
    manager.reload()
