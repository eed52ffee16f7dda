"""Formation → unit files and environment files, as text. Pure: nothing is written, nothing asked of systemd."""

from __future__ import annotations

from pathlib import Path

from procfleet.errors import FormationError
from procfleet.model import Formation, ProcessType, fingerprint, masked
from procfleet.shellcommand import exec_form
from procfleet.units import format_duration
from procfleet_systemd import escape, names
from procfleet_systemd.layout import Layout
from procfleet_systemd.options import SystemdOptions

PORT_STEP = 100  # Foreman's scheme, as the local backend's: each type gets its own block of 100 ports
OWN_VARIABLES = ("PORT", "PROCFLEET_PROCESS")  # set per instance by procfleet, never taken from an env file
# systemd runs no image and no health check: changing them restarts nothing. The env is hashed as the units get it,
# without the PORT an env file may set (the base port, which first_port holds).
UNUSED_KEYS = ("image", "build", "health", "env")
RESTART = {"always": "always", "on-failure": "on-failure", "never": "no"}


def first_port(formation: Formation, process: ProcessType, options: SystemdOptions) -> int:
    """The PORT of instance 1: base_port + 100 × the type's position in the file."""
    return options.base_port + PORT_STEP * formation.position(process.name)


def type_fingerprint(formation: Formation, process: ProcessType, options: SystemdOptions, folder: Path) -> str:
    """The definition hash of a type's units: what they run, with the options that shape them."""
    extra = {"env": sorted(environment(formation, process).items()),
             "first_port": first_port(formation, process, options), "working_directory": str(folder),
             "backoff": options.backoff, "crash_limit": options.crash_limit, "crash_window": options.crash_window}
    return fingerprint(formation, process, extra, ignore=UNUSED_KEYS)


def environment(formation: Formation, process: ProcessType | None) -> dict[str, str]:
    """What a type's environment file holds (the app's alone for one-off commands), in DESIGN §1's precedence."""
    env = {**formation.app.file_env, **formation.app.env} if process is None else formation.environment(process)
    return {name: value for name, value in env.items() if name not in OWN_VARIABLES}


def check_names(formation: Formation) -> None:
    """Refuse an env name systemd would drop (it takes letters, digits and `_` only), naming where it comes from."""
    at = formation.key_prefix
    sources: list[tuple[str, dict[str, str]]] = [(f"{at}app.env_file", dict(formation.app.file_env)),
                                                 (f"{at}app.env", dict(formation.app.env))]
    for name, process in formation.processes.items():
        sources += [(f"{at}processes.{name}.env_file", dict(process.file_env)),
                    (f"{at}processes.{name}.env", dict(process.env))]
    for key, env in sources:
        for variable in env:
            if not escape.ENV_NAME.match(variable):
                where = key if key.endswith("env_file") else f"{key}.{variable}"
                raise FormationError(formation.source, where, f"{variable}: systemd takes environment names of "
                                     "letters, digits and _ only (not starting with a digit) and would drop it")


def env_file(formation: Formation, process: ProcessType | None, secrets_masked: bool = False) -> str:
    """The environment file systemd reads for a type's instances: every value double-quoted, read back as written."""
    env = environment(formation, process)
    shown = masked(env) if secrets_masked else env
    app = formation.app.name
    whose = f"{app}'s {process.name} instances" if process else f"{app}'s one-off commands"
    lines = [f"{names.HEADER}: the environment of {whose}, from {formation.source.name}; do not edit."]
    if secrets_masked:
        lines.append("# (shown with secret-looking values masked; deploy writes them as they are)")
    lines += [escape.env_file_line(name, value) for name, value in shown.items()]
    return "\n".join(lines) + "\n"


def exec_start(formation: Formation, process: ProcessType, options: SystemdOptions) -> str:
    """`/bin/sh -c` with PORT set from the instance number (`%i`), then the command as Foreman runs it."""
    # systemd cannot add numbers, so the shell does: instance N gets first_port + N - 1, as Foreman numbers them
    preamble = f"export PORT=$$(({first_port(formation, process, options) - 1} + %i)); "
    if process.command is not None:
        return f'/bin/sh -c "{preamble}{escape.exec_word(exec_form(process.command))[1:-1]}"'
    argv = process.argv() or ()
    words = " ".join(escape.exec_word(word) for word in argv)
    return f'/bin/sh -c "{preamble}exec \\"$$@\\"" sh {words}'


def _resources(process: ProcessType) -> list[str]:
    lines = []
    if process.resources.cpu is not None:
        lines.append(f"CPUQuota={round(process.resources.cpu * 100, 2):g}%")
    if process.resources.memory is not None:
        lines.append(f"MemoryMax={process.resources.memory}")
    return lines


def template_unit(formation: Formation, process: ProcessType, options: SystemdOptions, layout: Layout,
                  folder: Path) -> str:
    """`<app>-<type>@.service`: one instance per number, each with its PORT and PROCFLEET_PROCESS."""
    app = formation.app.name
    markers = [f"{names.APP_KEY}={app}", f"{names.PROCESS_KEY}={process.name}",
               f"{names.FINGERPRINT_KEY}={type_fingerprint(formation, process, options, folder)}",
               f"{names.BASE_PORT_KEY}={options.base_port}"]
    if process.port is not None:
        markers.append(f"{names.PORT_KEY}={process.port}")
    if process.command is None and process.entrypoint is not None:
        markers.append(f"{names.ENTRYPOINT_KEY}={len(process.entrypoint)}")
    assignments = [escape.assignment("PROCFLEET_PROCESS", f"{process.name}.%i", expand=True)]
    if "PYTHONUNBUFFERED" not in formation.environment(process):
        assignments.append(escape.assignment("PYTHONUNBUFFERED", "1"))  # Python's output reaches the journal as written
    lines = [
        f"{names.HEADER} for the app {app} (process type {process.name}) from {formation.source.name}; edit the",
        "# formation and deploy instead of this file. `procfleet down` removes it.",
        "[Unit]",
        f"Description={escape.specifiers(app)} {process.name}.%i (procfleet)",
        f"PartOf={names.target(app)}",
        f"StartLimitIntervalSec={format_duration(options.crash_window)}",
        f"StartLimitBurst={options.crash_limit}",
        *markers,
        "",
        "[Service]",
        "Type=exec",
        f"WorkingDirectory={escape.path(str(folder))}",
        f"EnvironmentFile={escape.path(str(layout.env_dir / names.env_file(app, process.name)))}",
        f"Environment={' '.join(assignments)}",
        f"ExecStart={exec_start(formation, process, options)}",
        f"KillSignal={process.stop_signal}",
        f"TimeoutStopSec={format_duration(process.stop_timeout)}",
        f"Restart={RESTART[process.restart]}",
        f"RestartSec={format_duration(options.backoff)}",
        *_resources(process),
        f"SyslogIdentifier={app}-{process.name}.%i",
        "",
        "[Install]",
        f"WantedBy={names.target(app)}",
    ]
    return "\n".join(lines) + "\n"


def target_unit(formation: Formation, layout: Layout) -> str:
    """`<app>.target`: what the instances are part of, so the app starts at boot and stops as one."""
    app = formation.app.name
    lines = [
        f"{names.HEADER} for the app {app} from {formation.source.name}; `procfleet down` removes it.",
        "[Unit]",
        f"Description={app} (procfleet)",
        f"{names.APP_KEY}={app}",
        "",
        "[Install]",
        f"WantedBy={layout.wanted_by}",
    ]
    return "\n".join(lines) + "\n"
