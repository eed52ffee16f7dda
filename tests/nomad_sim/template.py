"""The subset of HCL2 template evaluation Nomad's client applies to every string of a task's driver Config.

helper/pluginutils/hclutils/util.go ParseHclInterface evaluates each string as an HCL2 template with the
variables of client/taskenv/env.go AllValues (dotted names nested as objects). Supported here: literal text,
the `$${` and `%%{` escapes, and `${ name }` / `${a.b.c}` traversals; anything else is a parse error.
"""

from __future__ import annotations

import re
from typing import Any

_NAME = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z_][A-Za-z0-9_-]*)*)\s*\}")


class TemplateError(Exception):
    """An HCL diagnostic: a parse error or an unknown variable."""


def evaluate(text: str, variables: dict[str, str]) -> str:
    """Evaluate one template string; variables are flat dotted names, looked up as HCL traversals."""
    out: list[str] = []
    i = 0
    while i < len(text):
        if text.startswith("$${", i) or text.startswith("%%{", i):
            out.append(text[i + 1 : i + 3])
            i += 3
            continue
        if text.startswith("%{", i):
            raise TemplateError("Invalid template directive; the simulator supports no %{ } directives.")
        if text.startswith("${", i):
            match = _NAME.match(text, i + 2)
            if match is None:
                if "}" not in text[i:]:
                    raise TemplateError("Unclosed template interpolation sequence; There is no closing brace.")
                raise TemplateError("Extra characters after interpolation expression; Expected a closing brace "
                                    "to end the interpolation expression, but found extra characters.")
            name = match.group(1)
            root = name.split(".")[0]
            if name not in variables:
                if not any(key == root or key.startswith(root + ".") for key in variables):
                    raise TemplateError(f'Unknown variable; There is no variable named "{root}".')
                raise TemplateError(f'Unsupported attribute; This object does not have an attribute named "{name}".')
            out.append(variables[name])
            i = match.end()
            continue
        out.append(text[i])
        i += 1
    return "".join(out)


def evaluate_config(config: Any, variables: dict[str, str]) -> Any:
    """Evaluate every string inside a driver Config (lists and maps recursively)."""
    if isinstance(config, str):
        return evaluate(config, variables)
    if isinstance(config, list):
        return [evaluate_config(item, variables) for item in config]
    if isinstance(config, dict):
        return {key: evaluate_config(value, variables) for key, value in config.items()}
    return config


def replace_env(text: str, env: dict[str, str]) -> str:
    """taskenv ReplaceEnv: ${name} replaced by its value when known, left as is otherwise."""
    return re.sub(r"\$\{([^}]+)\}", lambda m: env.get(m.group(1).strip(), m.group(0)), text)
