"""Evidence a content platform collects per uploaded file before it decides (Labeling Measures Art. 6).

Each source is independent and cheap: the GB 45438 label (through :func:`hegui.label.read`) and its integrity
codes, a C2PA manifest (sniffed from the bytes always; read and validated with ``c2pa-python`` when the ``[c2pa]``
extra is installed), the IPTC ``DigitalSourceType`` in XMP, generator fingerprints (a PNG ``parameters`` text chunk,
an EXIF ``Software`` naming a known generator), a visible text label in text files, and the uploader's declaration.
Only headers and bounded windows are read, never whole media.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hegui.errors import HeguiError, InputError, UnsupportedFormatError
from hegui.label import integrity
from hegui.label import read as read_label
from hegui.label.record import RULE_C2PA, RULE_ONE_LABEL, Record

#: bytes read from each end of a file for the byte-level sniffers (XMP, C2PA, generator names)
WINDOW = 256 * 1024
#: containers whose audio the rhythm-cue detector can decode (opt-in: it decodes the whole stream)
AUDIO_CONTAINERS = ("wav", "mp3", "flac", "ogg", "isobmff", "matroska")
# text files checked for a visible label (only their first and last WINDOW bytes)
TEXT_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".svg", ".json", ".csv")

# C2PA: a JUMBF description box (``jumd``) whose type UUID is the C2PA manifest store's ("c2pa" + ISO suffix),
# carried in JPEG APP11, a PNG ``caBX`` chunk, an ISO BMFF ``uuid`` box, RIFF ``C2PA`` and more (C2PA 2.x §A).
C2PA_JUMD = b"jumd" + b"c2pa" + bytes.fromhex("0011001080000000AA00389B71")
C2PA_PNG_CHUNK = b"caBX"
# IPTC Digital Source Type vocabulary: the two terms that mean a trained model made the content.
IPTC_AI_TERMS: tuple[bytes, ...] = (b"compositeWithTrainedAlgorithmicMedia", b"trainedAlgorithmicMedia")
# In XMP only (``Iptc4xmpExt:DigitalSourceType``, attribute, element or rdf:resource form); the C2PA assertion's
# CBOR key is spelled ``digitalSourceType`` and is reported as C2PA evidence instead.
_IPTC_RE = re.compile(
    rb"DigitalSourceType[^<]{0,40}?http://cv\.iptc\.org/newscodes/digitalsourcetype/"
    rb"(compositeWithTrainedAlgorithmicMedia|trainedAlgorithmicMedia)"
)
# EXIF Software / XMP CreatorTool values naming a generator. Lower case; matched as substrings. [impl: what
# real generated files carry; extend here, in one place]
KNOWN_GENERATORS: tuple[str, ...] = (
    "midjourney",
    "dall-e",
    "dall·e",
    "stable diffusion",
    "stablediffusion",
    "novelai",
    "adobe firefly",
    "comfyui",
    "automatic1111",
    "invokeai",
    "fooocus",
    "imagen",
    "ideogram",
    "leonardo.ai",
    "kling",
    "jimeng",
    "即梦",
    "doubao",
    "豆包",
    "tongyi",
    "通义万相",
    "wanxiang",
    "hunyuan",
    "混元",
    "wenxin",
    "文心一格",
    "minimax",
    "hailuo",
    "海螺",
    "vidu",
)
# PNG text chunk keywords written by image generators (A1111 ``parameters``; ComfyUI ``prompt`` / ``workflow``).
PNG_GENERATOR_KEYS: tuple[str, ...] = ("parameters", "prompt", "workflow", "Dream", "sd-metadata")
_GENERATOR_BYTES: tuple[bytes, ...] = tuple(name.encode("utf-8") for name in KNOWN_GENERATORS)
META_HINT_BYTES = 64 * 1024
_PNG_KEY_HINT = re.compile(
    rb"(?:tEXt|zTXt|iTXt)(?:" + b"|".join(re.escape(k.encode()) for k in PNG_GENERATOR_KEYS) + rb")\0"
)
# A visible text label: the AI element and the generation element close together (GB 45438 §5.1). The window of
# 12 characters is a heuristic, not the standard's. [inferred]
_VISIBLE_RE = re.compile(
    r"(人工智能|(?<![A-Za-z])AI(?:GC)?(?![A-Za-z]))[^\n]{0,12}?(生成|合成)"
    r"|(生成|合成)[^\n]{0,6}?(人工智能|(?<![A-Za-z])AI(?![A-Za-z]))"
)


@dataclass
class C2paEvidence:
    present: bool = False
    where: str = ""
    ai_source: str | None = None  # the IPTC digital source type a manifest assertion names
    validated: bool = False  # read through c2pa-python
    validation_state: str | None = None  # "Valid" / "Invalid" / "Trusted" (c2pa-python), None when not read
    claim_generator: str | None = None
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Evidence:
    """Everything found in one file; :func:`hegui.label.platform.verdict.decide` turns it into a verdict."""

    path: str
    size: int = 0
    container: str | None = None
    # "valid" | "invalid" | "malformed" | "duplicated" | "absent" | "unsupported" (no label container for the
    # format) | "unreadable" (the container is broken, so no label could be read)
    label_state: str = "absent"
    record: Record | None = None
    label_count: int = 0
    label_findings: list[dict[str, Any]] = field(default_factory=list)
    integrity: list[integrity.Check] = field(default_factory=list)
    c2pa: C2paEvidence = field(default_factory=C2paEvidence)
    iptc_source_type: str | None = None
    generator: str | None = None
    visible_label: str | None = None
    audio_cue: str | None = None
    declared_ai: bool | None = None
    error: str | None = None

    @property
    def integrity_status(self) -> str:
        return integrity.overall(self.integrity) if self.integrity else "unsigned"

    def traces(self) -> list[str]:
        """The Art. 6 (三) "other traces": each one is a reason the content is suspected."""
        out: list[str] = []
        if self.c2pa.present and self.c2pa.ai_source:
            out.append(f"C2PA manifest ({self.c2pa.where}) states digital source type {self.c2pa.ai_source}")
        if self.iptc_source_type:
            out.append(f"XMP IPTC DigitalSourceType is {self.iptc_source_type}")
        if self.generator:
            out.append(f"generator fingerprint: {self.generator}")
        if self.visible_label:
            out.append(f"visible text label: {self.visible_label!r}")
        if self.audio_cue:
            out.append(self.audio_cue)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "size": self.size,
            "container": self.container,
            "label_state": self.label_state,
            "label_count": self.label_count,
            "record": self.record.to_dict() if self.record is not None else None,
            "label_findings": self.label_findings,
            "integrity": [c.to_dict() for c in self.integrity],
            "integrity_status": self.integrity_status,
            "c2pa": self.c2pa.to_dict(),
            "iptc_source_type": self.iptc_source_type,
            "generator": self.generator,
            "visible_label": self.visible_label,
            "audio_cue": self.audio_cue,
            "declared_ai": self.declared_ai,
            "error": self.error,
        }


def collect(
    path: str | os.PathLike[str],
    *,
    declared_ai: bool | None = None,
    keys: integrity.Keyring | None = None,
    c2pa_validate: bool = True,
    audio_cue: bool = False,
) -> Evidence:
    """Collect the evidence for one file. Raises :class:`InputError` only when the file cannot be opened; bad
    content is evidence (a broken container is reported as ``label_state="unreadable"``)."""
    p = Path(path)
    ev = Evidence(path=str(p), declared_ai=declared_ai)
    try:
        fd = os.open(p, os.O_RDONLY)
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", path=p) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise InputError("not a regular file", path=p)
        ev.size = info.st_size
        head = os.pread(fd, min(WINDOW, ev.size), 0)
        tail = os.pread(fd, WINDOW, ev.size - WINDOW) if ev.size > WINDOW else b""
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", path=p) from None
    finally:
        os.close(fd)
    _label_evidence(p, ev, keys)
    _c2pa_sniff(head, tail, ev)
    if ev.c2pa.present and c2pa_validate:
        _c2pa_read(p, ev)
    match = _IPTC_RE.search(head) or _IPTC_RE.search(tail)
    if match:
        ev.iptc_source_type = match.group(1).decode("ascii")
    ev.generator = _generator(p, ev.container, head)
    if ev.container in (None, "markdown", "html", "svg") and p.suffix.lower() in TEXT_SUFFIXES:
        fmt = (
            "html"
            if ev.container in ("html", "svg")
            else "markdown"
            if ev.container == "markdown"
            else "plain"
        )
        ev.visible_label = _visible_label(head, tail, fmt)
    if audio_cue and ev.container in AUDIO_CONTAINERS:
        ev.audio_cue = _audio_cue(p)
    return ev


def _label_evidence(p: Path, ev: Evidence, keys: integrity.Keyring | None) -> None:
    try:
        scan = read_label(p)
    except UnsupportedFormatError:
        ev.label_state = "unsupported"
        return
    except HeguiError as exc:  # the container itself is broken (truncated, corrupt): no label could be read
        ev.label_state = "unreadable"
        ev.error = str(exc)
        return
    ev.container = scan.container
    real = [item for item in scan.labels if not item.mirror]
    ev.label_count = len(real)
    ev.label_findings = [f.to_dict() for f in scan.findings] + [
        {**f.to_dict(), "location": item.location} for item in real for f in item.findings
    ]
    if not real:
        ev.label_state = "absent"
        return
    chosen = scan.label
    ev.record = chosen.record if chosen is not None else None
    if any(f.rule == RULE_ONE_LABEL and f.severity == "error" for f in scan.findings):
        ev.label_state = "duplicated"
    elif chosen is None or chosen.record is None:
        ev.label_state = "malformed"
    elif scan.valid:
        ev.label_state = "valid"
    else:
        ev.label_state = "invalid"
    if ev.record is not None:
        ev.integrity = integrity.check_record(ev.record, keys, path=p)


def _c2pa_sniff(head: bytes, tail: bytes, ev: Evidence) -> None:
    for window in (head, tail):
        at = window.find(C2PA_JUMD)
        if at < 0:
            continue
        ev.c2pa.present = True
        ev.c2pa.where = _c2pa_carrier(window, at, ev.container)
        for term in IPTC_AI_TERMS:  # CBOR text strings in the actions assertion are stored as plain UTF-8
            if term in window[at:]:
                ev.c2pa.ai_source = term.decode("ascii")
                break
        return
    for finding in ev.label_findings:
        if finding.get("rule") == RULE_C2PA:
            ev.c2pa.present = True
            ev.c2pa.where = "reported by the container reader"


def _c2pa_carrier(window: bytes, at: int, container: str | None) -> str:
    before = window[max(0, at - 64) : at]
    if container == "png" and C2PA_PNG_CHUNK in before:
        return "PNG caBX chunk"
    if container == "jpeg" and b"\xff\xeb" in before:
        return "JPEG APP11 JUMBF"
    return f"JUMBF box ({container or 'unknown container'})"


def _c2pa_read(p: Path, ev: Evidence) -> None:
    """Full reading and validation through c2pa-python (optional extra)."""
    try:
        import c2pa
    except ImportError:
        ev.c2pa.error = "not validated: install hegui[c2pa] (c2pa-python)"
        return
    import json

    try:
        with c2pa.Reader(str(p)) as reader:
            ev.c2pa.validated = True
            ev.c2pa.validation_state = str(reader.get_validation_state())
            store = json.loads(reader.json())
    except Exception as exc:  # c2pa raises its own error types for every kind of bad manifest
        ev.c2pa.validated = True
        ev.c2pa.validation_state = "Invalid"
        ev.c2pa.error = f"{type(exc).__name__}: {exc}"[:300]
        return
    active = store.get("manifests", {}).get(store.get("active_manifest", ""), {})
    generator = active.get("claim_generator") or next(
        (info.get("name") for info in active.get("claim_generator_info", []) if isinstance(info, dict)), None
    )
    ev.c2pa.claim_generator = str(generator) if generator else None
    text = json.dumps(active)
    for term in IPTC_AI_TERMS:
        if term.decode("ascii") in text:
            ev.c2pa.ai_source = term.decode("ascii")
            break


def _generator_hint(container: str, head: bytes) -> bool:
    """Cheap byte test before Pillow opens the image: a PNG text chunk keyword of a generator, or a known
    generator's name in the metadata part of the first window (before the first PNG IDAT / JPEG scan, at most
    64 KiB: where EXIF, XMP and text chunks live; pixel data is never searched)."""
    end = META_HINT_BYTES
    marker = {"png": b"IDAT", "jpeg": b"\xff\xda"}.get(container)
    if marker is not None:
        at = head.find(marker, 0, META_HINT_BYTES)
        end = at if at >= 0 else META_HINT_BYTES
    meta = head[:end]
    if container == "png" and _PNG_KEY_HINT.search(meta):
        return True
    lowered = meta.lower()
    return any(name in lowered for name in _GENERATOR_BYTES)


def _generator(p: Path, container: str | None, head: bytes) -> str | None:
    if container not in ("png", "jpeg", "tiff", "webp", "heif") or not _generator_hint(container, head):
        return None
    try:
        from PIL import Image

        with Image.open(p) as image:
            if container == "png":
                for key in PNG_GENERATOR_KEYS:
                    if key in image.info and isinstance(image.info[key], str):
                        return f"PNG text chunk {key!r} (image-generator parameters)"
            exif = image.getexif()
            for tag, name in ((0x0131, "EXIF Software"), (0x010E, "EXIF ImageDescription")):
                value = exif.get(tag)
                if isinstance(value, bytes):
                    value = value.decode("utf-8", "replace")
                if isinstance(value, str) and (hit := _known_generator(value)):
                    return f"{name} names {hit!r} ({value.strip()[:60]!r})"
    except Exception:  # Pillow cannot open every variant hegui reads labels from; then only the bytes remain
        pass
    match = re.search(
        rb"<xmp:CreatorTool>([^<]{1,120})</xmp:CreatorTool>|xmp:CreatorTool=\"([^\"]{1,120})\"", head
    )
    if match:
        value = (match.group(1) or match.group(2)).decode("utf-8", "replace")
        if hit := _known_generator(value):
            return f"XMP CreatorTool names {hit!r}"
    return None


def _known_generator(value: str) -> str | None:
    lowered = value.lower()
    for name in KNOWN_GENERATORS:
        if name in lowered:
            return name
    return None


def _visible_label(head: bytes, tail: bytes, fmt: str) -> str | None:
    """A visible text label in a text file (GB 45438 §5.1: both elements present). The visible-labels module's
    checker (``hegui.label.explicit.text.check_text``) is used when it is installed; else a simple pattern."""
    texts = [head.decode("utf-8", "ignore")]
    if tail:
        texts.append(tail.decode("utf-8", "ignore"))
    check = _explicit_text_check()
    for text in texts:
        if check is not None:
            result = check(text, fmt=fmt)
            if result.compliant and result.labels:
                return str(result.labels[0].text)
            continue
        match = _VISIBLE_RE.search(text)
        if match:
            return match.group(0)
    return None


def _explicit_text_check() -> Any:
    """``hegui.label.explicit.text.check_text`` when the visible-labels wing is installed, else None."""
    try:
        from hegui.label.explicit import text as explicit_text  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return None
    check = getattr(explicit_text, "check_text", None)
    return check if callable(check) else None


def _audio_cue(p: Path) -> str | None:
    """The 短长短短 rhythm cue of GB 45438 §5.3 c) in an audio file, through the visible-labels wing's detector
    (decodes the audio with ffmpeg: opt-in, see ``collect(audio_cue=True)``). None when absent or not installed."""
    try:
        from hegui.label.explicit import audio  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return None
    try:
        result = audio.check_audio(p)
    except (HeguiError, OSError):
        return None
    if not result.compliant or not result.cues:
        return None
    cue = result.cues[0]
    return f"audio rhythm cue 短长短短 at {cue.start_s:.2f}-{cue.end_s:.2f} s ({cue.tone_hz:.0f} Hz)"
