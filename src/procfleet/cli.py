"""The command line: parses options, calls one action, prints the result. One catch site, in main()."""

# No `from __future__ import annotations` here: typer reads every command's annotations, and as strings it would
# compile and evaluate each of them again on every run (about 10 ms).
import contextlib
import math
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from procfleet import __version__, completion
from procfleet.errors import ProcfleetError
from procfleet.exitcodes import ExitCode

if TYPE_CHECKING:
    from procfleet.actions.context import Context

# Command bodies import their actions and views when they run, so `procfleet --help` stays fast.


def _examples(*lines: str) -> str:
    """A help epilog: the example command lines, kept as they are typed (\\b stops Click rewrapping them)."""
    return "\b\nExamples:\n" + "\n".join(f"  {line}" for line in lines)


app = typer.Typer(
    name="procfleet",
    help="One process formation, every platform: local processes, Compose, Swarm and Nomad.",
    epilog=_examples("procfleet deploy                   # run ./formation.toml here",
                     "procfleet scale web=3 -b compose",
                     "procfleet scale -h                 # each command's help has examples",
                     "procfleet --install-completion     # Tab completion in bash, zsh or fish"),
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

# Global options are accepted before the command and after it; values given after it win.
FileOption = Annotated[Path | None, typer.Option("-f", "--file", metavar="FILE", help="Formation file (default: "
                                                 "$PROCFLEET_FILE, else ./formation.toml, else the tool.procfleet "
                                                 "table of pyproject.toml).")]
BackendOption = Annotated[str | None, completion.offer(completion.backend_names, typer.Option(
    "-b", "--backend", metavar="BACKEND", help="Backend to use (default: the formation's app.backend, else local)."))]
JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable output (docs/json.md).")]
NoColorOption = Annotated[bool, typer.Option("--no-color", help="No colors (NO_COLOR is honoured too).")]
def _color_when(value: str | None) -> str | None:
    """--color: auto, always or never, as git and ls take it."""
    if value is not None and value not in ("auto", "always", "never"):
        raise typer.BadParameter(f"{value!r} is not one of auto, always, never")
    return value


ColorOption = Annotated[str | None, completion.offer(completion.colors, typer.Option(
    "--color", metavar="WHEN", callback=_color_when, help="Colors: auto (on a terminal), always (into a pipe too) or "
    "never.", show_default=False))]
# `--no-timestamp` (honcho's spelling) stays as another name for --no-timestamps
TimestampsOption = Annotated[bool, typer.Option("--timestamps/--no-timestamps", " /--no-timestamp",
                                                help="Start log lines with the HH:MM:SS they were written at.")]
NoPrefixOption = Annotated[bool, typer.Option("--no-prefix", help="Log lines as the processes wrote them, without "
                                              "the time and instance name.")]
QuietOption = Annotated[bool, typer.Option("-q", "--quiet", help="Only errors and results.")]
StrictOption = Annotated[bool, typer.Option("--strict", help="Keys the backend cannot honour are errors.")]


def _context(ctx: typer.Context, **given: Any) -> "Context":
    """Merge the options given after the command over those given before it."""
    from procfleet.actions.context import Context
    from procfleet.console import Output, color_wanted

    before: dict[str, Any] = ctx.obj or {}
    merged = {key: given.get(key) or before.get(key) for key in ("file", "backend", "json", "no_color", "quiet",
                                                                  "strict", "color")}
    environ = dict(os.environ)
    output = Output(json=bool(merged["json"]), quiet=bool(merged["quiet"]), verbose=bool(before.get("verbose")),
                    color=color_wanted(bool(merged["no_color"]), environ, sys.stdout, merged["color"] or "auto"))
    file = merged["file"]
    return Context(file=file, backend=merged["backend"], output=output, environ=environ, cwd=Path.cwd(),
                   strict=bool(merged["strict"]), timestamps=not (given.get("no_timestamp") or given.get(
                       "no_prefix")), prefixes=not given.get("no_prefix"))


def _version(value: bool) -> None:
    if value:
        typer.echo(f"procfleet {__version__}")
        raise typer.Exit()


@app.callback()
def _global(ctx: typer.Context, file: FileOption = None, backend: BackendOption = None, json: JsonOption = False,
            no_color: NoColorOption = False, quiet: QuietOption = False, strict: StrictOption = False,
            color: ColorOption = None,
            verbose: Annotated[bool, typer.Option("-v", "--verbose", help="Also the platform's own event lines "
                                                  "(Compose's \"Container … Started\", docker stack deploy's).")]
            = False,
            version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                                  help="Print the version.")] = False) -> None:
    """One process formation, every platform: local processes, Compose, Swarm and Nomad."""
    ctx.obj = {"file": file, "backend": backend, "json": json, "no_color": no_color, "quiet": quiet,
               "strict": strict, "color": color, "verbose": verbose}


