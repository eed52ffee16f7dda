"""The client's HCL2 evaluation of driver Config strings."""

from __future__ import annotations

import pytest

from .template import TemplateError, evaluate, replace_env


def test_traversals_and_escapes() -> None:
    env = {"NOMAD_PORT_web": "8000", "attr.unique.hostname": "n1"}
    assert evaluate("python3 -m http.server ${NOMAD_PORT_web} ${ attr.unique.hostname }", env) \
        == "python3 -m http.server 8000 n1"
    assert evaluate("echo $${A:-b} %%{x}", env) == "echo ${A:-b} %{x}"


@pytest.mark.parametrize(("text", "message"), [
    ("${HOME}", 'There is no variable named "HOME".'),
    ("${A:-b}", "Extra characters after interpolation expression"),
    ("${A", "Unclosed template interpolation sequence"),
    ("%{ if x }", "Invalid template directive"),
])
def test_errors(text: str, message: str) -> None:
    with pytest.raises(TemplateError, match=message):
        evaluate(text, {"A": "1"})


def test_replace_env_keeps_unknown_names() -> None:
    assert replace_env("${NOMAD_ALLOC_INDEX}-${NOPE}", {"NOMAD_ALLOC_INDEX": "2"}) == "2-${NOPE}"
