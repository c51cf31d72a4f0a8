"""The `kejin` command: a thin Typer shell over the domain packages.

Each domain has its own module here that builds a Typer sub-app; this file only mounts them.
"""

from __future__ import annotations

import typer

from kejin.cli._common import run_app

app = typer.Typer(
    name="kejin",
    help="kejin 科金 — 科技金融平台 / tech-finance platform",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


# Domain CLIs beyond the core (facts, standards, demo), and the top-level commands each adds.
# A command line that names one of them imports only that module: a bank's scorecard libraries
# need not load for `kejin standards eval`.
DOMAINS: dict[str, tuple[str, ...]] = {
    "funds": ("funds",),
    "credit": ("credit",),
    "points": ("points", "record", "recommend"),
    "serve": ("serve", "audit"),
}
_mounted: set[str] = set()


def _mount(command: str | None = None) -> None:
    """Register the core commands and the domain CLIs (only the one ``command`` needs, if given)."""
    if "core" not in _mounted:
        from kejin.cli import demo as demo_cli
        from kejin.cli import facts as facts_cli
        from kejin.cli import standards as standards_cli

        facts_cli.register(app)
        standards_cli.register(app)
        demo_cli.register(app)
        _mounted.add("core")
    wanted = [m for m, commands in DOMAINS.items() if command is None or command in commands]
    for name in wanted:
        if name in _mounted:
            continue
        try:
            module = __import__(f"kejin.cli.{name}", fromlist=["register"])
        except ModuleNotFoundError as exc:  # a domain not installed in this build
            if exc.name != f"kejin.cli.{name}":
                raise
            continue
        module.register(app)
        _mounted.add(name)


def main() -> None:
    import sys

    args = [a for a in sys.argv[1:] if not a.startswith("-")]
    core = {"validate", "template", "synth", "standards", "demo"}
    command = args[0] if args else None
    _mount(command if command in core or any(command in c for c in DOMAINS.values()) else None)
    run_app(app)
