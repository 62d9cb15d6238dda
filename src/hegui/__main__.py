"""The console entry point: ``hegui`` and ``python -m hegui``.

``hegui label show`` and ``hegui label add`` start without typer when their command line is plain
(:mod:`hegui.cli._fast`); everything else, and anything the fast path is unsure of, goes to the typer application
:data:`hegui.cli.main.app`.
"""

from __future__ import annotations

import sys


def main(prog_name: str | None = None) -> None:
    """Run ``hegui`` with ``sys.argv``; exits with the command's code."""
    from hegui.cli._fast import run

    code = run(sys.argv[1:])
    if code is not None:
        sys.exit(code)
    from hegui.cli.main import app

    app(prog_name=prog_name)


if __name__ == "__main__":
    main(prog_name="hegui")