@app.command(epilog=_examples("procfleet check", "procfleet check -f prod.toml --json"))
def check(ctx: typer.Context, file: FileOption = None, backend: BackendOption = None, json: JsonOption = False,
          no_color: NoColorOption = False, quiet: QuietOption = False, strict: StrictOption = False) -> None:
    """Validate the formation and summarise its types, counts and ports."""
    from procfleet import views
    from procfleet.actions.inspect import check as check_action

    context = _context(ctx, file=file, backend=backend, json=json, no_color=no_color, quiet=quiet, strict=strict)
    views.show_check(context.output, check_action(context))


@app.command(epilog=_examples("procfleet render -b compose", "procfleet render --format procfile > Procfile",
                              "procfleet render -b nomad -o deploy/"))
def render(ctx: typer.Context,
           fmt: Annotated[str | None, typer.Option("--format", metavar="FORMAT", help="Artefact format (see "
                                                   "`procfleet backends`).")] = None,
           output_dir: Annotated[Path | None, typer.Option("-o", "--output", metavar="DIR", help="Write the files "
                                                            "into this folder instead of printing them.")] = None,
           file: FileOption = None, backend: BackendOption = None, json: JsonOption = False,
           no_color: NoColorOption = False, quiet: QuietOption = False, strict: StrictOption = False) -> None:
    """Print what the backend would run (compose.yaml, a Nomad job, a Procfile…) without touching anything."""
    from procfleet import views
    from procfleet.actions.inspect import render as render_action
    from procfleet.actions.rendering import write_rendered

    context = _context(ctx, file=file, backend=backend, json=json, no_color=no_color, quiet=quiet, strict=strict)
    rendered = render_action(context, fmt)
    if output_dir is not None:
        for path in write_rendered(output_dir, rendered.files):
            context.output.info(f"wrote {path}")
        return
    views.show_rendered(context.output, rendered)


@app.command("backends", epilog=_examples("procfleet backends", "procfleet backends --json"))
def backends_command(ctx: typer.Context, json: JsonOption = False, no_color: NoColorOption = False) -> None:
    """List the installed backends and the formation features each honours."""
    from procfleet import views
    from procfleet.actions.inspect import list_backends

    context = _context(ctx, json=json, no_color=no_color)
    views.show_backends(context.output, list_backends())


@app.command("import", epilog=_examples("procfleet import Procfile", "procfleet import compose.yaml --app shop",
                                            "procfleet import --from-backend compose --app shop"))
