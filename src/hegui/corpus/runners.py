"""Runners: the same :func:`~hegui.corpus.scanner.scan_shard` on a local process pool or on Ray Data.

A scan keeps one folder (``--work``) holding its configuration and one result file per finished shard, each written
atomically. A killed scan started again with the same inputs and configuration skips the shards already done.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from hegui.atomic import atomic_output
from hegui.corpus.readers import Shard, discover
from hegui.corpus.scanner import ScanConfig, Summary, scan_shard
from hegui.errors import InputError, UsageError

Engine = Literal["local", "ray"]
Progress = Callable[[int, int], None]  # (shards done, shards total)


@dataclass
class ScanRun:
    """A finished (or resumed) scan: its folder, the merged summary and how many shards were reused."""

    scan_id: str
    work_dir: Path
    config: ScanConfig
    shards: int
    reused: int
    summary: Summary


def scan_id(shards: Sequence[Shard], config: ScanConfig) -> str:
    """Same inputs (paths, sizes, modification times) and same configuration → same id → resumable."""
    h = hashlib.sha256()
    h.update(json.dumps(config.to_dict(), sort_keys=True).encode())
    for s in shards:
        st = os.stat(s.path)
        h.update(f"{s.key}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:16]


def _shard_file(work: Path, shard: Shard) -> Path:
    return work / "shards" / (hashlib.sha256(shard.key.encode()).hexdigest()[:24] + ".json")


def _save(work: Path, shard: Shard, summary: Summary) -> None:
    target = _shard_file(work, shard)
    with atomic_output(target) as out:
        out.write(json.dumps({"shard": shard.to_dict(), "summary": summary.to_dict()}).encode())


def _load(work: Path, shard: Shard) -> Summary | None:
    path = _shard_file(work, shard)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return None  # a damaged result is scanned again, never trusted
    if data.get("shard") != shard.to_dict():
        return None
    return Summary.from_dict(data["summary"])


def scan(
    paths: Sequence[str | os.PathLike[str]],
    config: ScanConfig = ScanConfig(),
    *,
    engine: Engine = "local",
    jobs: int | None = None,
    work_dir: str | os.PathLike[str] | None = None,
    address: str | None = None,
    progress: Progress | None = None,
    split_bytes: int | None = None,
) -> ScanRun:
    """Scan a corpus; resumes from ``work_dir`` (default ``.hegui-corpus/<scan id>``) when it holds results."""
    if not 0 < config.sample <= 1:
        raise UsageError(f"sample rate must be in (0, 1], got {config.sample}")
    shards = discover(paths, **({"split_bytes": split_bytes} if split_bytes else {}))
    sid = scan_id(shards, config)
    work = Path(work_dir) if work_dir is not None else Path(".hegui-corpus") / sid
    (work / "shards").mkdir(parents=True, exist_ok=True)
    meta = {
        "scan_id": sid,
        "config": config.to_dict(),
        "inputs": [str(p) for p in paths],
        "shards": len(shards),
    }
    meta_path = work / "scan.json"
    if meta_path.exists():
        old = json.loads(meta_path.read_text(encoding="utf-8"))
        if old.get("scan_id") != sid:
            raise UsageError(
                f"{work} holds scan {old.get('scan_id')} of other inputs or settings; use another --work folder"
            )
    else:
        with atomic_output(meta_path) as out:
            out.write(json.dumps(meta, ensure_ascii=False, indent=1).encode())

    done: dict[str, Summary] = {}
    todo: list[Shard] = []
    for s in shards:
        prior = _load(work, s)
        if prior is not None:
            done[s.key] = prior
        else:
            todo.append(s)
    reused = len(done)
    if progress:
        progress(len(done), len(shards))

    def finished(shard: Shard, summary: Summary) -> None:
        _save(work, shard, summary)
        done[shard.key] = summary
        if progress:
            progress(len(done), len(shards))

    if todo:
        if engine == "local":
            _run_local(todo, config, jobs or 1, finished)
        elif engine == "ray":
            _run_ray(todo, config, jobs, address, finished)
        else:
            raise UsageError(f"unknown engine {engine!r}; use local or ray")

    total = Summary()
    for s in shards:  # merge in shard order: the result does not depend on which shard finished first
        total.merge(done[s.key])
    total.sort_examples()
    return ScanRun(sid, work, config, len(shards), reused, total)


def _scan_shard_dict(shard_dict: dict[str, Any], config_dict: dict[str, Any]) -> dict[str, Any]:
    return scan_shard(Shard.from_dict(shard_dict), ScanConfig(**config_dict)).to_dict()


def _run_local(
    todo: list[Shard], config: ScanConfig, jobs: int, finished: Callable[[Shard, Summary], None]
) -> None:
    if jobs <= 1:
        for s in todo:
            finished(s, scan_shard(s, config))
        return
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        pending: dict[Future[dict[str, Any]], Shard] = {
            pool.submit(_scan_shard_dict, s.to_dict(), config.to_dict()): s for s in todo
        }
        while pending:
            ready, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in ready:
                shard = pending.pop(fut)
                finished(shard, Summary.from_dict(fut.result()))


def _ray_batch(batch: dict[str, Any]) -> dict[str, Any]:
    """Ray Data batch function (task-based: no actor pool, which stalls on small machines)."""
    outs = []
    for shard_json, config_json in zip(batch["shard"], batch["config"], strict=True):
        outs.append(json.dumps(_scan_shard_dict(json.loads(shard_json), json.loads(config_json))))
    return {"shard": list(batch["shard"]), "summary": outs}


def _run_ray(
    todo: list[Shard],
    config: ScanConfig,
    jobs: int | None,
    address: str | None,
    finished: Callable[[Shard, Summary], None],
) -> None:
    try:
        import ray
    except ModuleNotFoundError:
        raise UsageError("the Ray engine needs Ray: pip install 'hegui[ray]'") from None
    started_here = False
    if not ray.is_initialized():
        kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False}
        if address:
            kwargs["address"] = address
        elif jobs:
            kwargs["num_cpus"] = jobs
        try:
            ray.init(**kwargs)
        except ConnectionError as exc:
            raise InputError(f"cannot reach the Ray cluster at {address}: {exc}") from None
        started_here = True
    try:
        by_key = {json.dumps(s.to_dict(), sort_keys=True): s for s in todo}
        cfg = json.dumps(config.to_dict(), sort_keys=True)
        items = ray.data.from_items([{"shard": k, "config": cfg} for k in by_key])
        ds = items.repartition(len(by_key)).map_batches(_ray_batch, batch_size=1, batch_format="numpy")
        for row in ds.iter_rows():
            shard = by_key[str(row["shard"])]
            finished(shard, Summary.from_dict(json.loads(str(row["summary"]))))
    finally:
        if started_here:
            ray.shutdown()
