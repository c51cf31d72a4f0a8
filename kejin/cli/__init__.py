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


def _mount() -> None:
    # Imported here so that `kejin --help` stays fast and each domain stays self-contained.
    from kejin.cli import facts as facts_cli
    from kejin.cli import standards as standards_cli

    facts_cli.register(app)
    standards_cli.register(app)
    for name in ("funds", "credit", "points"):
        try:
            module = __import__(f"kejin.cli.{name}", fromlist=["register"])
        except ModuleNotFoundError as exc:  # a domain not installed in this build
            if exc.name != f"kejin.cli.{name}":
                raise
            continue
        module.register(app)
    from kejin.cli import demo as demo_cli

    demo_cli.register(app)


def main() -> None:
    _mount()
    run_app(app)
