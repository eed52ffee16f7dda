"""How each command's result is shown: a rich table for people, or the documented JSON shape."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from procfleet.backend import FEATURES, InstanceStatus, Status
from procfleet.console import Output
from procfleet.jsonshape import SCHEMA_VERSION, formation_json, status_json
from procfleet.model import Formation
from procfleet.plan import Plan
from procfleet.units import format_duration

if TYPE_CHECKING:
    from rich.table import Table

    from procfleet.actions.importing import Imported
    from procfleet.actions.inspect import BackendInfo, Rendered


def show_check(output: Output, formation: Formation) -> None:
    """The formation's summary table, or its normalised JSON."""
    if output.json:
        output.data(formation_json(formation))
        return
    table = _table(title=f"{formation.app.name} ({formation.source})", title_justify="left")
    for column in ("type", "count", "port", "health", "restart", "stop", "command"):
        table.add_column(column, overflow="fold")
    for name, p in formation.processes.items():
        health = "-" if p.health is None else (p.health.http_path or p.health.command or p.health.kind)
        table.add_row(name, "platform" if p.count is None else str(p.count), str(p.port or "-"), health,
                      p.restart, f"{p.stop_signal} {format_duration(p.stop_timeout)}", p.shown_command())
    output.table(table)
    output.info(f"{formation.source}: ok ({len(formation.processes)} process types, "
                f"default backend {formation.app.backend})")


def show_rendered(output: Output, rendered: Rendered) -> None:
    """The artefacts' text, or a JSON list of files with what they cannot hold (render warned of it already)."""
    if output.json:
        output.data({"backend": rendered.backend, "format": rendered.format,
                     "files": [{"name": f.name, "content": f.content} for f in rendered.files],
                     "warnings": rendered.warnings})
        return
    for index, item in enumerate(rendered.files):
        if len(rendered.files) > 1:
            output.text(("\n" if index else "") + f"# {item.name}\n")
        output.text(item.content)


def show_backends(output: Output, infos: list[BackendInfo]) -> None:
    """The discovered backends and a feature matrix."""
    if output.json:
        output.data({"schema": SCHEMA_VERSION, "features": list(FEATURES), "backends": [
            {"name": i.name, "distribution": i.distribution, "version": i.version, "formats": list(i.formats),
             "features": sorted(i.features), "error": i.error or None, "differences": i.differences}
            for i in infos]})
        return
    table = _table(title="backends", title_justify="left")
    for column in ("backend", "distribution", "formats"):
        table.add_column(column)
    for info in infos:
        table.add_row(info.name, f"{info.distribution} {info.version}", info.error or ", ".join(info.formats))
    output.table(table)
    matrix = _table(title="formation features honoured", title_justify="left")
    matrix.add_column("feature")
    loaded = [i for i in infos if not i.error]
    for info in loaded:
        matrix.add_column(info.name, justify="center")
    for feature in FEATURES:
        matrix.add_row(feature, *("yes" if feature in i.features else "-" for i in loaded))
    output.table(matrix)
    declared = [(i.name, key, text) for i in loaded for key, text in i.differences.items()]
    if declared:
        differences = _table(title="declared differences (what a platform cannot do the same way)",
                             title_justify="left")
        for column in ("backend", "behaviour", "instead"):
            differences.add_column(column)
        for row in declared:
            differences.add_row(*row)
        output.table(differences)


def show_imported(output: Output, imported: Imported) -> None:
    """What import wrote, and one warning line for each key it did not carry over."""
    for warning in imported.warnings:
        output.warn(warning)
    if output.json:
        output.data({"file": str(imported.path), "source": str(imported.source), "format": imported.format,
                     "app": imported.app, "types": imported.types, "warnings": imported.warnings,
                     "backend": imported.backend, "counts": imported.counts if imported.backend else None})
        return
    left = f"; {len(imported.warnings)} lines above on what was not carried over" if imported.warnings else ""
    if imported.backend is not None:
        counts = " ".join(f"{name}={count}" for name, count in imported.counts.items())
        output.info(f"wrote {imported.path} (adopted from {imported.backend}, app {imported.app}) with the live "
                    f"counts {counts}{left}")
        return
    output.info(f"wrote {imported.path} ({imported.format} import, app {imported.app}) with "
                f"{len(imported.types)} process types: {', '.join(imported.types)}{left}")


