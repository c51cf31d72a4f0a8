"""Every `--format` option of the `kejin` command says in its help exactly the values it accepts,
and a command that shows one thing (a method, one firm, one import) refuses csv rather than
printing a table under that name."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner


def _choices(param) -> list[str]:
    """The values an option accepts: click's Choice, or the Enum Typer ≥ 0.2x keeps aside."""
    kind = getattr(param, "type", None)
    if getattr(kind, "choices", None):
        return [str(getattr(c, "value", c)) for c in kind.choices]
    return [str(c.value) for c in param.type_descriptor.annotation]


def test_every_format_help_lists_exactly_the_accepted_values(every_command):
    seen = 0
    for name, command in every_command:
        for param in command.params:
            if "--format" not in getattr(param, "opts", []):
                continue
            seen += 1
            choices = _choices(param)
            assert param.help and param.help.endswith(": " + " | ".join(choices)), (name, param.help, choices)
            assert param.help.startswith("输出格式") and "/ output format" in param.help, (name, param.help)
    assert seen >= 15  # every domain mounted


@pytest.mark.parametrize(
    ("args", "accepted"),
    [
        (["points", "show"], ["table", "json"]),
        (["standards", "explain", "--uscc", "91440305787789323F", "--input", "x.csv"], ["table", "json"]),
        (["funds", "import", "ledger", "--out", "out"], ["table", "json"]),
        (["credit", "score", "--model", "m.json", "--data", "d.csv"], ["csv", "json"]),
    ],
)
def test_a_value_not_listed_is_refused(mounted_app, args, accepted):
    refused = next(v for v in ("csv", "table", "xlsx") if v not in accepted)
    result = CliRunner().invoke(mounted_app, [*args, "--format", refused])
    assert result.exit_code == 2, result.output
    assert "--format" in result.output and refused in result.output


def test_points_show_json_is_one_object(mounted_app):
    """One method is one JSON object (not an array of one): the method as resolved."""
    from kejin.points.methods import resolve

    for ref in ("national-core", "local-frontier-pilot"):
        result = CliRunner().invoke(mounted_app, ["points", "show", ref, "--format", "json"])
        assert result.exit_code == 0, result.output
        shown = json.loads(result.stdout)
        assert isinstance(shown, dict)
        method = resolve(ref)
        assert shown == json.loads(json.dumps(method.model_dump(mode="json", by_alias=True), default=str))
        assert shown["meta"]["id"] == ref and shown["sha256"] == method.sha256
        assert len(shown["indicators"]) == len(method.indicators)  # what it extends merged in
