"""What a Compose project runs, for `procfleet import --from-backend compose`: the file it was started from. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from procfleet.backend import ExportedApp
from procfleet.errors import PlatformError, UsageError
from procfleet_compose.status import Container, live_types, members


def exported(project: str, containers: Sequence[Container]) -> ExportedApp | None:
    """The Compose file the project's containers were created from, and how many containers each service has.

    None when the project has no containers. Only a file on this machine can be read: Compose records where it
    was, not what it said.
    """
    current = members(containers)
    if not current:
        return None
    origins = {c.config_files for c in current}
    if len(origins) > 1:
        listed = "; ".join(", ".join(files) or "no file" for files in sorted(origins))
        raise PlatformError(f"the containers of the Compose project {project} were created from different files "
                            f"({listed}): bring them to one with `docker compose up`, or import a file yourself")
    files = origins.pop()
    if not files:
        raise PlatformError(f"the containers of the Compose project {project} do not say which file they were "
                            "created from (no com.docker.compose.project.config_files label): import the file "
                            "yourself")
    if len(files) > 1:
        raise UsageError(f"the Compose project {project} was started from {len(files)} files ({', '.join(files)}), "
                         "and adopt reads one: merge them (`docker compose -f … -f … config > compose.merged.yaml`), "
                         "import that, then `procfleet scale` to the live counts")
    path = Path(files[0])
    if not path.is_file():
        raise PlatformError(f"the Compose project {project} was started from {path}, which is not on this machine "
                            "any more: adopt reads the file the project was started from")
    apps = {c.app for c in current}
    notes = []
    if None in apps or len(apps) != 1:
        who = "were not created by procfleet" if apps == {None} else "were not all created by procfleet for one app"
        notes.append(f"the containers of the Compose project {project} {who}, and procfleet only touches what it "
                     f"owns: `procfleet deploy -b compose` will refuse to run over them; stop them first "
                     f"(`docker compose -p {project} down`), or set [backends.compose] project to run beside them")
    return ExportedApp(
        format="compose",
        source=path,
        described=f"the Compose project {project} ({path})",
        counts={name: live.count for name, live in live_types(current).items()},
        variables={"COMPOSE_PROJECT_NAME": project},  # the project's real name, whatever the file's `name:` says
        notes=tuple(notes),
    )