def show_plan(output: Output, plan: Plan, applying: bool = False) -> None:
    """A plan as a table (to stderr during deploy, stdout for `plan`), then what changes in each changed type,
    field by field; worded as what deploy is doing when applying."""
    table = _table(title=f"plan for {plan.app} on {plan.backend}", title_justify="left")
    for column in ("type", "action", "count", "reason"):
        table.add_column(column)
    for change in plan.changes:
        count = str(change.desired) if change.current in (None, change.desired) else \
            f"{change.current} → {change.desired}"
        action = change.action + (" (definition)" if change.definition_changed else "")
        table.add_row(change.process, action, count, change.reason)
    output.table(table)
    _show_fields(output, plan)
    if not plan.pending:
        output.info("no changes: the platform already runs this formation")
    else:
        output.info("applying these changes" if applying else "changes pending: `procfleet deploy` applies them")


def _show_fields(output: Output, plan: Plan) -> None:
    """`  web: env.GREETING "a" → "b"`, green for what is added, red for what goes, yellow for what changes."""
    import textwrap

    from rich.text import Text

    from procfleet.diff import shown

    for change in plan.changes:
        if change.definition_changed and not change.fields:
            output.console.print(Text(f"  {change.process}: its definition changed (the platform does not say how)"))
        for field in change.fields:
            style = "green" if field.before is None else "red" if field.after is None else "yellow"
            head = f"  {change.process}: {field.key} "
            values = Text(f"{shown(field.before)} → {shown(field.after)}", style=style if output.color else "")
            if len(head) + len(values) <= output.console.width:
                output.console.print(Text(head) + values)
            else:  # the values under the key, indented, wrapped at spaces: never a word cut at the screen's edge
                output.console.print(Text(head.rstrip()))
                for piece in textwrap.wrap(values.plain, width=max(20, output.console.width - 6),
                                           break_on_hyphens=False):
                    output.console.print(Text("      ") + Text(piece, style=values.style))


def show_status(output: Output, status: Status, wide: bool = False) -> None:
    """Per type counts and per instance rows, or the status JSON. The instance table fits the terminal (ports and
    nodes give way, with "…"); why an instance is not simply up is written under the table; `wide` shows every
    column whole, the platform's own names and ids too."""
    if output.json:
        output.data(status_json(status))
        return
    if not status.types and not status.instances:
        output.info(f"nothing of {status.app} runs on {status.backend}: start it with "
                    f"`procfleet deploy -b {status.backend}`")
        return
    types = _table(title=f"{status.app} on {status.backend}", title_justify="left")
    placed = any(item.placed is not None for item in status.types)  # platforms that place before running
    done = any(item.done for item in status.types)  # one-shots that finished: not missing
    for column in ("type", "desired", *(["placed"] if placed else []), "running", "healthy",
                   *(["done"] if done else [])):
        types.add_column(column)
    for item in status.types:
        healthy = "-" if item.healthy is None else str(item.healthy)
        placed_cell = [str(item.placed if item.placed is not None else "-")] if placed else []
        short = item.running + item.done < item.desired or (item.healthy is not None and item.healthy < item.running)
        types.add_row(item.name, str(item.desired), *placed_cell, _styled(str(item.running), "yellow" if short and
                                                                          output.color else ""), healthy,
                      *([str(item.done)] if done else []))
    output.table(types)
    if status.instances:
        _show_instances(output, status.instances, wide)


INSTANCE_COLUMNS = ("instance", "state", "health", "pid", "ports", "restarts", "uptime", "node")
WIDE_COLUMNS = (*INSTANCE_COLUMNS, "name", "id", "detail")
# what is cut first when the table is wider than the terminal: the long, least read cells
GIVE_WAY = ("ports", "node", "health")
# states in which an instance has failed, whatever the platform calls it
FAILED_STATES = frozenset({"crashed", "failed", "dead", "restarting", "rejected", "lost", "orphaned"})