def import_command(ctx: typer.Context,
                   source: Annotated[Path | None, typer.Argument(metavar="[SOURCE]", help="A Procfile, "
                                                                 "compose.yaml, app.json or Nomad job (JSON).",
                                                                 show_default=False)] = None,
                   from_backend: Annotated[str | None, completion.offer(completion.backend_names, typer.Option(
                       "--from-backend", metavar="BACKEND", help="Adopt what this backend runs as --app instead, at "
                       "its live counts; changes nothing there.", show_default=False))] = None,
                   fmt: Annotated[str | None, completion.offer(completion.import_formats, typer.Option(
                       "--format", metavar="FORMAT", help="procfile, compose, app.json or nomad (default: "
                       "detected)."))] = None,
                   app_name: Annotated[str | None, typer.Option("--app", metavar="NAME", help="App name (default: "
                                                                "from the source, "
                                                                "else the folder's name); with --from-backend, the "
                                                                "Compose project, Swarm stack or Nomad job to "
                                                                "read.")] = None,
                   force: Annotated[bool, typer.Option("--force", help="Overwrite an existing formation "
                                                       "file.")] = False,
                   file: FileOption = None, json: JsonOption = False, no_color: NoColorOption = False,
                   quiet: QuietOption = False) -> None:
    """Write a formation file (-f, default ./formation.toml) from what the app already has, reporting what was left."""
    from procfleet import views
    from procfleet.actions.importing import adopt, import_file
    from procfleet.errors import UsageError

    context = _context(ctx, file=file, json=json, no_color=no_color, quiet=quiet)
    target = context.file or context.cwd / "formation.toml"
    if from_backend is None:
        if source is None:
            raise UsageError("import needs a SOURCE file, or --from-backend NAME --app APP to adopt what runs")
        views.show_imported(context.output, import_file(source, target, fmt=fmt, app=app_name, force=force,
                                                        environ=context.environ))
        return
    if source is not None or fmt is not None:
        raise UsageError("--from-backend reads what the backend runs: give no SOURCE file and no --format")
    if not app_name:
        raise UsageError(f"--from-backend {from_backend} needs --app NAME: the app to adopt")
    views.show_imported(context.output, adopt(from_backend, app_name, target, context.session(), force=force))


KeepCountsOption = Annotated[bool, typer.Option("--keep-counts", help="Keep every live count (like Nomad's "
                                                 "PreserveCounts).")]
WaitOption = Annotated[bool, typer.Option("--wait/--no-wait", help="Wait until the platform runs the new counts "
                                          "(and they are healthy where a check exists).")]
def _finite_seconds(value: float) -> float:
    """--timeout: a number of seconds, 0 or more; inf and nan are not (a wait that never ends is Ctrl-C's job)."""
    if not math.isfinite(value) or value < 0:  # checked here, not with min=0, which shows Click's "x>=0" in --help
        raise typer.BadParameter(f"{value} is not a number of seconds (0 or more)")
    return value


TimeoutOption = Annotated[float, typer.Option("--timeout", metavar="SECONDS", callback=_finite_seconds,
                                              help="Seconds to wait before giving up.")]


def _wait_options(context: "Context", wait: bool, timeout: float) -> Any:
    from procfleet.backend import WaitOptions

    return WaitOptions(wait=wait, timeout=timeout, progress=_progress(context, timeout))


def _progress(context: "Context", timeout: float | None) -> Any:
    """The progress view, unless the output is JSON or quiet."""
    from procfleet.progress import ProgressView

    return None if context.output.json or context.output.quiet else ProgressView(context.output, timeout)


@app.command(epilog=_examples("procfleet plan", "procfleet plan -b compose --exit-code   # 3: deploy would "
                              "change something"))
def plan(ctx: typer.Context, keep_counts: KeepCountsOption = False,
         exit_code: Annotated[bool, typer.Option("--exit-code", help="Exit 3 when changes are pending.")] = False,
         file: FileOption = None, backend: BackendOption = None, json: JsonOption = False,
         no_color: NoColorOption = False, quiet: QuietOption = False, strict: StrictOption = False) -> None:
    """Show what deploy would change: types added, removed or changed, and counts with their reason."""
    from procfleet import views
    from procfleet.actions import operate
    from procfleet.jsonshape import plan_json

    context = _context(ctx, file=file, backend=backend, json=json, no_color=no_color, quiet=quiet, strict=strict)
    result = operate.plan(context, keep_counts)
    if context.output.json:
        context.output.data(plan_json(result))
    else:
        views.show_plan(context.output, result)
    if exit_code and result.pending:
        raise typer.Exit(int(ExitCode.CHANGES_PENDING))


