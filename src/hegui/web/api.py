"""The ``/api`` routes: health, and label verification for content platforms (Labeling Measures Art. 6).

``POST /api/verify`` takes one file as ``multipart/form-data`` (field ``file``). The body is parsed as it streams
in and written to a private temporary folder in chunks, so memory stays bounded whatever the upload size; the
size limit is enforced during the stream (413 as soon as it is passed). Nothing is kept after the response
unless ``keep=true`` and the server has a keep folder.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, JSONResponse
from python_multipart import MultipartParser
from python_multipart.multipart import parse_options_header
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from hegui import __version__
from hegui.label import integrity
from hegui.label.platform import verify_file
from hegui.web.app import Settings, get_settings

router = APIRouter(prefix="/api", tags=["api"])

FIELD_SMALL_LIMIT = 4096  # bytes of a non-file form field (ignored, but bounded)
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")

_ERROR = {
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "properties": {"error": {"type": "string"}, "kind": {"type": "string"}},
                "required": ["error"],
            }
        }
    }
}


@router.get("/health", summary="Liveness and version")
def health() -> dict[str, str]:
    return {"status": "ok", "hegui_version": __version__}


class _Upload:
    """Streaming multipart receiver: the ``file`` part goes to disk, other parts are bounded and dropped."""

    def __init__(self, folder: Path, limit: int) -> None:
        self.folder = folder
        self.limit = limit
        self.path: Path | None = None
        self.filename = ""
        self.size = 0
        self.too_large = False
        self._handle: Any = None
        self._headers: dict[bytes, bytes] = {}
        self._field = b""
        self._value = b""
        self._in_file = False
        self._other = 0

    # python-multipart callbacks
    def on_part_begin(self) -> None:
        self._headers = {}
        self._in_file = False

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._field += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def on_header_end(self) -> None:
        self._headers[self._field.lower()] = self._value
        self._field, self._value = b"", b""

    def on_headers_finished(self) -> None:
        _, params = parse_options_header(self._headers.get(b"content-disposition", b""))
        name = params.get(b"name", b"").decode("utf-8", "replace")
        if name == "file" and self.path is not None:
            raise _SecondFile
        if name == "file":
            raw = params.get(b"filename", b"upload").decode("utf-8", "replace")
            safe = _SAFE_NAME.sub("_", os.path.basename(raw.replace("\\", "/"))).strip("._") or "upload"
            self.filename = raw
            self.path = self.folder / safe[-120:]
            self._handle = open(self.path, "wb")  # noqa: SIM115 - closed in on_part_end / close()
            self._in_file = True

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._in_file:
            self.size += end - start
            if self.size > self.limit:
                self.too_large = True
                raise _TooLarge
            self._handle.write(data[start:end])
        else:
            self._other += end - start
            if self._other > FIELD_SMALL_LIMIT * 16:
                raise _TooLarge

    def on_part_end(self) -> None:
        if self._in_file and self._handle is not None:
            self._handle.close()
            self._handle = None
        self._in_file = False

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def callbacks(self) -> dict[str, Any]:
        names = (
            "on_part_begin",
            "on_header_field",
            "on_header_value",
            "on_header_end",
            "on_headers_finished",
            "on_part_data",
            "on_part_end",
        )
        return {name: getattr(self, name) for name in names}


class _TooLarge(Exception):
    pass


class _SecondFile(Exception):
    pass


_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "properties": {"file": {"type": "string", "format": "binary", "description": "The upload."}},
                "required": ["file"],
            }
        }
    },
}
_VERIFY_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The verdict as JSON, or the stamped file when return_file=true",
        "content": {
            "application/json": {"schema": {"type": "object"}},
            "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
        },
    },
    400: {"description": "Bad request (options, or a body that is not multipart)", **_ERROR},
    413: {"description": "The upload is larger than the server's limit", **_ERROR},
    415: {"description": "The body is not multipart/form-data", **_ERROR},
    422: {"description": "The upload could not be processed", **_ERROR},
}


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


@router.post(
    "/verify",
    summary="Verify one upload: confirmed / possible / suspected / none (Labeling Measures Art. 6)",
    openapi_extra={"requestBody": _BODY},
    responses=_VERIFY_RESPONSES,
)
async def verify(
    request: Request,
    declared_ai: bool | None = Query(None, description="The uploader's declaration (Art. 6 (二))."),
    stamp: bool = Query(False, description="Add the platform's propagation fields (or a Label 2/3 record)."),
    platform_code: str | None = Query(
        None, max_length=64, description="ContentPropagator for stamping (default: the server's)."
    ),
    propagate_id: str | None = Query(None, max_length=200, description="PropagateID (default: a new UUID)."),
    return_file: bool = Query(False, description="Return the stamped file instead of JSON (needs stamp)."),
    keep: bool = Query(False, description="Keep the upload (and stamped copy) in the server's keep folder."),
    audio_cue: bool = Query(False, description="Also listen for the 短长短短 rhythm cue in audio (slower)."),
    settings: Settings = Depends(get_settings),
) -> Any:
    content_type = request.headers.get("content-type", "")
    ctype, params = parse_options_header(content_type)
    if ctype != b"multipart/form-data":
        return _error(415, "send the file as multipart/form-data in a field named 'file'")
    boundary = params.get(b"boundary")
    if not boundary or len(boundary) > 200:
        return _error(400, "multipart/form-data without a valid boundary")
    if return_file and not stamp:
        return _error(400, "return_file needs stamp=true")
    code = platform_code or settings.platform_code
    if stamp and not code:
        return _error(400, "stamping needs platform_code (or a server default)")
    if keep and settings.keep_dir is None:
        return _error(400, "this server keeps no uploads (no keep folder configured)")
    declared_length = request.headers.get("content-length")
    if (
        declared_length
        and declared_length.isdigit()
        and int(declared_length) > settings.max_upload_bytes + 65536
    ):
        return _error(413, f"upload larger than the limit of {settings.max_upload_bytes} bytes")
    folder = Path(tempfile.mkdtemp(prefix="hegui-upload-", dir=settings.temp_dir))
    upload = _Upload(folder, settings.max_upload_bytes)
    cleanup = BackgroundTask(shutil.rmtree, folder, ignore_errors=True)
    try:
        parser = MultipartParser(boundary, upload.callbacks())  # type: ignore[arg-type]
        try:
            async for chunk in request.stream():
                parser.write(chunk)
            parser.finalize()
        except _TooLarge:
            return _error(413, f"upload larger than the limit of {settings.max_upload_bytes} bytes")
        except _SecondFile:
            return _error(400, "send one file per request (one part named 'file')")
        except Exception as exc:  # python-multipart raises its own errors for broken bodies
            return _error(400, f"malformed multipart body: {type(exc).__name__}")
        finally:
            upload.close()
        if upload.path is None or not upload.path.exists():
            return _error(422, "no file part named 'file' in the body")
        if upload.size == 0:
            return _error(422, "the uploaded file is empty")
        out_dir = folder / "stamped"
        out_dir.mkdir()
        keys = integrity.Keyring.load(settings.keys_dir) if settings.keys_dir is not None else None
        result = await run_in_threadpool(
            verify_file,
            upload.path,
            declared_ai=declared_ai,
            keys=keys,
            platform_code=code,
            do_stamp=stamp,
            output=out_dir if stamp else None,
            propagate_id=propagate_id,
            c2pa_validate=settings.c2pa_validate,
            audio_cue=audio_cue,
        )
        result = _public_paths(result, upload.filename, upload.path, folder)
        stamped = out_dir / upload.path.name
        if keep and settings.keep_dir is not None:
            result["kept"] = _keep(settings.keep_dir, upload.path, stamped if stamped.exists() else None)
        if return_file:
            if not stamped.exists():
                # Nothing to return (a "none" verdict is never stamped, Art. 6): an error body, as the schema
                # says every 422 is, with the verification result beside it.
                reason = (result.get("stamp") or {}).get("reason") or result.get("error") or "not stamped"
                return JSONResponse(
                    {"error": f"no stamped file to return: {reason}", "kind": "NotStamped", **result},
                    status_code=422,
                )
            summary = {k: v for k, v in result.items() if k != "evidence"}
            encoded = base64.urlsafe_b64encode(json.dumps(summary, ensure_ascii=False).encode()).decode()
            response = FileResponse(
                stamped,
                media_type="application/octet-stream",
                filename=upload.path.name,
                headers={"X-Hegui-Verdict": result["verdict"], "X-Hegui-Result": encoded},
                background=cleanup,
            )
            cleanup = None  # type: ignore[assignment]  # handed to the response
            return response
        return JSONResponse({"hegui_version": __version__, **result})
    finally:
        if cleanup is not None:
            shutil.rmtree(folder, ignore_errors=True)


def _public_paths(result: dict[str, Any], filename: str, spooled: Path, folder: Path) -> dict[str, Any]:
    """The result with server-side temporary paths replaced by the uploaded file name, everywhere (error messages
    included): no server path leaks to the client."""
    text = json.dumps(result, ensure_ascii=False)
    public = json.dumps(filename, ensure_ascii=False)[1:-1]
    for private in (str(folder / "stamped" / spooled.name), str(spooled), str(folder)):
        text = text.replace(json.dumps(private)[1:-1], public)
    out: dict[str, Any] = json.loads(text)
    return out


def _keep(keep_dir: Path, upload: Path, stamped: Path | None) -> str:
    target = keep_dir / uuid.uuid4().hex
    target.mkdir(parents=True)
    shutil.copy2(upload, target / upload.name)
    if stamped is not None:
        shutil.copy2(stamped, target / ("stamped-" + stamped.name))
    return target.name
