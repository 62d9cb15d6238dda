"""Every writer keeps exactly one label and never drops another producer's (Labeling Measures Art. 10), in both
write modes; skip_labeled; label_many's per-file results; bytes and file objects in read and write."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest

from hegui.label import ForeignLabelError, Item, Propagation, Record, label_many, read, write
from hegui.label.batch import expand_id
from hegui.label.samples import modules

from .conftest import PRODUCER, assert_writer_keeps_one_label_and_foreign_ones, exiftool_aigc, exiftool_json

MAKERS = {m.__name__.rsplit(".", 1)[-1]: m for m in modules()}


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Path]]:
    folder = tmp_path_factory.mktemp("samples")
    out: dict[str, list[Path]] = {}
    for name, maker in MAKERS.items():
        (folder / name).mkdir()
        paths = maker.make(folder / name)
        for path in paths:
            write(path, Record.new(PRODUCER, produce_id=f"seed-{path.name}"))
        out[name] = paths
    return out


@pytest.mark.parametrize("in_place", [False, True], ids=["copy", "in-place"])
@pytest.mark.parametrize("name", sorted(MAKERS))
def test_every_writer_keeps_one_label_and_never_drops_a_foreign_one(
    samples: dict[str, list[Path]], tmp_path: Path, name: str, in_place: bool
) -> None:
    for source in samples[name]:
        path = tmp_path / source.name
        shutil.copyfile(source, path)
        container = read(path).container
        assert_writer_keeps_one_label_and_foreign_ones(path, container, in_place=in_place)


def test_in_place_is_used_where_the_container_has_room(
    samples: dict[str, list[Path]], tmp_path: Path
) -> None:
    modes = {}
    for name in ("jpeg", "png", "tiff", "webp", "pdf", "gif", "heif"):
        path = tmp_path / samples[name][0].name
        shutil.copyfile(samples[name][0], path)
        inode = path.stat().st_ino
        result = write(path, Record.new(PRODUCER, produce_id="again"), in_place=True)
        modes[name] = result.mode
        assert path.stat().st_ino == inode and read(path).label.record == result.record  # type: ignore[union-attr]
    assert set(modes.values()) == {"in-place"}, modes


@pytest.mark.parametrize("name", ["jpeg", "png", "tiff", "webp", "pdf", "gif", "heif"])
def test_exiftool_reads_what_an_in_place_write_left(
    samples: dict[str, list[Path]], tmp_path: Path, name: str
) -> None:
    path = tmp_path / samples[name][0].name
    shutil.copyfile(samples[name][0], path)
    record = Record.new(
        PRODUCER, produce_id="in-place-1", propagator="001191110108MA01ABCD1E2XYZ1", propagate_id="p"
    )
    assert write(path, record, in_place=True).mode == "in-place"
    assert exiftool_aigc(path) == record.to_json()
    errors = exiftool_json(path, "-warning", "-error")
    assert not any(key.endswith(":Error") for key in errors), errors


def test_skip_labeled_leaves_the_file_untouched(samples: dict[str, list[Path]], tmp_path: Path) -> None:
    path = tmp_path / "a.png"
    shutil.copyfile(samples["png"][0], path)
    before = path.read_bytes()
    result = write(path, Record.new(PRODUCER, produce_id="new"), skip_labeled=True)
    assert result.mode == "skipped" and result.record.ProduceID == "seed-sample.png"
    assert path.read_bytes() == before


def test_propagation_keeps_the_producer_fields(samples: dict[str, list[Path]], tmp_path: Path) -> None:
    path = tmp_path / "a.jpg"
    shutil.copyfile(samples["jpeg"][0], path)
    platform = "001191110108MA01ABCD1E2XYZ1"
    [result] = label_many([path], propagate=Propagation(platform, "p-{stem}"))
    assert result.status == "labeled" and result.result is not None
    rec = read(path).label.record  # type: ignore[union-attr]
    assert rec is not None and rec.ContentProducer == PRODUCER and rec.ProduceID == "seed-sample.jpg"
    assert rec.ContentPropagator == platform and rec.PropagateID == "p-a"


def test_label_many_gives_one_result_per_file_and_one_bad_file_never_sinks_the_batch(
    samples: dict[str, list[Path]], tmp_path: Path
) -> None:
    good = tmp_path / "good.png"
    shutil.copyfile(samples["png"][0], good)
    fresh = tmp_path / "fresh.gif"
    shutil.copyfile(samples["gif"][0], fresh)
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    other = "001191110108MA01ABCD1E1XYZ1"
    results = label_many(
        [good, broken, fresh, tmp_path / "missing.png"],
        lambda item, n: Record.new(other, produce_id=f"o-{n}"),
    )
    assert [r.status for r in results] == ["refused", "failed", "refused", "failed"]
    assert isinstance(results[0].error, ForeignLabelError) and results[0].exit_code == 1
    assert results[1].exit_code == 3 and "broken.png" in str(results[1].error)
    mine = label_many(
        [good, fresh], lambda item, n: Record.new(PRODUCER, produce_id=f"m-{n}"), skip_labeled=True
    )
    assert [r.status for r in mine] == ["skipped", "skipped"]


def test_id_templates_are_deterministic_where_asked(tmp_path: Path) -> None:
    path = tmp_path / "x.png"
    path.write_bytes(b"content")
    item = Item(path, Path("sub/x.png"))
    assert expand_id("{uuid5}", item, 1, PRODUCER) == expand_id("{uuid5}", item, 7, PRODUCER)
    assert expand_id("{uuid5}", item, 1, PRODUCER) != expand_id("{uuid5}", item, 1, "00" + "1" * 25)
    assert (
        expand_id("job-{sha256}", item, 1, PRODUCER)
        == "job-" + __import__("hashlib").sha256(b"content").hexdigest()[:32]
    )
    assert expand_id("auto", item, 1, PRODUCER) != expand_id("auto", item, 1, PRODUCER)


def test_read_and_write_accept_bytes_and_file_objects(samples: dict[str, list[Path]]) -> None:
    for name in ("png", "pdf", "jpeg", "html"):
        data = samples[name][0].read_bytes()
        record = Record.new(PRODUCER, produce_id=f"mem-{name}")
        result = write(data, record, name=samples[name][0].name, replace_foreign=True)
        assert result.mode == "memory" and result.data is not None
        assert read(result.data, name=samples[name][0].name).label.record == record  # type: ignore[union-attr]
        out = io.BytesIO()
        write(io.BytesIO(data), record, output=out, name=samples[name][0].name, replace_foreign=True)
        assert out.getvalue() == result.data or read(out.getvalue(), name=samples[name][0].name).valid
        with pytest.raises(ForeignLabelError):
            write(data, Record.new("001191110108MA01ABCD1E1XYZ1"), name=samples[name][0].name)