@app.command(epilog=_examples("procfleet deploy                  # local: a supervisor in the foreground",
                              "procfleet deploy web worker       # only these types",
                              "procfleet deploy -b compose --timeout 120"))
def deploy(ctx: typer.Context,
           types: Annotated[list[str] | None, completion.offer(completion.process_types, typer.Argument(
               metavar="[TYPE]...", help="Start only these types (the others keep what runs).",
               show_default=False))] = None,
           keep_counts: KeepCountsOption = False, wait: WaitOption = True,
           timeout: TimeoutOption = 300, file: FileOption = None, backend: BackendOption = None,
           json: JsonOption = False, no_color: NoColorOption = False, quiet: QuietOption = False,
           strict: StrictOption = False, color: ColorOption = None, timestamps: TimestampsOption = True,
           no_prefix: NoPrefixOption = False,
           force: Annotated[bool, typer.Option("--force", help="Apply even when the plan changes nothing and "
                                               "everything runs: puts back what was changed on the platform "
                                               "outside procfleet.")] = False,
           exit_with: Annotated[list[str] | None, completion.offer(completion.process_type, typer.Option(
               "--exit-with", metavar="TYPE", help="Local: end when an instance of TYPE ends, with its status "
               "(repeatable).", show_default=False))] = None,
           abort_on_exit: Annotated[bool, typer.Option(
               "--abort-on-exit", help="Local: end when any instance ends, with its status.")] = False) -> None:
    """Run the formation: show the plan, apply it, wait for it (local: a supervisor in the foreground)."""
    from dataclasses import replace

    from procfleet import views
    from procfleet.actions import operate
    from procfleet.jsonshape import plan_json, status_json

    context = _context(ctx, file=file, backend=backend, json=json, no_color=no_color, quiet=quiet, strict=strict,
                       color=color, no_timestamp=not timestamps, no_prefix=no_prefix)
    context = replace(context, exit_with=tuple(exit_with or ()), abort_on_exit=abort_on_exit)
    output = context.output
    show = None if output.json or output.quiet else (lambda p: views.show_plan(_stderr(output), p, applying=True))
    result = operate.deploy(context, keep_counts, _wait_options(context, wait, timeout), show, only=types or (),
                            force=force)
    outcome = result.outcome
    if output.json:
        output.data({"plan": plan_json(result.plan),
                     "status": status_json(outcome.status) if outcome.status else None,
                     "message": outcome.message or None})
    elif outcome.status is not None:
        views.show_status(output, outcome.status)
        views.show_closing(output, outcome.status)
    if outcome.message and not output.json:
        output.info(outcome.message)
    if outcome.exit_code:
        raise typer.Exit(int(outcome.exit_code))


def _stderr(output: Any) -> Any:
    """The same output with its tables sent to stderr, so stdout keeps only results."""
    from dataclasses import replace

    return replace(output, out=output.err)


@app.command(epilog=_examples("procfleet scale web=3 worker+2", "procfleet scale worker=0 --wait --save",
                              "procfleet scale                   # print the live counts"))
