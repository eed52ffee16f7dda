"""How cost grows with the app: tables and a PNG plot (docs/performance-curves.png), in one run.

- local: `procfleet deploy` against `honcho start -c web=N`, for 1, 10, 100, 500 instances (`echo ready; exec
  sleep 3600`): seconds from launch until every instance's ready line is out; then, a second later, the CPU of
  the supervisor side (the top process and its Python helpers: honcho forks a reader per instance) over a quiet
  window, its wakeups, the top process's RSS and the supervisor side's PSS (bench/local.py's `case_curve`).
- compose and swarm: worker × N (`exec sleep 100000`) for N = 1, 10, 50, 100, beside one `keep` container (with
  no container left, procfleet's compose backend takes the app for not deployed and will not scale it up from
  0): `procfleet ps` against `docker compose ps` (swarm: `docker service ls`, and `docker stack ps APP`, which
  lists the N tasks); a no-op `procfleet scale worker=N` against the docker CLI's own no-op scale; and
  `procfleet scale worker=N --wait` from 0 against the docker CLI's waiting scale (`docker compose up -d --wait
  --no-recreate --no-deps --scale`; `docker service scale`, which waits 5 s more to see the tasks stay up).
- nomad: HTTP requests per deploy and scale for jobs of 1, 10, 50 groups, counted at the in-repo simulator
  (bench/nomad.py --groups, run as a child: this folder's nomad.py would shadow python-nomad here).

Every comparison alternates the order round by round (A B, B A); figures are medians. The plot needs
matplotlib (`pip install -r bench/requirements.txt`); without it the tables are printed and the plot is skipped.
--json FILE keeps every sample, and --replot FILE redraws the plot from such a file without measuring.

    python bench/curves.py [--parts local,compose,swarm,nomad] [--quick] [--plot docs/performance-curves.png]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import local
from benchlib import Samples, interleave, quiet_env
from dockerlib import DEFAULT_IMAGE, App, app, machine, swarm_nodes, swarm_placement, tools

HERE = Path(__file__).resolve().parent
PARTS = ("local", "compose", "swarm", "nomad")

FORMATION = """\
[app]
name = "{app}"
image = "{image}"

[processes.worker]
command = "exec sleep 100000"
count = 1
stop_timeout = "0s"

