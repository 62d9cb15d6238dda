"""hegui.config: file lookup, precedence (override > env > ./hegui.toml > user hegui.toml), XDG folders, errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from hegui.config import load_config, user_config_dir, user_data_dir
from hegui.errors import InputError, UsageError


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {"HOME": str(tmp_path / "home"), **extra}


def test_nothing_configured(tmp_path: Path) -> None:
    s = load_config(cwd=tmp_path, env=_env(tmp_path))
    assert (s.producer, s.lexicon, s.database_url, s.files) == (None, None, None, ())
    assert s.data_dir == tmp_path / "home/.local/share/hegui"
    assert s.lexicons_dir == s.data_dir / "lexicons"
    assert s.calendars_dir == s.data_dir / "calendars"


def test_xdg_variables_and_relative_values(tmp_path: Path) -> None:
    env = _env(tmp_path, XDG_CONFIG_HOME=str(tmp_path / "cfg"), XDG_DATA_HOME="relative/ignored")
    assert user_config_dir(env) == tmp_path / "cfg/hegui"
    assert user_data_dir(env) == tmp_path / "home/.local/share/hegui"  # relative XDG paths are invalid
    assert user_data_dir({**env, "HEGUI_DATA_DIR": str(tmp_path / "d")}) == tmp_path / "d"


def test_precedence(tmp_path: Path) -> None:
    user = tmp_path / "home/.config/hegui"
    user.mkdir(parents=True)
    (user / "hegui.toml").write_text(
        'producer = "user-code"\nlexicon = "user.xlsx"\ndatabase_url = "sqlite:///user.db"\n'
        '[screen]\nengine = "hyperscan"\nlimit = 3\n',
        encoding="utf-8",
    )
    work = tmp_path / "work"
    work.mkdir()
    (work / "hegui.toml").write_text(
        'lexicon = "work.xlsx"\n[screen]\nengine = "ahocorasick"\n', encoding="utf-8"
    )

    s = load_config(cwd=work, env=_env(tmp_path))
    assert s.files == (user / "hegui.toml", work / "hegui.toml")
    assert (s.producer, s.lexicon, s.database_url) == ("user-code", "work.xlsx", "sqlite:///user.db")
    assert dict(s.section("screen")) == {"engine": "ahocorasick", "limit": 3}
    assert s.section("rules") == {}

    s = load_config(
        cwd=work, env=_env(tmp_path, HEGUI_PRODUCER="env-code", HEGUI_DATABASE_URL="sqlite:///env.db")
    )
    assert (s.producer, s.database_url) == ("env-code", "sqlite:///env.db")

    s = load_config(
        cwd=work, env=_env(tmp_path, HEGUI_PRODUCER="env-code"), producer="cli-code", lexicon=None
    )
    assert (s.producer, s.lexicon) == ("cli-code", "work.xlsx")
    assert s.to_dict()["files"] == [str(user / "hegui.toml"), str(work / "hegui.toml")]


def test_explicit_file(tmp_path: Path) -> None:
    f = tmp_path / "other.toml"
    f.write_text('producer = "x"\n', encoding="utf-8")
    assert load_config(cwd=tmp_path, env=_env(tmp_path, HEGUI_CONFIG=str(f))).producer == "x"
    with pytest.raises(InputError, match="does not exist"):
        load_config(cwd=tmp_path, env=_env(tmp_path, HEGUI_CONFIG=str(tmp_path / "missing.toml")))


def test_bad_files_name_the_file(tmp_path: Path) -> None:
    (tmp_path / "hegui.toml").write_text("producer = \n", encoding="utf-8")
    with pytest.raises(InputError, match=r"hegui\.toml: not valid TOML"):
        load_config(cwd=tmp_path, env=_env(tmp_path))
    (tmp_path / "hegui.toml").write_text('prodcuer = "x"\n', encoding="utf-8")
    with pytest.raises(UsageError, match="unknown setting 'prodcuer'"):
        load_config(cwd=tmp_path, env=_env(tmp_path))
    (tmp_path / "hegui.toml").write_text("producer = 12\n", encoding="utf-8")
    with pytest.raises(UsageError, match="must be a string"):
        load_config(cwd=tmp_path, env=_env(tmp_path))
    (tmp_path / "hegui.toml").unlink()
    with pytest.raises(TypeError):
        load_config(cwd=tmp_path, env=_env(tmp_path), nonsense="x")