def scale(ctx: typer.Context,
          specs: Annotated[list[str] | None, completion.offer(completion.scale_specs, typer.Argument(
              metavar="[TYPE=N|TYPE+N|TYPE-N]...", help="e.g. web=3 worker+2 (or web=3,worker=2); none: print the "
              "live counts, as `heroku ps:scale` does.", show_default=False))] = None,
          wait: Annotated[bool, typer.Option("--wait", help="Wait until the new counts run (and are healthy "
                                             "where a check exists).")] = False,
          timeout: TimeoutOption = 300,
          save: Annotated[bool, typer.Option("--save", help="Also write the new counts into the formation "
                                             "file, keeping its comments and layout.")] = False,
          file: FileOption = None, backend: BackendOption = None, json: JsonOption = False,
          no_color: NoColorOption = False, quiet: QuietOption = False) -> None:
    """Change how many instances of each type run, through the platform's own replica mechanism."""
    from procfleet import views
    from procfleet.actions import operate
    from procfleet.jsonshape import status_json

    context = _context(ctx, file=file, backend=backend, json=json, no_color=no_color, quiet=quiet)
    if not specs:
        counts, hint = operate.counts(context)
        if context.output.json:
            context.output.data({"counts": counts})
        else:
            context.output.text(" ".join(f"{name}={count}" for name, count in counts.items()) + "\n")
            if hint:
                context.output.info(hint)
        return
    result = operate.scale(context, specs, _wait_options(context, wait, timeout), save)
    if context.output.json:
        context.output.data({"targets": result.targets, "status": status_json(result.status),
                             "notes": result.notes})
        return
    context.output.info("scaled " + " ".join(f"{name}={count}" for name, count in result.targets.items()))
    for note in result.notes:
        context.output.info(note)
    views.show_status(context.output, result.status)
    views.show_closing(context.output, result.status)


@app.command(epilog=_examples("procfleet ps", "procfleet ps web --json"))
def ps(ctx: typer.Context,
       types: Annotated[list[str] | None, completion.offer(completion.process_types, typer.Argument(
           metavar="[TYPE]...", help="Only these types.", show_default=False))] = None,
       wide: Annotated[bool, typer.Option("--wide", help="Every column whole, with the platform's own names, ids "
                                          "and details.")] = False,
       file: FileOption = None, backend: BackendOption = None, json: JsonOption = False,
       no_color: NoColorOption = False, quiet: QuietOption = False) -> None:
    """Show per type desired/running/healthy counts and every instance."""
    from procfleet import views
    from procfleet.actions import operate

    context = _context(ctx, file=file, backend=backend, json=json, no_color=no_color, quiet=quiet)
    shown = operate.ps(context, types or ())
    views.show_status(context.output, shown.status, wide=wide)
    if shown.hint and not context.output.json:
        context.output.info(shown.hint)


@app.command(epilog=_examples("procfleet restart web", "procfleet restart -b swarm --timeout 600"))
def restart(ctx: typer.Context,
            types: Annotated[list[str] | None, completion.offer(completion.process_types, typer.Argument(
                metavar="[TYPE]...", help="The types to restart (default: every type).", show_default=False))] = None,
            wait: WaitOption = True, timeout: TimeoutOption = 300, file: FileOption = None,
            backend: BackendOption = None, json: JsonOption = False, no_color: NoColorOption = False,
            quiet: QuietOption = False) -> None:
    """Restart a type's instances: local one at a time, each up before the next (compose, swarm: their own way)."""
    from procfleet import views
    from procfleet.actions import operate

    context = _context(ctx, file=file, backend=backend, json=json, no_color=no_color, quiet=quiet)
    status = operate.restart(context, types or [], _wait_options(context, wait, timeout))
    views.show_status(context.output, status)
    views.show_closing(context.output, status)


def _pointer(word: str, command: str, what: str) -> None:
    """A hidden command for a word users bring from other tools, pointing at procfleet's own."""
    def point(ctx: typer.Context) -> None:
        from procfleet.errors import UsageError

        raise UsageError(f"procfleet has no `{word}`: `procfleet {command}` {what}")

    point.__doc__ = f"See `procfleet {command}`."
    app.command(word, hidden=True, context_settings={"ignore_unknown_options": True, "allow_extra_args": True})(point)


for _word, _command, _what in (("up", "deploy", "starts the app (as `docker compose up`)"),
                               ("start", "deploy", "starts the app (as `foreman start`)"),
                               ("status", "ps", "shows what runs"), ("stop", "down", "stops the app")):
    _pointer(_word, _command, _what)