[processes.keep]
command = "exec sleep 100000"
count = 1
stop_timeout = "0s"
"""
SWARM_OPTIONS = '\n[backends.swarm]\nendpoint_mode = "dnsrr"\nresolve_image = "never"\n'  # swarm's runs only

Data = dict[str, Any]


def local_curve(points: Sequence[int], rounds: int, idle_seconds: float) -> Data:
    """Per tool and metric, the median at each instance count."""
    tools_ = local.contenders()
    env = quiet_env(80, "PYTHONUNBUFFERED")
    result: Data = {tool.label: {} for tool in tools_}
    with tempfile.TemporaryDirectory(prefix="procfleet-bench-curves-") as folder:
        root = Path(folder)
        sequence = 0
        for count in points:
            figures = {tool.label: local.Figures() for tool in tools_}
            for number in range(rounds):
                for tool in tools_ if number % 2 == 0 else tools_[::-1]:
                    sequence += 1
                    local.case_curve(tool, root, f"bc{os.getpid()}-{sequence}", env, count, idle_seconds,
                                     figures[tool.label])
            for label, figure in figures.items():
                result[label][str(count)] = figure.samples
            print(f"local: {count} instances done", file=sys.stderr, flush=True)
    if local.UNCLEAN:
        print(f"local: {len(local.UNCLEAN)} run(s) did not stop cleanly: "
              + "; ".join(f"{u.tool} {u.how}" for u in local.UNCLEAN), file=sys.stderr)
    return result


def docker_commands(made: App, count: int) -> dict[str, list[Samples]]:
    """The groups timed at one count: ps, the no-op scale, and the waiting scale from 0."""
    d, worker = made.docker, made.service("worker")
    if made.backend == "compose":
        scale = [d, "compose", "up", "-d", "--no-recreate", "--no-deps", "--scale", f"worker={count}", "worker"]
        native_ps = [Samples("docker compose ps", [d, "compose", "ps"])]
        native_noop = Samples("docker compose up -d --no-recreate --scale (no change)", scale)
        native_up = Samples("docker compose up -d --wait --no-recreate --scale", [*scale, "--wait"])
    else:
        native_ps = [Samples("docker service ls", [d, "service", "ls"]),
                     Samples("docker stack ps APP", [d, "stack", "ps", made.name])]
        native_noop = Samples("docker service scale --detach (no change)",
                              [d, "service", "scale", "--detach", f"{worker}={count}"])
        native_up = Samples("docker service scale", [d, "service", "scale", "--detach=false", f"{worker}={count}"])
    return {
        "ps": [Samples("procfleet ps", made.pf("ps")), *native_ps],
        "noop": [Samples("procfleet scale (no change)", made.pf("scale", f"worker={count}")), native_noop],
        "up": [Samples("procfleet scale --wait", made.pf("scale", f"worker={count}", "--wait")), native_up],
    }


def docker_curve(backend: str, points: Sequence[int], rounds: int, scale_rounds: int, image: str) -> Data:
    """Per group and command, every sample at each container count."""
    docker, procfleet = tools(*(["compose"] if backend == "compose" else ["compose", "swarm"]))
    options = SWARM_OPTIONS + swarm_placement(["worker", "keep"], swarm_nodes(docker)) if backend == "swarm" else ""
    result: Data = {"ps": {}, "noop": {}, "up": {}}
    with app(backend, docker, procfleet) as made:
        made.write(FORMATION.format(app=made.name, image=image) + options)
        made.deploy()
        for count in points:
            groups = docker_commands(made, count)
            made.native_scale("worker", count)
            interleave(groups["ps"], made.folder, made.env, rounds, warmup=1)
            interleave(groups["noop"], made.folder, made.env, rounds, warmup=1)
            interleave(groups["up"], made.folder, made.env, scale_rounds,
                       reset=lambda: made.native_scale("worker", 0))
            for name, group in groups.items():
                result[name][str(count)] = {s.label: s.wall for s in group}
            print(f"{backend}: {count} containers done", file=sys.stderr, flush=True)
    return result


def nomad_curve(points: Sequence[int]) -> Data:
    """bench/nomad.py --groups, as a child process."""
    done = subprocess.run([sys.executable, str(HERE / "nomad.py"), "--groups", ",".join(map(str, points)), "--json"],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"bench/nomad.py --groups failed:\n{done.stderr}")
    return {"points": json.loads(done.stdout)}


def median(samples: Sequence[float]) -> float:
    return statistics.median(samples) if samples else float("nan")


def print_local(data: Data) -> None:
    counts = list(data["procfleet"])
    rows = [("launch -> all ready (s)", "start", 1.0, ".3f"),
            ("idle CPU, supervisor side (% of a CPU)", "cpu_side", 1.0, ".2f"),
            ("idle wakeups, supervisor side (1/s)", "wakeups", 1.0, ".1f"),
            ("RSS of the top process (MiB)", "rss", 1 / 1024, ".1f"),
            ("PSS of the supervisor side (MiB)", "pss", 1 / 1024, ".1f"),
            ("SIGINT -> all stopped (s)", "stop", 1.0, ".3f")]
    print("local: procfleet deploy / honcho start -c web=N (medians)")
    print(f"{'metric':<40} {'tool':<10}" + "".join(f"{n:>10}" for n in counts))
    for title, key, scale, spec in rows:
        for tool in ("procfleet", "honcho"):
            cells = [format(median(data[tool][n].get(key, [])) * scale, spec) for n in counts]
            print(f"{title:<40} {tool:<10}" + "".join(f"{c:>10}" for c in cells))
        if key == "start":
            ratios = [median(data["procfleet"][n]["start"]) / median(data["honcho"][n]["start"]) for n in counts]
            print(f"{'':<40} {'ratio':<10}" + "".join(f"{r:>9.2f}x" for r in ratios))
    print()


def print_docker(backend: str, data: Data) -> None:
    counts = list(data["ps"])
    print(f"{backend}: worker x N, + 1 other container (medians, s; ratio = procfleet / the first native command)")
    print(f"{'command':<58}" + "".join(f"{n:>9}" for n in counts))
    for group in ("ps", "noop", "up"):
        labels = list(data[group][counts[0]])
        for label in labels:
            print(f"{label:<58}" + "".join(f"{median(data[group][n][label]):9.3f}" for n in counts))
        ours, native = labels[0], labels[1]
        print(f"{'  ratio':<58}" + "".join(f"{median(data[group][n][ours]) / median(data[group][n][native]):8.2f}x"
                                            for n in counts))
    print()


def print_nomad(data: Data) -> None:
    points = data["points"]
    sizes = list(dict.fromkeys(p["groups"] for p in points))
    operations = list(dict.fromkeys(p["operation"] for p in points))
    cell = {(p["operation"], p["groups"]): f"{p['requests']} ({p['writes']}/{p['minimum']})" for p in points}
    print("nomad: HTTP requests (writes/minimum writes) per operation, by groups in the job")
    print(f"{'operation':<30}" + "".join(f"{n:>14}" for n in sizes))
    for op in operations:
        print(f"{op:<30}" + "".join(f"{cell[op, n]:>14}" for n in sizes))
    print()


def plot(data: Data, path: Path) -> bool:
    """Draw every part measured into one PNG; False if matplotlib is missing."""
    try:
        import matplotlib
    except ImportError:
        print("matplotlib is not installed (pip install -r bench/requirements.txt): no plot", file=sys.stderr)
        return False
    matplotlib.use("Agg")
    from matplotlib import pyplot, ticker

    plain = ticker.FuncFormatter(lambda value, _: f"{value:g}")
    some = ticker.FuncFormatter(lambda value, _: f"{value:g}" if f"{value:g}".lstrip("0.")[:1] in "25" else "")

    panels = ([("local", "start"), ("local", "cpu_side")] if "local" in data else []) + \
        [(b, None) for b in ("compose", "swarm") if b in data] + ([("nomad", None)] if "nomad" in data else []) + \
        ([("ratios", None)] if {"local", "compose", "swarm"} & set(data) else [])
    columns = 2 if len(panels) > 1 else 1
    rows = (len(panels) + columns - 1) // columns
    figure, axes = pyplot.subplots(rows, columns, figsize=(6.4 * columns, 4.4 * rows), squeeze=False)
    for ax, (part, key) in zip(axes.flat, panels, strict=False):
        if part == "local":
            for tool, style in (("procfleet", "o-"), ("honcho", "s--")):
                counts = [int(n) for n in data["local"][tool]]
                values = [median(data["local"][tool][str(n)][key]) for n in counts]
                ax.plot(counts, values, style, label=tool)
            ax.set_xscale("log")
            if key == "start":
                ax.set_yscale("log")
            ax.set_title("local: launch → all instances ready" if key == "start" else
                         "local: idle CPU of the supervisor side")
            ax.set_xlabel("instances")
            ax.set_ylabel("seconds" if key == "start" else "% of one CPU")
        elif part == "ratios":
            for backend, marker in (("compose", "o"), ("swarm", "s")):
                for group, style in (("ps", "-"), ("noop", "--"), ("up", ":")):
                    if backend not in data:
                        continue
                    counts = [int(n) for n in data[backend][group]]
                    values = []
                    for n in counts:
                        ours, native = list(data[backend][group][str(n)].values())[:2]
                        values.append(median(ours) / median(native))
                    name = {"ps": "ps", "noop": "no-op scale", "up": "scale --wait"}[group]
                    ax.plot(counts, values, marker + style, label=f"{backend} {name}")
            if "local" in data:
                counts = [int(n) for n in data["local"]["procfleet"]]
                values = [median(data["local"]["procfleet"][str(n)]["start"]) /
                          median(data["local"]["honcho"][str(n)]["start"]) for n in counts]
                ax.plot(counts, values, "D-", color="black", label="local start / honcho")
            ax.axhline(1.0, color="grey", linewidth=1)
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_title("procfleet / native, medians (below 1: procfleet is faster)")
            ax.set_xlabel("containers or instances")
            ax.set_ylabel("ratio of medians")
        elif part == "nomad":
            points = data["nomad"]["points"]
            for index, op in enumerate(dict.fromkeys(p["operation"] for p in points)):
                mine = [p for p in points if p["operation"] == op]
                ax.plot([p["groups"] for p in mine], [p["requests"] for p in mine], "os^vDx"[index % 6] + "-",
                        label=op, markersize=9 - index, alpha=0.8)
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_title("nomad: HTTP requests per operation (simulator)")
            ax.set_xlabel("groups in the job")
            ax.set_ylabel("requests")
        else:
            colours = {"ps": "tab:blue", "noop": "tab:green", "up": "tab:red"}
            for group in ("ps", "noop", "up"):
                counts = [int(n) for n in data[part][group]]
                labels = list(data[part][group][str(counts[0])])
                for index, label in enumerate(labels):
                    values = [median(data[part][group][str(n)][label]) for n in counts]
                    ax.plot(counts, values, ("o-", "s--", "^:")[index], color=colours[group], label=label)
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_title(f"{part}: worker × N (+ 1 other container)")
            ax.set_xlabel("containers")
            ax.set_ylabel("seconds")
        measured = [line for line in ax.get_lines() if not line.get_label().startswith("_")]  # not the axhline
        ax.set_xticks(sorted({int(x) for line in measured for x in line.get_xdata()}))
        ax.xaxis.set_major_formatter(plain)
        ax.xaxis.set_minor_formatter(ticker.NullFormatter())
        ax.yaxis.set_major_formatter(plain)
        ax.yaxis.set_minor_formatter(some if ax.get_yscale() == "log" else ticker.NullFormatter())
        ax.tick_params(axis="y", which="minor", labelsize=6)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    for ax in list(axes.flat)[len(panels):]:
        ax.set_visible(False)
    figure.suptitle(data.get("machine", ""), fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description="How procfleet's cost grows with the app: tables and a plot.")
    parser.add_argument("--parts", default=",".join(PARTS), help="a subset of local,compose,swarm,nomad (default all)")
    parser.add_argument("--quick", action="store_true",
                        help="one round everywhere, 2 s idle window, compose and swarm up to 50 (a few minutes)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of each local run and each ps (default 3)")
    parser.add_argument("--scale-rounds", type=int, default=2, help="rounds of each waiting scale (default 2)")
    parser.add_argument("--idle-seconds", type=float, default=5.0, help="local idle window (default 5)")
    parser.add_argument("--image", default=DEFAULT_IMAGE, help="an image with sh")
    parser.add_argument("--plot", type=Path, default=HERE.parent / "docs" / "performance-curves.png",
                        help="the PNG to write (default docs/performance-curves.png)")
    parser.add_argument("--no-plot", action="store_true", help="print the tables only")
    parser.add_argument("--json", type=Path, help="also write every sample to this file")
    parser.add_argument("--replot", type=Path, help="draw the plot from a file --json wrote, measuring nothing")
    args = parser.parse_args()
    parts = [p.strip() for p in args.parts.split(",") if p.strip()]
    if unknown := set(parts) - set(PARTS):
        parser.error(f"unknown parts: {', '.join(sorted(unknown))}")
    rounds, scale_rounds, idle = (1, 1, 2.0) if args.quick else (args.rounds, args.scale_rounds, args.idle_seconds)
    container_points = (1, 10, 50) if args.quick else (1, 10, 50, 100)

    if args.replot:
        data: Data = json.loads(args.replot.read_text())
    else:
        data = {"machine": machine("docker") if {"compose", "swarm"} & set(parts) else "",
                "settings": {"rounds": rounds, "scale_rounds": scale_rounds, "idle_seconds": idle}}
        print(data["machine"] or "", flush=True)
        if "local" in parts:
            data["local"] = local_curve((1, 10, 100, 500), rounds, idle)
        for backend in ("compose", "swarm"):
            if backend in parts:
                data[backend] = docker_curve(backend, container_points, max(rounds, 3), scale_rounds, args.image)
        if "nomad" in parts:
            data["nomad"] = nomad_curve((1, 10, 50))
        if args.json:
            args.json.write_text(json.dumps(data, indent=1))
    print(f"rounds: {data['settings']}\n")
    if "local" in data:
        print_local(data["local"])
    for backend in ("compose", "swarm"):
        if backend in data:
            print_docker(backend, data[backend])
    if "nomad" in data:
        print_nomad(data["nomad"])
    if not args.no_plot and plot(data, args.plot):
        print(f"plot: {args.plot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
