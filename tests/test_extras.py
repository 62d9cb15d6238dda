"""hegui.extras: a missing optional module is an error that names the extra to install."""

from __future__ import annotations

import subprocess
import sys

import pytest

from hegui.errors import HeguiError
from hegui.extras import MissingExtraError, available, require


def test_present_modules_are_returned() -> None:
    (json_mod,) = require("screen", "json")
    assert json_mod.dumps([1]) == "[1]"
    assert available("json", "os")


def test_missing_module_names_the_extra() -> None:
    assert not available("hegui_no_such_module")
    with pytest.raises(MissingExtraError) as info:
        require("report", "json", "hegui_no_such_module")
    assert isinstance(info.value, HeguiError)
    assert "pip install 'hegui[report]'" in str(info.value)
    assert "hegui_no_such_module" in str(info.value)
    assert info.value.exit_code == 3


def test_store_without_sqlalchemy_names_the_store_extra() -> None:
    """A real interpreter in which sqlalchemy cannot be imported (sys.modules entry set to None)."""
    code = (
        "import sys; sys.modules['sqlalchemy'] = None\n"
        "try:\n    import hegui.store\nexcept Exception as e:\n    print(type(e).__name__, e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.startswith("MissingExtraError")
    assert "pip install 'hegui[store]'" in out
