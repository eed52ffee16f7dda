"""The client's evaluation of a task's driver Config: every string is an HCL2 template over the task's variables.

A Nomad client, before it starts a task, turns `Task.Config` into JSON, parses it as HCL2's JSON syntax and
decodes it against the driver's schema with the task's environment as the evaluation context
(client/allocrunner/taskrunner/task_runner.go `runDriver` → helper/pluginutils/hclutils/util.go
`ParseHclInterface`). So every string value is a template: `$${` and `%%{` are literal `${` and `%{`, `${name}`
and `${a.b.c}` are variables, and anything else inside `${…}` (a shell's `${A:-b}`) is a parse error. Errors fail
the task with a "Failed Validation" event whose message is the go-multierror text the task runner builds.

The evaluator below covers what driver configs hold: literal text, the two escapes, and variable traversals.
Other HCL expressions and `%{` directives are refused with a message labelled as the simulator's own.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

STRICT = "strict simulator"
# An HCL identifier (hclsyntax allows letters, digits, underscores and dashes after the first letter).
_NAME = r"[A-Za-z_][A-Za-z0-9_-]*"
_TRAVERSAL = re.compile(rf"\s*~?\s*({_NAME}(?:\.{_NAME})*)\s*~?\s*")
_LEADING_TRAVERSAL = re.compile(rf"\s*~?\s*{_NAME}(?:\.{_NAME})*")

# hashicorp/hcl hclsyntax parser_template.go, for `${TICK:-30}`: the traversal `TICK` then characters it cannot take.
EXTRA_CHARACTERS = (
    "Extra characters after interpolation expression: Expected a closing brace to end the interpolation "
    "expression, but found extra characters.\n\nThis can happen when you include interpolation syntax for another "
    'language, such as shell scripting, but forget to escape the interpolation start token. If this is an embedded '
    'sequence for another language, escape it by starting with "$${" instead of just "${".'
)


class ConfigError(Exception):
    """One HCL diagnostic, formatted as hclutils formattedDiagnosticErrors does: "<Summary>: <Detail>"."""


def failure_message(errors: list[str]) -> str:
    """The task runner's error: multierror.Append(errors.New("failed to parse config: "), diagErrs...)."""
    # github.com/hashicorp/go-multierror ListFormatFunc
    items = ["failed to parse config: ", *errors]
    points = "\n\t".join(f"* {item}" for item in items)
    return f"{len(items)} errors occurred:\n\t{points}\n\n"


def nested_variables(flat: Mapping[str, str]) -> dict[str, Any]:
    """Dotted names as nested objects, as client/taskenv/env.go `AllValues` builds the evaluation context."""
    tree: dict[str, Any] = {}
    for key, value in flat.items():
        parts = key.split(".")
        node = tree
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                break  # AllValues reports such a key as an error and leaves it out
            node = child
        else:
            if not isinstance(node.get(parts[-1]), dict):
                node[parts[-1]] = value
    return tree


def evaluate(value: Any, variables: Mapping[str, Any]) -> tuple[Any, list[str]]:
    """The Config as the driver gets it, and the diagnostics (empty when it evaluates)."""
    errors: list[str] = []

    def walk(item: Any) -> Any:
        if isinstance(item, str):
            try:
                return render(item, variables)
            except ConfigError as problem:
                errors.append(str(problem))
                return item
        if isinstance(item, list):
            return [walk(element) for element in item]
        if isinstance(item, dict):
            return {key: walk(element) for key, element in item.items()}
        return item

    return walk(value), errors


def render(template: str, variables: Mapping[str, Any]) -> str:
    """One string template evaluated: escapes resolved, `${traversal}` looked up; ConfigError otherwise."""
    out: list[str] = []
    position = 0
    while position < len(template):
        if template.startswith("$${", position) or template.startswith("%%{", position):
            out.append(template[position + 1: position + 3])
            position += 3
        elif template.startswith("${", position):
            end = template.find("}", position + 2)
            if end < 0:
                raise ConfigError("Unclosed template interpolation sequence: There is no closing brace for this "
                                  "interpolation sequence before the end of the file. This might be caused by "
                                  "incorrect nesting inside the given expression.")
            out.append(_interpolate(template[position + 2: end], variables))
            position = end + 1
        elif template.startswith("%{", position):
            raise ConfigError(f"Template directive: {STRICT} does not evaluate %{{ … }} directives; write %%{{ for "
                              "a literal %{")
        else:
            out.append(template[position])
            position += 1
    return "".join(out)


def _interpolate(expression: str, variables: Mapping[str, Any]) -> str:
    """The value of one `${…}`: a traversal of the variables."""
    whole = _TRAVERSAL.fullmatch(expression)
    if whole is None:
        if _LEADING_TRAVERSAL.match(expression):
            raise ConfigError(EXTRA_CHARACTERS)
        raise ConfigError(f"Invalid expression: {STRICT} evaluates only variable references in driver config, "
                          f"not {expression!r}")
    root, *attributes = whole.group(1).split(".")
    if root not in variables:
        raise ConfigError(f'Unknown variable: There is no variable named "{root}".')
    current: Any = variables[root]
    for attribute in attributes:
        if not isinstance(current, dict) or attribute not in current:
            raise ConfigError(f'Unsupported attribute: This object does not have an attribute named "{attribute}".')
        current = current[attribute]
    if isinstance(current, dict):
        raise ConfigError("Invalid template interpolation value: Cannot include the given value in a string "
                          "template: string required.")
    return str(current)