@app.command(epilog=_examples("procfleet logs -f", "procfleet logs worker --tail 20",
                              "procfleet logs web --since 10m --no-timestamps"))
def logs(ctx: typer.Context,
         types: Annotated[list[str] | None, completion.offer(completion.process_types, typer.Argument(
             metavar="[TYPE]...", help="Only these types.", show_default=False))] = None,
         follow: Annotated[bool, typer.Option("-f", "--follow", help="Keep printing new lines.")] = False,
         tail: Annotated[int | None, typer.Option("--tail", min=0, metavar="N", help="Only the last N lines of each "
                                                  "instance.")] = None,
         file: Annotated[Path | None, typer.Option("--file", metavar="FILE", help="Formation file.")] = None,
         since: Annotated[str | None, typer.Option("--since", metavar="WHEN", help="Only lines written since then: "
                                                   "a duration back from now (10m, 1h30m), a time "
                                                   "(2024-05-01T13:00:00Z, 2024-05-01) or Unix seconds, as docker "
                                                   "takes it.", show_default=False)] = None,
         backend: BackendOption = None, no_color: NoColorOption = False, color: ColorOption = None,
         timestamps: TimestampsOption = True, no_prefix: NoPrefixOption = False) -> None:
    """Print the app's logs as `HH:MM:SS web.1 | line` on every backend (-f to follow)."""
    from procfleet.actions import operate

    context = _context(ctx, file=file, backend=backend, no_color=no_color, color=color, no_timestamp=not timestamps,
                       no_prefix=no_prefix)
    operate.logs(context, types or [], follow, tail, since)


@app.command("run", context_settings={"allow_interspersed_args": False},
             epilog=_examples("procfleet run -- python manage.py migrate",
                              "procfleet run --type web -- sh -c 'echo $PORT'"))
def run_command(ctx: typer.Context,
        # optional to Click, so that usage reads `[--] COMMAND [ARG]...`, not typer's `{argv}...`; required below
        argv: Annotated[list[str] | None, typer.Argument(metavar="[--] COMMAND [ARG]...", help="The command to run.",
                                                         show_default=False)] = None,
        process: Annotated[str | None, completion.offer(completion.process_type, typer.Option(
            "--type", metavar="TYPE", help="Use this process type's env and image."))] = None,
        file: FileOption = None, backend: BackendOption = None, no_color: NoColorOption = False) -> None:
    """Run a one-off command with the app's environment (like `heroku run`); its exit status is passed on."""
    from procfleet.actions import operate
    from procfleet.errors import UsageError

    if not argv:
        raise UsageError("run needs the command to run: procfleet run [--type TYPE] -- COMMAND [ARG]...")
    context = _context(ctx, file=file, backend=backend, no_color=no_color)
    raise typer.Exit(operate.run(context, argv, process))


@app.command(epilog=_examples("procfleet down", "procfleet down -b nomad --purge"))
def down(ctx: typer.Context,
         purge: Annotated[bool, typer.Option("--purge", help="Also purge the platform's history (Nomad).")]
         = False,
         file: FileOption = None, backend: BackendOption = None, json: JsonOption = False,
         no_color: NoColorOption = False, quiet: QuietOption = False) -> None:
    """Stop and remove everything procfleet created for the app, and nothing else."""
    from procfleet.actions import operate

    context = _context(ctx, file=file, backend=backend, json=json, no_color=no_color, quiet=quiet)
    app_name, name = operate.down(context, purge, _progress(context, None))
    if context.output.json:
        context.output.data({"down": True, "backend": name})
    else:  # true whether it stopped something or found nothing to stop
        context.output.info(f"{app_name} is down on {name}")


@app.command(epilog=_examples("procfleet migrate --from local --to compose",
                              "procfleet migrate --from compose --to nomad --drain --set-default"))
