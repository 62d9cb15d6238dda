"""``python -m hegui``: the same as the ``hegui`` command."""

from hegui.cli.main import app

app(prog_name="hegui")