def trouble(instance: InstanceStatus) -> str:
    """"crashed" or "unhealthy" for an instance that needs a look, else ""."""
    if instance.state in FAILED_STATES:
        return "crashed"
    if instance.state in ("exited", "complete") and instance.detail.startswith("exit code ") and \
            instance.detail != "exit code 0":
        return "crashed"
    if instance.healthy is False:
        return "unhealthy"
    return ""


def _show_instances(output: Output, instances: Sequence[InstanceStatus], wide: bool) -> None:
    """The instance table, cut to the terminal's width unless wide, then the details under it."""
    from procfleet import fit

    columns = WIDE_COLUMNS if wide else INSTANCE_COLUMNS
    present = [c for c in columns if c in ("instance", "state") or any(_cell(i, c) for i in instances)]
    rows = [[_cell(instance, column) or "-" for column in present] for instance in instances]
    troubles = [trouble(instance) for instance in instances]  # each row's, looked at once
    for row, instance, found in zip(rows, instances, troubles, strict=True):
        if found == "crashed" and not output.color and instance.state not in ("crashed", "failed"):
            row[present.index("state")] += " (crashed)"  # without colour, a word makes it stand out
    widths = fit.natural_widths(present, rows)
    if not wide:
        widths = fit.fitted(widths, output.console.width, GIVE_WAY)
    table = _table(show_edge=False)
    for column in present:
        table.add_column(column, no_wrap=True, overflow="ellipsis", min_width=widths[column],
                         max_width=widths[column])
    for row, found in zip(rows, troubles, strict=True):
        style = "bold red" if found and output.color else ""
        table.add_row(*(fit.cut(cell, widths[column]) if column in GIVE_WAY else cell
                        for column, cell in zip(present, row, strict=True)),
                      style=style or None)
    if wide:  # as wide as it needs, as `kubectl get -o wide` is: the terminal folds what it must
        console = output.console
        width, console.width = console.width, max(console.width, fit.table_width(widths))
        try:
            console.print(table, crop=False)
        finally:
            console.width = width
    else:
        output.table(table)
        _show_details(output, instances)


def _show_details(output: Output, instances: Sequence[InstanceStatus]) -> None:
    """`  web.2: exit code 1`, wrapped to the terminal, for each instance that says why it is not simply up."""
    import textwrap

    for instance in instances:
        if instance.detail:
            lines = textwrap.wrap(f"{instance.name}: {instance.detail}", width=max(40, output.console.width - 2),
                                  initial_indent="  ", subsequent_indent="    ", break_on_hyphens=False)
            style = ("red" if trouble(instance) else "dim") if output.color else ""
            for line in lines:
                output.console.print(_styled(line, style))


def _styled(text: str, style: str) -> Any:
    """rich Text with a style (none when empty), so that brackets in it are never read as markup."""
    from rich.text import Text

    return Text(text, style=style)


def _cell(instance: InstanceStatus, column: str) -> str:
    values = {
        "instance": instance.name,
        "state": instance.state,
        "health": "" if instance.healthy is None else ("healthy" if instance.healthy else "unhealthy"),
        "pid": str(instance.pid or ""),
        "ports": instance.ports.replace("/tcp", ""),  # tcp is what a port is unless it says otherwise
        "restarts": str(instance.restarts) if instance.restarts else "",
        "uptime": "" if instance.uptime is None else format_duration(round(instance.uptime)),
        "node": instance.node,
        "name": instance.platform_name,
        "id": instance.platform_id,
        "detail": instance.detail,
    }
    return values[column]


def show_closing(output: Output, status: Status) -> None:
    """The last line of a command that changed what runs: what runs now, on stderr."""
    from procfleet.progress import closing_line

    output.info(closing_line(status))


def _table(**options: Any) -> Table:
    """A rich table; rich is imported here so JSON output never pays for it."""
    from rich.table import Table

    return Table(**options)