def migrate(ctx: typer.Context,
            source: Annotated[str, completion.offer(completion.backend_names, typer.Option(
                "--from", metavar="BACKEND", help="The backend the app runs on now.", show_default=False))],
            target: Annotated[str, completion.offer(completion.backend_names, typer.Option(
                "--to", metavar="BACKEND", help="The backend to move it to.", show_default=False))],
            drain: Annotated[bool, typer.Option("--drain", help="Scale the source to zero once the target is "
                                                "healthy.")] = False,
            timeout: TimeoutOption = 300,
            set_default: Annotated[bool, typer.Option("--set-default", help="Once it runs there, make the target "
                                                      "the formation's app.backend (comments kept).")] = False,
            file: FileOption = None, json: JsonOption = False, no_color: NoColorOption = False,
            quiet: QuietOption = False) -> None:
    """Deploy on another backend with the live counts of this one; with --drain, then scale this one to zero."""
    from procfleet.actions.context import load_formation
    from procfleet.actions.migrating import migrate as migrate_action
    from procfleet.errors import PlatformError

    context = _context(ctx, file=file, json=json, no_color=no_color, quiet=quiet)
    result = migrate_action(context, source, target, drain, _wait_options(context, True, timeout),
                            report=context.output.info if not context.output.json else (lambda _: None),
                            drain_wait=_wait_options(context, True, timeout))
    if context.output.json:
        context.output.data(result.as_json())
    if result.error is not None:
        raise PlatformError(result.error)
    formation = load_formation(context)
    if set_default:
        from procfleet.writer import save_backend

        save_backend(formation.source, formation.key_prefix, target)
        if not context.output.json:
            context.output.info(f"{formation.source}: app.backend = \"{target}\": commands without -b act on "
                                f"{target}")
    elif formation.app.backend != target and not context.output.json:
        # commands without -b would go on acting on the platform the app just left
        context.output.info(f"commands without -b still act on {formation.app.backend} ({formation.source}: "
                            f"app.backend): pass -b {target}, or run migrate with --set-default")


def _whole_summaries() -> None:
    """Each command's summary in `procfleet --help` is its docstring's first line, whole: Click would cut it at
    45 characters with "..."; the help formatter wraps it to the terminal instead."""
    for info in app.registered_commands:
        if info.short_help is None and info.callback is not None and info.callback.__doc__:
            info.short_help = info.callback.__doc__.strip().splitlines()[0]


_whole_summaries()


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; the one place where errors become messages and exit statuses."""
    if os.environ.get("_PROCFLEET_COMPLETE"):  # a shell asks what Tab offers (docs/cli.md#shell-completion)
        completion.prepare(os.environ)
    try:
        # Without standalone mode click returns typer.Exit's code instead of exiting.
        result = app(args=argv, standalone_mode=False)
    except ProcfleetError as exc:
        _error_output(argv).error(str(exc))
        return int(exc.exit_code)
    except typer.Exit as exc:
        return int(exc.exit_code)
    except typer.TyperException as exc:  # click's usage errors, as typer raises them
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            _error_output(argv).error(exc.format_message())
        return int(ExitCode.USAGE)
    except typer.Abort:
        return int(ExitCode.INTERRUPTED)
    except KeyboardInterrupt:
        _error_output(argv).error("interrupted")
        return int(ExitCode.INTERRUPTED)
    except BrokenPipeError:  # `procfleet ps | head -1`: the reader left, nothing more to say
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit's flush
        return int(ExitCode.PLATFORM)
    except OSError as exc:  # the last net under a file or device that failed where nothing expected it
        where = f"{exc.filename}: " if exc.filename else ""
        _error_output(argv).error(f"{where}{exc.strerror or exc}")
        return int(ExitCode.PLATFORM)
    return result if isinstance(result, int) else int(ExitCode.OK)


def _error_output(argv: list[str] | None) -> Any:
    from procfleet.console import Output, color_wanted

    no_color = "--no-color" in (sys.argv if argv is None else argv)
    return Output(color=color_wanted(no_color, os.environ, sys.stderr))


def entry() -> None:
    """Console-script entry point."""
    sys.exit(main())
