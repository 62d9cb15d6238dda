"""robots.txt kept as evidence, evaluated against the URLs that were collected.

The rules are read with Protego (BSD-3, Scrapy's parser), which follows RFC 9309 and Google's wildcard and ``$``
rules; Python's ``urllib.robotparser`` ignores wildcards and would miss disallowed URLs.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from hegui.errors import InputError, UsageError

MAX_ROBOTS = 512 * 1024
"""Google reads at most 500 KiB of a robots.txt; a larger stored file is cut the same way."""


@dataclass(frozen=True, slots=True)
class StoredRobots:
    """One robots.txt as it was fetched: for which host, when, and with which user agent the crawler ran."""

    host: str
    fetched_at: str
    user_agent: str
    content: str


@dataclass(frozen=True, slots=True)
class Disallowed:
    url: str
    host: str
    user_agent: str
    robots_fetched_at: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "host": self.host,
            "user_agent": self.user_agent,
            "robots_fetched_at": self.robots_fetched_at,
        }


def load_robots(path: str | Path) -> list[StoredRobots]:
    """A JSONL file of ``{"host", "fetched_at", "user_agent", "content"}`` objects."""
    out: list[StoredRobots] = []
    p = Path(path)
    try:
        lines = p.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read robots archive: {exc}", path=p) from None
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            out.append(
                StoredRobots(
                    str(obj["host"]).lower(),
                    str(obj["fetched_at"]),
                    str(obj["user_agent"]),
                    str(obj["content"])[:MAX_ROBOTS],
                )
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise InputError(
                f"line {n}: need host, fetched_at, user_agent and content ({type(exc).__name__}: {exc})",
                path=p,
            ) from None
    return out


def disallowed(urls: Iterable[str], archive: Iterable[StoredRobots]) -> Iterator[Disallowed]:
    """Every collected URL that the stored robots.txt of its host disallowed for the user agent used."""
    try:
        from protego import Protego
    except ModuleNotFoundError:
        raise UsageError("robots.txt checks need protego: pip install 'hegui[corpus]'") from None
    parsers: dict[str, tuple[Any, StoredRobots]] = {}
    for r in archive:
        parsers[r.host] = (Protego.parse(r.content), r)
    for url in urls:
        url = url.strip()
        if not url:
            continue
        host = (urlsplit(url).hostname or "").lower()
        entry = parsers.get(host)
        if entry is None:
            continue
        parser, stored = entry
        if not parser.can_fetch(url, stored.user_agent):
            yield Disallowed(url, host, stored.user_agent, stored.fetched_at)


def hosts_without_robots(urls: Iterable[str], archive: Iterable[StoredRobots]) -> list[str]:
    """Hosts of collected URLs for which no robots.txt was kept: the collection record is incomplete."""
    known = {r.host for r in archive}
    seen = {(urlsplit(u.strip()).hostname or "").lower() for u in urls if u.strip()}
    return sorted(h for h in seen - known if h)
