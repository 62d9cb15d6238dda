"""Gateway settings: the ``[gateway]`` table of hegui.toml, environment variables, and command-line options.

Every value has a default a service can start with; the upstream key comes from the environment (or a named
variable), never from the request log.

    [gateway]
    upstream = "http://127.0.0.1:8000/v1"
    upstream_api_key_env = "OPENAI_API_KEY"
    classify = true
    default_action = "refuse"          # for a flagged risk without its own policy
    [gateway.policies]                 # risk id or group -> refuse | warn | log
    "A.3.b" = "warn"
    "A.5" = "log"
    [gateway.label]
    position = "end"                   # start | end | both | none
    [gateway.strikes]
    limit_at = 3
    suspend_at = 5
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from hegui.errors import UsageError

Action = Literal["refuse", "warn", "log"]
ACTION_RANK: dict[str, int] = {"log": 0, "warn": 1, "refuse": 2}

COMPLAINT_DAYS = 15
"""Default response time for complaints. No instrument fixes a number: the Interim Measures (Art. 15), the Algorithm
Provisions (Art. 22) and the Deep Synthesis Provisions (Art. 12) ask for published time limits. 15 days is the
default a service can publish; set ``complaint_days`` to what it publishes."""
RETENTION_DAYS = 183
"""Six months: the floor for logs of generated content that the rules in force ask providers to keep."""


class LabelSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    position: Literal["start", "end", "both", "none"] = "end"
    text: str = "本内容由人工智能生成"
    separator: str = "\n\n"


class StrikeSettings(BaseModel):
    """Warn from the first violation, limit at ``limit_at``, suspend at ``suspend_at`` within ``window_days``."""

    model_config = ConfigDict(extra="forbid")

    window_days: float = 30
    limit_at: int = 3
    suspend_at: int = 5
    limited_rpm: int = 6
    """Requests a minute a limited user may still make (per gateway worker)."""
    state_cache_s: float = 1.0
    """How long a worker trusts its cached view of a user's state before reading the store again."""

    @field_validator("suspend_at")
    @classmethod
    def _order(cls, v: int, info: Any) -> int:
        limit = info.data.get("limit_at", 0)
        if v < limit:
            raise ValueError(f"suspend_at ({v}) must be at least limit_at ({limit})")
        return v


class GatewayConfig(BaseModel):
    """Everything the gateway needs; see the module docstring for the file form."""

    model_config = ConfigDict(extra="forbid")

    upstream: str
    upstream_api_key: SecretStr | None = None
    upstream_api_key_env: str = "HEGUI_UPSTREAM_API_KEY"
    lexicon: str | None = None
    pii: bool = True
    pii_names: bool = False
    """Also person names and addresses in prompts (jieba: about ten times the cost of the other detectors)."""
    classify: bool = True
    policies: dict[str, Action] = Field(default_factory=dict)
    default_action: Action = "refuse"
    pii_action: Action = "log"
    screen_history: bool = False
    """Screen every user message of a conversation, not only the newest."""
    language: Literal["zh", "en"] = "zh"
    refusal_message: str | None = None
    label: LabelSettings = Field(default_factory=LabelSettings)
    user_header: str = "x-user-id"
    strikes: StrikeSettings = Field(default_factory=StrikeSettings)
    log_texts: bool = False
    retention_days: int = RETENTION_DAYS
    complaint_days: int = COMPLAINT_DAYS
    max_body_bytes: int = 4 << 20
    connect_timeout_s: float = 5.0
    timeout_s: float = 120.0
    breaker_failures: int = 5
    breaker_reset_s: float = 30.0
    fail_closed: bool = True
    """When a screener fails, refuse (default) rather than pass the text unscreened."""
    sentence_max_chars: int = 160
    """The classifier judges streamed output per sentence; a sentence longer than this is judged in pieces."""
    producer: str | None = None
    """Provider code for implicit labels on image and audio outputs passed through (else hegui.toml's producer)."""
    database_url: str | None = None

    @field_validator("upstream")
    @classmethod
    def _url(cls, v: str) -> str:
        if not v.startswith(("http://", "https://")):
            raise ValueError("upstream must be an http:// or https:// URL")
        return v.rstrip("/")

    @field_validator("retention_days")
    @classmethod
    def _retention(cls, v: int) -> int:
        if v < 1:
            raise ValueError("retention_days must be positive")
        return v

    def api_key(self) -> str | None:
        if self.upstream_api_key is not None:
            return self.upstream_api_key.get_secret_value()
        return os.environ.get(self.upstream_api_key_env) or None

    def action_for(self, risk: str) -> Action:
        """The policy of a risk: its own, else its group's (``A.1`` for ``A.1.d``), else the default."""
        if risk in self.policies:
            return self.policies[risk]
        group = ".".join(risk.split(".")[:2])
        if group in self.policies:
            return self.policies[group]
        return self.default_action


def load_gateway_config(path: str | os.PathLike[str] | None = None, **overrides: Any) -> GatewayConfig:
    """The ``[gateway]`` table of ``path`` (or of the hegui.toml hegui finds), with ``overrides`` on top (None
    values ignored), validated. A bad value is a UsageError naming the field."""
    import tomllib

    from hegui.config import config_files, load_config

    table: dict[str, Any] = {}
    files = [Path(path)] if path is not None else config_files()  # lowest precedence first
    for f in files:
        try:
            data = tomllib.loads(f.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise UsageError(f"{f}: no such configuration file") from None
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise UsageError(f"{f}: not a readable TOML file: {exc}") from None
        section = data.get("gateway", {})
        if not isinstance(section, dict):
            raise UsageError(f"{f}: [gateway] must be a table")
        table.update(section)
    settings = load_config()
    table.setdefault("lexicon", settings.lexicon)
    table.setdefault("producer", settings.producer)
    table.setdefault("database_url", settings.database_url)
    table.update({k: v for k, v in overrides.items() if v is not None})
    if "upstream" not in table:
        raise UsageError(
            "no upstream: pass --upstream URL or set upstream in the [gateway] table of hegui.toml"
        )
    try:
        return GatewayConfig(**table)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise UsageError(f"gateway setting {where}: {first['msg']}") from None
