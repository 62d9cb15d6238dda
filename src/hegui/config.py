"""Where hegui finds its settings and keeps its user data.

Precedence, highest first: an explicit argument (a CLI option), the environment (``HEGUI_PRODUCER``,
``HEGUI_PROPAGATOR``, ``HEGUI_LEXICON``, ``HEGUI_DATABASE_URL``), ``hegui.toml`` in the working directory, then
``hegui.toml`` in the user's config folder (``$XDG_CONFIG_HOME/hegui``, default ``~/.config/hegui``).
User data (lexicons, extra holiday calendars) lives in ``$HEGUI_DATA_DIR``, else ``$XDG_DATA_HOME/hegui``
(default ``~/.local/share/hegui``), never inside the installed package.

A ``hegui.toml``::

    producer = "001011000000000000X0..."   # the provider code written into labels
    lexicon = "/srv/lexicons/main.xlsx"
    database_url = "postgresql://hegui@db/hegui"

    [screen]            # tables are kept per wing for that wing to read (Settings.section("screen"))
    engine = "ahocorasick"
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hegui.errors import InputError, UsageError

FILE_NAME = "hegui.toml"
APP_NAME = "hegui"

# setting name -> environment variable
ENV_VARS: dict[str, str] = {
    "producer": "HEGUI_PRODUCER",
    "propagator": "HEGUI_PROPAGATOR",
    "lexicon": "HEGUI_LEXICON",
    "database_url": "HEGUI_DATABASE_URL",
}
DATA_DIR_ENV = "HEGUI_DATA_DIR"
CONFIG_FILE_ENV = "HEGUI_CONFIG"  # an explicit file, instead of searching


def _xdg(env: Mapping[str, str], var: str, default: str) -> Path:
    value = env.get(var, "")
    # The XDG spec says relative paths in these variables are invalid and must be ignored.
    if value and os.path.isabs(value):
        return Path(value)
    return Path(env.get("HOME") or Path.home()) / default


def user_config_dir(env: Mapping[str, str] | None = None) -> Path:
    """The user's hegui config folder (``$XDG_CONFIG_HOME/hegui``, default ``~/.config/hegui``)."""
    return _xdg(os.environ if env is None else env, "XDG_CONFIG_HOME", ".config") / APP_NAME


def user_data_dir(env: Mapping[str, str] | None = None) -> Path:
    """The user's hegui data folder (``$HEGUI_DATA_DIR``, else ``$XDG_DATA_HOME/hegui``, ``~/.local/share/hegui``)."""
    e = os.environ if env is None else env
    if e.get(DATA_DIR_ENV):
        return Path(e[DATA_DIR_ENV])
    return _xdg(e, "XDG_DATA_HOME", ".local/share") / APP_NAME


@dataclass(frozen=True)
class Settings:
    """The resolved settings. ``None`` means "not configured": each caller keeps its own default."""

    producer: str | None = None
    propagator: str | None = None
    lexicon: str | None = None
    database_url: str | None = None
    data_dir: Path = field(default_factory=user_data_dir)
    files: tuple[Path, ...] = ()
    """The hegui.toml files read, lowest precedence first."""
    sections: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """Tables of hegui.toml (``[screen]``, ``[rules]`` ...) for the wings to read."""

    @property
    def lexicons_dir(self) -> Path:
        return self.data_dir / "lexicons"

    @property
    def calendars_dir(self) -> Path:
        return self.data_dir / "calendars"

    def section(self, name: str) -> Mapping[str, Any]:
        return self.sections.get(name, {})

    def to_dict(self) -> dict[str, Any]:
        return {
            "producer": self.producer,
            "propagator": self.propagator,
            "lexicon": self.lexicon,
            "database_url": self.database_url,
            "data_dir": str(self.data_dir),
            "files": [str(p) for p in self.files],
            "sections": {k: dict(v) for k, v in self.sections.items()},
        }


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except OSError as exc:
        raise InputError(f"cannot read the settings file ({exc.strerror})", path=path) from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not valid TOML: {exc}", path=path) from None
    for key, value in data.items():
        if isinstance(value, dict):
            continue
        if key not in ENV_VARS:
            known = ", ".join(sorted(ENV_VARS))
            raise UsageError(
                f"unknown setting {key!r} (known: {known}; per-wing settings go in [tables])", path=path
            )
        if not isinstance(value, str):
            raise UsageError(f"setting {key!r} must be a string, not {type(value).__name__}", path=path)
    return data


def config_files(cwd: Path | None = None, env: Mapping[str, str] | None = None) -> list[Path]:
    """The settings files that exist, lowest precedence first."""
    e = os.environ if env is None else env
    if e.get(CONFIG_FILE_ENV):
        explicit = Path(e[CONFIG_FILE_ENV])
        if not explicit.is_file():
            raise InputError(f"${CONFIG_FILE_ENV} names a file that does not exist", path=explicit)
        return [explicit]
    candidates = [user_config_dir(e) / FILE_NAME, (cwd or Path.cwd()) / FILE_NAME]
    found: list[Path] = []
    for path in candidates:
        if path.is_file() and all(not path.samefile(p) for p in found):
            found.append(path)
    return found


def load_config(
    cwd: Path | None = None, env: Mapping[str, str] | None = None, **overrides: str | None
) -> Settings:
    """Resolve the settings: ``overrides`` (non-None values), environment, ./hegui.toml, user hegui.toml."""
    e = os.environ if env is None else env
    values: dict[str, str | None] = dict.fromkeys(ENV_VARS)
    sections: dict[str, dict[str, Any]] = {}
    files = config_files(cwd, e)
    for path in files:
        for key, value in _read_toml(path).items():
            if isinstance(value, dict):
                sections.setdefault(key, {}).update(value)
            else:
                values[key] = value
    for key, var in ENV_VARS.items():
        if e.get(var):
            values[key] = e[var]
    for key, value in overrides.items():
        if key not in ENV_VARS:
            raise TypeError(f"load_config() got an unknown setting {key!r}")
        if value is not None:
            values[key] = value
    return Settings(
        producer=values["producer"],
        propagator=values["propagator"],
        lexicon=values["lexicon"],
        database_url=values["database_url"],
        data_dir=user_data_dir(e),
        files=tuple(files),
        sections=sections,
    )
