"""compose.yaml as text, and procfleet's own copy: it never overwrites a file it did not write."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from procfleet.errors import UsageError
from procfleet_compose import composefile
from procfleet_compose.options import ComposeOptions
from procfleet_compose.translate import compose_document, file_counts
from tests.backends.compose.helpers import formation


def test_yaml_round_trips_under_a_header(tmp_path: Path) -> None:
    """The text is a header line naming its source, then YAML that loads back to the same document."""
    f = formation(tmp_path)
    document = compose_document(f, file_counts(f), ComposeOptions())
    text = composefile.to_yaml(document, f)
    assert text.startswith('# Written by procfleet from formation.toml (app "shop").')
    assert yaml.safe_load(text) == document


def test_stored_copy_lives_in_procfleets_folder(tmp_path: Path) -> None:
    """`.procfleet/compose/<project>.yaml`, with a .gitignore so it stays out of version control."""
    path = composefile.stored_path(tmp_path, "shop")
    assert path == tmp_path / ".procfleet" / "compose" / "shop.yaml"
    composefile.write(path, "# Written by procfleet from formation.toml\nname: shop\n")
    assert composefile.is_ours(path)
    assert (tmp_path / ".procfleet" / ".gitignore").read_text().splitlines()[-1] == "*"
    composefile.write(path, "# Written by procfleet from formation.toml\nname: shop\nservices: {}\n")
    assert composefile.read(path) == {"name": "shop", "services": {}}


def test_never_overwrites_a_file_procfleet_did_not_write(tmp_path: Path) -> None:
    """A hand-written file where procfleet keeps its copy is left alone, and the error says what to do."""
    path = composefile.stored_path(tmp_path, "shop")
    path.parent.mkdir(parents=True)
    path.write_text("services:\n  mine: {image: x}\n")
    with pytest.raises(UsageError, match=r"exists and was not written by procfleet: not overwriting it"):
        composefile.write(path, "# Written by procfleet\n")
    assert path.read_text() == "services:\n  mine: {image: x}\n"
    assert composefile.read(path) is None


def test_replicas_and_with_replicas(tmp_path: Path) -> None:
    """The last counts asked for are read back from the copy; scale changes only the named services."""
    f = formation(tmp_path)
    document = compose_document(f, {"web": 2, "worker": 0}, ComposeOptions())
    assert composefile.replicas(document) == {"web": 2, "worker": 0}
    scaled = composefile.with_replicas(document, {"worker": 5})
    assert composefile.replicas(scaled) == {"web": 2, "worker": 5}
    assert composefile.replicas(document) == {"web": 2, "worker": 0}  # a copy: the original is untouched
    assert {k: v for k, v in scaled["services"]["worker"].items() if k != "deploy"} == \
        {k: v for k, v in document["services"]["worker"].items() if k != "deploy"}
    assert composefile.replicas(None) == {}
