"""Entry point of the ``hegui`` command. Each wing adds its command group in its own module here.

Groups are imported lazily: ``hegui label --help`` imports the label CLI only, never screen, rules, numpy or
SQLAlchemy. ``hegui --help`` imports every group to list it. A plain ``hegui label show|add`` does not come here at
all: the console entry point (:mod:`hegui.__main__`) runs it without typer (:mod:`hegui.cli._fast`).
"""

from __future__ import annotations

import importlib
from typing import Any

import typer
from typer.core import TyperGroup

from hegui import __version__
from hegui.extras import MissingExtraError, extra_for

# (module under hegui.cli, command name). A module exposes ``app`` (a Typer group) or ``register(app)``.
_GROUPS: tuple[tuple[str, str], ...] = (
    ("label", "label"),
    ("screen", "screen"),
    ("lexicon", "lexicon"),
    ("rules", "rules"),
    ("assess", "assess"),
    ("corpus", "corpus"),
    ("gateway", "gateway"),
    ("web", "web"),
    ("demo", "demo"),
    ("verify", "verify"),
    ("deliveries", "deliveries"),
    ("appstore", "appstore"),
    ("serve", "serve"),
)


def _load(module_name: str, command: str) -> Any:
    """Import one group's module and turn it into a click command; None when the wing is not built."""
    qualified = f"hegui.cli.{module_name}"
    try:
        module = importlib.import_module(qualified)
    except ModuleNotFoundError as exc:
        if exc.name == qualified:  # the wing has not been built yet
            return None
        missing = extra_for(exc)
        if missing is None:
            raise
        return _needs_extra(command, missing)
    except MissingExtraError as missing:
        return _needs_extra(command, missing)
    if hasattr(module, "register"):
        holder = typer.Typer(add_completion=False)
        module.register(holder)
        built = typer.main.get_command(holder)
        if isinstance(built, TyperGroup):  # register() added several commands: take ours
            return built.get_command(typer.Context(built), command)
        return built
    module.app._add_completion = False  # completion is offered once, by the root command
    sub = typer.main.get_command(module.app)
    sub.name = command
    return sub


def _needs_extra(command: str, missing: MissingExtraError) -> Any:
    """A stand-in command for a group whose optional extra is not installed: it says which one, exits 3."""
    from rich.markup import escape

    holder = typer.Typer(add_completion=False)

    @holder.command(
        name=command,
        help=escape(f"(not installed: pip install 'hegui[{missing.extra}]')"),
        context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
        add_help_option=False,
    )
    def stand_in() -> None:
        typer.echo(f"error: {missing}", err=True)
        raise typer.Exit(missing.exit_code)

    return typer.main.get_command(holder)


class _LazyGroup(TyperGroup):
    """A click group that imports a command's module only when that command runs (or --help lists it)."""

    def list_commands(self, ctx: Any) -> list[str]:
        return [command for _module, command in _GROUPS]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        cached = self.commands.get(cmd_name)
        if cached is not None:
            return cached
        for module_name, command in _GROUPS:
            if command == cmd_name:
                loaded = _load(module_name, command)
                if loaded is not None:
                    self.commands[cmd_name] = loaded
                return loaded
        return None


app = typer.Typer(
    name="hegui",
    cls=_LazyGroup,
    help="hegui (合规): make generative-AI services compliant with China's AI rules, and check that they are.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"hegui {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version."
    ),
) -> None:
    """hegui (合规): labels, screening, assessment and rules for China's AI regulations."""


if __name__ == "__main__":
    app()
