"""YAML read as Compose reads it (YAML 1.2: `yes`, `on` and `22:22` stay strings), anchors and merge keys included."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from procfleet.errors import FormationError

MAX_YAML_BYTES = 4 * 2**20  # compose files are a few KiB
MAX_YAML_VALUES = 200_000  # values once aliases are expanded; real compose files have a few thousand


class ComposeLoader(yaml.SafeLoader):
    """PyYAML's safe loader with YAML 1.2 core-schema scalars; `<<` merge keys and anchors work as in safe_load."""

    def flatten_mapping(self, node: yaml.MappingNode) -> None:
        """Merge keys as PyYAML merges them, except that a `!reset` key does not hide what the merge brings:
        `docker compose config` keeps a merged `environment` beside `environment: !reset {}` (Compose applies
        !reset to what extends and override files set, after the YAML merge)."""
        super().flatten_mapping(node)
        merged: set[Any] = set()
        kept = []
        for key, value in node.value:
            name = key.value if isinstance(key, yaml.ScalarNode) else None
            if value.tag == "!reset" and name in merged:
                continue
            merged.add(name)
            kept.append((key, value))
        node.value = kept


# Start from the safe loader's resolvers without bool, int and float, then add the YAML 1.2 core forms.
ComposeLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers
            if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
ComposeLoader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                                    list("tTfF"))
ComposeLoader.add_implicit_resolver("tag:yaml.org,2002:int", re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"),
                                    list("-+0123456789"))
ComposeLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"),
    list("-+0123456789."))


def _int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    text = str(loader.construct_scalar(node))
    if text.startswith("0o"):
        return int(text[2:], 8)
    return int(text, 0) if text.startswith("0x") else int(text)


ComposeLoader.add_constructor("tag:yaml.org,2002:int", _int)


class Reset:
    """`!reset`: the key goes, whatever the service it extends (or the file it overrides) sets."""

    def __repr__(self) -> str:
        return "!reset"


RESET = Reset()


@dataclass(frozen=True)
class Override:
    """`!override VALUE`: VALUE replaces what the service it extends sets, instead of being merged with it."""

    value: Any


def _reset(loader: yaml.SafeLoader, node: yaml.Node) -> Reset:
    return RESET


def _override(loader: yaml.SafeLoader, node: yaml.Node) -> Override:
    if isinstance(node, yaml.MappingNode):
        return Override(loader.construct_mapping(node, deep=True))
    if isinstance(node, yaml.SequenceNode):
        return Override(loader.construct_sequence(node, deep=True))
    return Override(loader.construct_scalar(node))  # type: ignore[arg-type]


# Compose's merge tags (compose-spec, merge.md), which decide how `extends` and override files merge a key.
ComposeLoader.add_constructor("!reset", _reset)
ComposeLoader.add_constructor("!override", _override)


def load_yaml(path: Path, text: str | None = None) -> Any:
    """The YAML document in path (or text, named path); a missing file or bad YAML is an error naming the file."""
    if text is None:
        try:
            with path.open("rb") as handle:
                data = handle.read(MAX_YAML_BYTES + 1)  # bounded: /dev/zero must not be read forever
            text = data.decode("utf-8")
        except FileNotFoundError:
            raise FormationError(path, "", "file not found") from None
        except (IsADirectoryError, UnicodeDecodeError):
            raise FormationError(path, "", "not a readable text file") from None
    if len(text) > MAX_YAML_BYTES:
        raise FormationError(path, "", f"larger than {MAX_YAML_BYTES // 2**20} MiB: not a compose file")
    try:
        document = yaml.load(text, Loader=ComposeLoader)  # a SafeLoader subclass: no arbitrary objects
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else ""
        raise FormationError(path, where, f"invalid YAML: {getattr(exc, 'problem', None) or exc}") from None
    problem = shape_problem(document)
    if problem is not None:
        raise FormationError(path, "", problem)
    return document


def shape_problem(document: Any) -> str | None:
    """What makes a loaded document unusable however it is walked: an anchor inside itself (a cycle), or aliases
    that expand past MAX_YAML_VALUES values (billion laughs); None for an ordinary document."""
    count = 0
    stack: list[tuple[Any, bool]] = [(document, False)]
    ancestors: set[int] = set()
    while stack:
        value, leaving = stack.pop()
        if leaving:
            ancestors.discard(id(value))
            continue
        count += 1
        if count > MAX_YAML_VALUES:
            return f"its anchors and aliases expand past {MAX_YAML_VALUES} values: refusing it (a billion laughs?)"
        children = list(value.values()) if isinstance(value, dict) else value if isinstance(value, list) else None
        if children is None:
            continue
        if id(value) in ancestors:
            return "a YAML anchor contains an alias to itself: the document never ends"
        ancestors.add(id(value))
        stack.append((value, True))
        stack.extend((child, False) for child in children)
    return None
