"""check, render and backends: commands that read the formation and touch no platform."""

from __future__ import annotations

from dataclasses import dataclass, field

from procfleet import registry
from procfleet.actions.context import Context, backend_name, check_runnable, load_formation, open_backend
from procfleet.backend import FEATURES, RenderedFile, declared_differences
from procfleet.errors import BackendLoadError, UsageError
from procfleet.model import Formation
from procfleet.validation import did_you_mean


def check(ctx: Context) -> Formation:
    """Validate the formation (and its backend tables); with -b or --strict, also against that backend."""
    formation = load_formation(ctx)
    if ctx.backend or ctx.strict:
        backend = open_backend(ctx, formation)  # warns about (or, with --strict, refuses) keys the backend ignores
        # Rendering is where a backend refuses what its platform cannot run (a stop signal Nomad clients cannot
        # send, say); it touches no platform, so check runs it and drops the artefacts.
        backend.render(formation, backend.formats[0])
    else:  # a type the default backend cannot run at all is an error even without -b
        name = backend_name(ctx, formation)
        if name in registry.discover():
            check_runnable(formation, name, registry.load(name).features)
    return formation


@dataclass(frozen=True)
class Rendered:
    """What render produced and for which backend and format."""

    backend: str
    format: str
    files: list[RenderedFile]

    @property
    def warnings(self) -> list[str]:
        """What the files cannot hold of the formation, a line per key, in file order."""
        return [line for item in self.files for line in item.warnings]


def render(ctx: Context, fmt: str | None) -> Rendered:
    """The chosen backend's native artefacts for the formation."""
    formation = load_formation(ctx, only_in_use=True)
    backend = open_backend(ctx, formation)
    chosen = fmt or backend.formats[0]
    if chosen not in backend.formats:
        raise UsageError(f'the {backend.name} backend cannot render "{chosen}"{did_you_mean(chosen, backend.formats)}; '
                         f"formats: {', '.join(backend.formats)}")
    rendered = Rendered(backend=backend.name, format=chosen, files=backend.render(formation, chosen))
    # Warned here, as open_backend warns, so that `render -o DIR` names what was lost as printing does.
    for warning in rendered.warnings:
        ctx.output.warn(warning)
    return rendered


@dataclass(frozen=True)
class BackendInfo:
    """One discovered backend: where it comes from and what it honours (or why it failed to load)."""

    name: str
    distribution: str
    version: str
    features: frozenset[str]
    formats: tuple[str, ...]
    error: str = ""
    differences: dict[str, str] = field(default_factory=dict)


def list_backends() -> list[BackendInfo]:
    """Every installed backend with its feature set; a broken one is listed with its error."""
    infos = []
    for found in registry.discover().values():
        try:
            backend_class = registry.load(found.name)
        except BackendLoadError as exc:
            infos.append(BackendInfo(found.name, found.distribution, found.version, frozenset(), (), str(exc)))
            continue
        infos.append(BackendInfo(found.name, found.distribution, found.version,
                                 frozenset(backend_class.features) & frozenset(FEATURES), backend_class.formats,
                                 differences=declared_differences(backend_class)))
    return infos
