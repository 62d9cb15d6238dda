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


def test_require_installed_does_not_import() -> None:
    import sys as _sys

    _sys.modules.pop("tomllib", None)
    from hegui.extras import require_installed

    require_installed("screen", "tomllib")
    assert "tomllib" not in _sys.modules
    with pytest.raises(MissingExtraError, match=r"hegui\[corpus\]"):
        require_installed("corpus", "hegui_no_such_module")


def test_store_without_sqlalchemy_names_the_store_extra() -> None:
    """A real interpreter in which sqlalchemy cannot be imported (sys.modules entry set to None)."""
    code = (
        "import sys; sys.modules['sqlalchemy'] = None\n"
        "try:\n    import hegui.store\nexcept Exception as e:\n    print(type(e).__name__, e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.startswith("MissingExtraError")
    assert "pip install 'hegui[store]'" in out


def test_cli_group_without_its_extra_says_which_to_install() -> None:
    """`hegui screen ...` in an interpreter where numpy cannot be imported: exit 3 naming hegui[screen]; label works."""
    code = (
        "import sys, runpy; sys.modules['numpy'] = None\n"
        "sys.argv = ['hegui', *sys.argv[1:]]\n"
        "runpy.run_module('hegui', run_name='__main__')\n"
    )
    proc = subprocess.run([sys.executable, "-c", code, "screen", "text", "x"], capture_output=True, text=True)
    assert proc.returncode == 3 and "pip install 'hegui[screen]'" in proc.stderr, proc.stderr
    listing = subprocess.run([sys.executable, "-c", code, "--help"], capture_output=True, text=True)
    assert listing.returncode == 0 and "not installed: pip install 'hegui[screen]'" in listing.stdout
    assert (
        subprocess.run([sys.executable, "-c", code, "label", "--help"], capture_output=True).returncode == 0
    )
