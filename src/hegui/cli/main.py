"""Entry point of the ``hegui`` command. Each wing adds its command group in its own module here."""

from __future__ import annotations

import importlib

import typer

from hegui import __version__

app = typer.Typer(
    name="hegui",
    help="hegui (合规): make generative-AI services compliant with China's AI rules, and check that they are.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# (module under hegui.cli, command name). A module exposes ``app`` (a Typer group) or ``register(app)``.
_GROUPS: tuple[tuple[str, str], ...] = (
    ("label", "label"),
    ("screen", "screen"),
    ("lexicon", "lexicon"),
    ("rules", "rules"),
    ("corpus", "corpus"),
    ("demo", "demo"),
)


def _register() -> None:
    for module_name, command in _GROUPS:
        qualified = f"hegui.cli.{module_name}"
        try:
            module = importlib.import_module(qualified)
        except ModuleNotFoundError as exc:
            if exc.name == qualified:  # the wing has not been built yet
                continue
            raise
        if hasattr(module, "register"):
            module.register(app)
        else:
            app.add_typer(module.app, name=command)


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


_register()
