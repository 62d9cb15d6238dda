"""SM2 signature verification through the system's OpenSSL 3 ``libcrypto`` (the fast path of hegui.label.integrity).

``cryptography`` exposes SM3 but not SM2, and the pure-Python SM2 of ``snowland-smx`` verifies a few hundred
signatures a second; OpenSSL 3 does thousands. This module is only a binding: it calls OpenSSL's documented EVP
API (SM2(7): ``EVP_PKEY_CTX_set1_id`` + ``EVP_DigestVerify`` with SM3), all arithmetic is OpenSSL's. When
``libcrypto.so.3`` cannot be loaded, :func:`available` is False and integrity uses snowland-smx.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import threading
from typing import Any

# DER prefix of a SubjectPublicKeyInfo for an SM2 key: id-ecPublicKey with the SM2 curve (1.2.156.10197.1.301),
# followed by the uncompressed point 04 || x || y.
_SPKI_PREFIX = bytes.fromhex("3059301306072a8648ce3d020106082a811ccf5501822d03420004")

_lib: Any = None
_loaded = False
_lock = threading.Lock()
_keys: dict[bytes, int] = {}  # x || y -> EVP_PKEY* (kept for the process's life; one per pinned key)
MAX_CACHED_KEYS = 1024


def _load() -> Any:
    global _lib, _loaded
    if _loaded:
        return _lib
    with _lock:
        if _loaded:
            return _lib
        _loaded = True
        for name in ("libcrypto.so.3", ctypes.util.find_library("crypto")):
            if not name:
                continue
            try:
                lib = ctypes.CDLL(name)
            except OSError:
                continue
            try:
                lib.OpenSSL_version_num.restype = ctypes.c_ulong
                if lib.OpenSSL_version_num() < 0x30000000:
                    continue
                _declare(lib)
            except AttributeError:
                continue
            _lib = lib
            break
    return _lib


def _declare(lib: Any) -> None:
    p, c_int, c_size = ctypes.c_void_p, ctypes.c_int, ctypes.c_size_t
    lib.d2i_PUBKEY.restype = p
    lib.d2i_PUBKEY.argtypes = [p, ctypes.POINTER(ctypes.c_char_p), ctypes.c_long]
    lib.EVP_MD_CTX_new.restype = p
    lib.EVP_MD_CTX_free.argtypes = [p]
    lib.EVP_PKEY_CTX_new.restype = p
    lib.EVP_PKEY_CTX_new.argtypes = [p, p]
    lib.EVP_PKEY_CTX_free.argtypes = [p]
    lib.EVP_PKEY_CTX_set1_id.restype = c_int
    lib.EVP_PKEY_CTX_set1_id.argtypes = [p, ctypes.c_char_p, c_int]
    lib.EVP_MD_CTX_set_pkey_ctx.argtypes = [p, p]
    lib.EVP_sm3.restype = p
    lib.EVP_DigestVerifyInit.restype = c_int
    lib.EVP_DigestVerifyInit.argtypes = [p, p, p, p, p]
    lib.EVP_DigestVerify.restype = c_int
    lib.EVP_DigestVerify.argtypes = [p, ctypes.c_char_p, c_size, ctypes.c_char_p, c_size]
    lib.ERR_clear_error.argtypes = []


def available() -> bool:
    return _load() is not None


def _pkey(lib: Any, point: bytes) -> int | None:
    cached = _keys.get(point)
    if cached is not None:
        return cached
    der = _SPKI_PREFIX + point
    buf = ctypes.c_char_p(der)
    pkey = lib.d2i_PUBKEY(None, ctypes.byref(buf), len(der))
    if not pkey:
        lib.ERR_clear_error()
        return None
    if len(_keys) < MAX_CACHED_KEYS:
        _keys[point] = pkey
    return int(pkey)


def _der_signature(signature: bytes) -> bytes:
    """r || s (64 bytes) as the DER ECDSA-Sig-Value OpenSSL verifies."""

    def integer(value: bytes) -> bytes:
        value = value.lstrip(b"\0") or b"\0"
        if value[0] & 0x80:
            value = b"\0" + value
        return b"\x02" + bytes([len(value)]) + value

    body = integer(signature[:32]) + integer(signature[32:])
    return b"\x30" + bytes([len(body)]) + body


def verify(message: bytes, signature: bytes, point: bytes, uid: bytes) -> bool:
    """SM3withSM2 verification of ``signature`` (r || s) with the public key ``point`` (x || y, 64 bytes)."""
    lib = _load()
    if lib is None:
        raise RuntimeError("OpenSSL 3 libcrypto is not available")
    if len(signature) != 64 or len(point) != 64:
        return False
    pkey = _pkey(lib, point)
    if pkey is None:
        return False
    md_ctx = lib.EVP_MD_CTX_new()
    pkey_ctx = lib.EVP_PKEY_CTX_new(pkey, None)
    try:
        if not md_ctx or not pkey_ctx:
            raise MemoryError("OpenSSL could not allocate a context")
        if lib.EVP_PKEY_CTX_set1_id(pkey_ctx, uid, len(uid)) != 1:
            return False
        lib.EVP_MD_CTX_set_pkey_ctx(md_ctx, pkey_ctx)
        if lib.EVP_DigestVerifyInit(md_ctx, None, lib.EVP_sm3(), None, pkey) != 1:
            return False
        der = _der_signature(signature)
        return bool(lib.EVP_DigestVerify(md_ctx, der, len(der), message, len(message)) == 1)
    finally:
        lib.ERR_clear_error()
        if md_ctx:
            lib.EVP_MD_CTX_free(md_ctx)
        if pkey_ctx:
            lib.EVP_PKEY_CTX_free(pkey_ctx)
