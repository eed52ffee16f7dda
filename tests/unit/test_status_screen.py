"""`ps` as a person reads it: the instance table fits the terminal, names stay whole, failures stand out."""

from __future__ import annotations

import io

import pytest

from procfleet import fit, views
from procfleet.backend import InstanceStatus, Status, TypeStatus
from procfleet.console import Output
from tests.conformance.screens import assert_screen, plain

LONG_NODE = "worker-node-eu-west-1c-0042.internal.example"


def status() -> Status:
    """A cluster's status: long node names, published ports, one crashed and one unhealthy instance."""
    web = [InstanceStatus(name=f"web.{n}", process="web", state="running", healthy=n != 3,
                          ports=f"10.0.0.{n}:3{n}000->8000/tcp, [::]:3{n}000->8000/tcp", uptime=3600.0 * n,
                          node=LONG_NODE, platform_name=f"shop_web.{n}", platform_id=f"{n}a2b3c4d5e6f",
                          detail="health check: curl: (7) Failed to connect to 127.0.0.1 port 8000" if n == 3 else "")
           for n in (1, 2, 3)]
    worker = InstanceStatus(name="worker.1", process="worker", state="exited", restarts=4, node=LONG_NODE,
                            platform_name="shop_worker.1", platform_id="9f8e7d6c5b4a", detail="exit code 3")
    return Status(backend="swarm", app="shop",
                  types=(TypeStatus("web", 3, 3, 2), TypeStatus("worker", 1, 0, None)),
                  instances=(*web, worker))


def shown(columns: int, color: bool, wide: bool = False) -> str:
    """What ps prints on a terminal this wide."""
    out = io.StringIO()
    output = Output(color=color, out=out, err=out)
    output.console.width = columns
    views.show_status(output, status(), wide=wide)
    return out.getvalue()


@pytest.mark.parametrize("columns", [80, 132])
@pytest.mark.parametrize("color", [False, True])
def test_the_table_fits_and_no_name_is_cut(columns: int, color: bool) -> None:
    text = shown(columns, color)
    assert_screen(text, columns, color, ["web.1", "web.2", "web.3", "worker.1", "running", "exited"])


def test_ports_then_nodes_give_way_with_an_ellipsis_at_80_columns() -> None:
    lines = plain(shown(80, False)).splitlines()
    row = next(line for line in lines if line.lstrip().startswith("web.1 "))
    assert "…" in row and "10.0.0.1:31000->8000" not in row  # cut, and said to be
    assert LONG_NODE not in row
    wide_row = next(line for line in plain(shown(132, False)).splitlines() if line.lstrip().startswith("web.1 "))
    assert "10.0.0.1:31000->8000" in wide_row  # with room, nothing is cut


def test_a_crashed_instance_says_so_in_words_without_colour_and_why_under_the_table() -> None:
    lines = plain(shown(80, False)).splitlines()
    worker = next(line for line in lines if line.lstrip().startswith("worker.1 "))
    assert "exited (crashed)" in worker
    web3 = next(line for line in lines if line.lstrip().startswith("web.3 "))
    assert "unhealthy" in web3
    assert "  worker.1: exit code 3" in lines
    assert any(line.startswith("  web.3: health check: curl: (7) Failed") for line in lines)


def test_in_colour_a_crashed_row_is_red_and_needs_no_extra_word() -> None:
    text = shown(80, True)
    worker = next(line for line in text.splitlines() if "worker.1" in plain(line) and "│" in line)
    assert "\x1b[1;31m" in worker and "(crashed)" not in worker


def test_wide_shows_every_column_whole_with_the_platform_names_and_ids() -> None:
    lines = plain(shown(80, False, wide=True)).splitlines()
    header = next(line for line in lines if line.lstrip().startswith("instance"))
    assert header.split() == ["instance", "┃", "state", "┃", "health", "┃", "ports", "┃", "restarts", "┃", "uptime",
                              "┃", "node", "┃", "name", "┃", "id", "┃", "detail"]
    web1 = next(line for line in lines if line.lstrip().startswith("web.1 "))
    assert "shop_web.1" in web1 and "1a2b3c4d5e6f" in web1 and LONG_NODE in web1
    assert "10.0.0.1:31000->8000, [::]:31000->8000" in web1


def test_fitted_cuts_in_the_given_order_and_never_below_the_narrowest() -> None:
    widths = {"instance": 8, "state": 7, "ports": 30, "node": 20}
    assert fit.table_width(widths) == 65 + 8 + 3
    cut = fit.fitted(widths, 60, ["ports", "node"])
    assert cut == {"instance": 8, "state": 7, "ports": 14, "node": 20}
    cut = fit.fitted(widths, 30, ["ports", "node"])
    assert cut["ports"] == fit.NARROWEST and cut["node"] == fit.NARROWEST and cut["instance"] == 8
    assert fit.cut("abcdef", 4) == "abc…" and fit.cut("abc", 4) == "abc"


def test_a_plan_value_longer_than_the_screen_wraps_under_its_key_at_spaces() -> None:
    from procfleet.diff import FieldChange
    from procfleet.plan import Plan, TypeChange

    long = "a greeting long enough that it cannot share one line of eighty columns with its key and the old value"
    plan = Plan(backend="compose", app="shop", changes=(
        TypeChange("web", "change", 2, 2, "file", True, (FieldChange("env.GREETING", "hi", long),)),
        TypeChange("worker", "change", 1, 1, "file", True, (FieldChange("image", "shop:1", "shop:2"),))))
    out = io.StringIO()
    output = Output(out=out, err=out)
    output.console.width = 80
    views.show_plan(output, plan)
    lines = out.getvalue().splitlines()
    assert all(len(line) <= 80 and line == line.rstrip() for line in lines)
    at = lines.index("  web: env.GREETING")
    value = " ".join(line.strip() for line in lines[at + 1:at + 3])
    assert value == f'"hi" → "{long}"' and all(line.startswith("      ") for line in lines[at + 1:at + 3])
    assert '  worker: image "shop:1" → "shop:2"' in lines  # a short one stays on its line


def test_a_finished_one_shot_shows_as_done_and_not_short() -> None:
    finished = Status(backend="compose", app="shop",
                      types=(TypeStatus("web", 1, 1), TypeStatus("migrate", 1, 0, done=1)),
                      instances=(InstanceStatus(name="web.1", process="web", state="running"),
                                 InstanceStatus(name="migrate.1", process="migrate", state="exited",
                                                detail="exit code 0")))
    out = io.StringIO()
    output = Output(color=True, out=out, err=out)
    output.console.width = 80
    views.show_status(output, finished)
    lines = plain(out.getvalue()).splitlines()
    assert "done" in next(line for line in lines if "desired" in line)  # the column, only when a type has some
    assert next(line for line in lines if line.lstrip("│ ").startswith("migrate ")).split("│")[-2].strip() == "1"
    assert "\x1b[33m" not in out.getvalue().split("migrate")[1].split("\n")[0]  # 0 running is not shown short
    assert "done" not in plain(shown(80, False)).splitlines()[2]  # and no such column where none is done
