"""The `kejin` command tree, for tests that look at every command's options."""

from __future__ import annotations

import pytest


def mounted_app():
    """The whole `kejin` Typer app, every sub-command group mounted."""
    import kejin.cli as cli

    cli._mount()
    return cli.app


@pytest.fixture(name="mounted_app")
def mounted_app_fixture():
    return mounted_app()


@pytest.fixture(name="every_command")
def every_command_fixture() -> list[tuple[str, object]]:
    return every_command()


def every_command() -> list[tuple[str, object]]:
    """("points score", its click command) for every leaf command of `kejin`."""
    import typer.main

    def walk(command, path):
        if hasattr(command, "commands"):  # a group
            for name, sub in command.commands.items():
                yield from walk(sub, [*path, name])
        else:
            yield " ".join(path), command

    return list(walk(typer.main.get_command(mounted_app()), []))
