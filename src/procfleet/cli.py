"""The command line: parses options, calls one action, prints the result. One catch site, in main()."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from procfleet import __version__
from procfleet.errors import ProcfleetError
from procfleet.exitcodes import ExitCode

if TYPE_CHECKING:
    from procfleet.actions.context import Context

# Command bodies import their actions and views when they run, so `procfleet --help` stays fast.

app = typer.Typer(
    name="procfleet",
    help="One process formation, every platform: local processes, Compose, Swarm and Nomad.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

# Global options are accepted before the command and after it; values given after it win.
FileOption = Annotated[Path | None, typer.Option("-f", "--file", help="Formation file (default: ./formation.toml, "
                                                 "$PROCFLEET_FILE, or [tool.procfleet] in pyproject.toml).")]
BackendOption = Annotated[str | None, typer.Option("-b", "--backend", help="Backend to use (default: [app].backend "
                                                   "or local).")]
JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable output (docs/json.md).")]
NoColorOption = Annotated[bool, typer.Option("--no-color", help="No colors (NO_COLOR is honoured too).")]
QuietOption = Annotated[bool, typer.Option("-q", "--quiet", help="Only errors and results.")]
StrictOption = Annotated[bool, typer.Option("--strict", help="Keys the backend cannot honour are errors.")]


def _context(ctx: typer.Context, **given: Any) -> Context:
    """Merge the options given after the command over those given before it."""
    from procfleet.actions.context import Context
    from procfleet.console import Output, color_wanted

    before: dict[str, Any] = ctx.obj or {}
    merged = {key: given.get(key) or before.get(key) for key in ("file", "backend", "json", "no_color", "quiet",
                                                                  "strict")}
    environ = dict(os.environ)
    output = Output(json=bool(merged["json"]), quiet=bool(merged["quiet"]),
                    color=color_wanted(bool(merged["no_color"]), environ, sys.stdout))
    file = merged["file"]
    return Context(file=file, backend=merged["backend"], output=output, environ=environ, cwd=Path.cwd(),
                   strict=bool(merged["strict"]))


def _version(value: bool) -> None:
    if value:
        typer.echo(f"procfleet {__version__}")
        raise typer.Exit()


@app.callback()
def _global(ctx: typer.Context, file: FileOption = None, backend: BackendOption = None, json: JsonOption = False,
            no_color: NoColorOption = False, quiet: QuietOption = False, strict: StrictOption = False,
            version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                                  help="Print the version.")] = False) -> None:
    """One process formation, every platform: local processes, Compose, Swarm and Nomad."""
    ctx.obj = {"file": file, "backend": backend, "json": json, "no_color": no_color, "quiet": quiet,
               "strict": strict}


@app.command()
def check(ctx: typer.Context, file: FileOption = None, backend: BackendOption = None, json: JsonOption = False,
          no_color: NoColorOption = False, quiet: QuietOption = False) -> None:
    """Validate the formation and summarise its types, counts and ports."""
    from procfleet.actions.inspect import check as check_action

    from procfleet import views

    context = _context(ctx, file=file, backend=backend, json=json, no_color=no_color, quiet=quiet)
    views.show_check(context.output, check_action(context))


@app.command()
def render(ctx: typer.Context,
           fmt: Annotated[str | None, typer.Option("--format", help="Artefact format (see `procfleet backends`).")]
           = None,
           output_dir: Annotated[Path | None, typer.Option("-o", "--output", help="Write the files into this "
                                                            "folder instead of printing them.")] = None,
           file: FileOption = None, backend: BackendOption = None, json: JsonOption = False,
           no_color: NoColorOption = False, quiet: QuietOption = False, strict: StrictOption = False) -> None:
    """Print what the backend would run (compose.yaml, a Nomad job, a Procfile…) without touching anything."""
    from procfleet.actions.inspect import render as render_action
    from procfleet import views
    from procfleet.actions.rendering import write_rendered

    context = _context(ctx, file=file, backend=backend, json=json, no_color=no_color, quiet=quiet, strict=strict)
    rendered = render_action(context, fmt)
    if output_dir is not None:
        for path in write_rendered(output_dir, rendered.files):
            context.output.info(f"wrote {path}")
        return
    views.show_rendered(context.output, rendered)


@app.command("backends")
def backends_command(ctx: typer.Context, json: JsonOption = False, no_color: NoColorOption = False) -> None:
    """List the installed backends and the formation features each honours."""
    from procfleet import views
    from procfleet.actions.inspect import list_backends

    context = _context(ctx, json=json, no_color=no_color)
    views.show_backends(context.output, list_backends())


@app.command("import")
def import_command(ctx: typer.Context,
                   source: Annotated[Path, typer.Argument(help="The Procfile to read.", show_default=False)],
                   app_name: Annotated[str | None, typer.Option("--app", help="App name (default: the "
                                                                "folder's name).")] = None,
                   force: Annotated[bool, typer.Option("--force", help="Overwrite an existing formation "
                                                       "file.")] = False,
                   file: FileOption = None, json: JsonOption = False, no_color: NoColorOption = False,
                   quiet: QuietOption = False) -> None:
    """Write a formation file (-f, default ./formation.toml) from a Procfile."""
    from procfleet import views
    from procfleet.actions.importing import import_procfile

    context = _context(ctx, file=file, json=json, no_color=no_color, quiet=quiet)
    target = context.file or context.cwd / "formation.toml"
    views.show_imported(context.output, import_procfile(source, target, app_name, force))


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; the one place where errors become messages and exit statuses."""
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
    return result if isinstance(result, int) else int(ExitCode.OK)


def _error_output(argv: list[str] | None) -> Any:
    from procfleet.console import Output, color_wanted

    no_color = "--no-color" in (sys.argv if argv is None else argv)
    return Output(color=color_wanted(no_color, os.environ, sys.stderr))


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
