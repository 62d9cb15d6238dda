"""The seven-field AIGC record of GB 45438-2025 Annex E: validation, provider codes, JSON forms, canonical bytes.

Readers are lenient (both JSON forms, missing keys, odd values are reported, not fatal); writers are strict
(:meth:`Record.to_json` always emits all seven keys in Annex E order). Validation keeps errors and warnings apart,
and every finding names the field and the rule it breaks.
"""

from __future__ import annotations

import functools
import html
import json
import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any, Literal

from hegui import checkdigits
from hegui.errors import UsageError
from hegui.label import spec

Severity = Literal["error", "warning"]

# Rule identifiers used in findings. They are stable: scripts may match on them.
RULE_JSON = "json"  # the value is not a JSON object
RULE_KEYS = "annex-e-b"  # keys: missing, unknown, duplicated, not strings
RULE_LABEL = "annex-e-c"  # Label in {"1","2","3"}
RULE_REQUIRED = "annex-e-required"  # a shall-element is empty
RULE_CHARSET = "annex-e-j"  # character set of the values
RULE_PROVIDER_CODE = "provider-code"  # 27-character service-provider code
RULE_USCC = "uscc-check-digit"  # GB 32100 check digit of the embedded USCC
RULE_PROVIDER_NAME = "provider-name"  # a name instead of a code
RULE_PROPAGATION = "propagation-pair"  # ContentPropagator and PropagateID go together
RULE_VENDOR_LIMIT = "vendor-length-limit"
RULE_ONE_LABEL = "gb45438-6.1c"  # the file keeps only one metadata label
RULE_C2PA = "c2pa-binding"
_EMPTY_SHALL = "is empty; Annex E makes it a shall-element"


@dataclass(frozen=True)
class Finding:
    """One validation result. ``field`` is an Annex E key, or None when the finding is about the whole label."""

    severity: Severity
    rule: str
    message: str
    field: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"severity": self.severity, "rule": self.rule, "field": self.field, "message": self.message}

    def __str__(self) -> str:
        where = f"{self.field}: " if self.field else ""
        return f"{self.severity} [{self.rule}] {where}{self.message}"


@dataclass(frozen=True)
class Validation:
    """Findings of one validation, with errors and warnings kept apart."""

    errors: tuple[Finding, ...] = ()
    warnings: tuple[Finding, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def findings(self) -> tuple[Finding, ...]:
        return self.errors + self.warnings

    @classmethod
    def of(cls, findings: Iterable[Finding]) -> Validation:
        items = list(findings)
        if not items:
            return _NO_FINDINGS  # immutable: one instance serves every clean label
        return cls(
            errors=tuple(f for f in items if f.severity == "error"),
            warnings=tuple(f for f in items if f.severity == "warning"),
        )


_NO_FINDINGS = Validation()

# --------------------------------------------------------------------------------------------------------------
# Provider codes


@dataclass(frozen=True)
class ProviderCode:
    """A parsed 27-character service-provider code (TC260 coding rules, 网安秘字〔2025〕29号)."""

    code: str
    subject_code: str
    service_extension: str

    @property
    def uscc(self) -> str | None:
        """The unified social credit code, when the subject is an organisation bound by USCC."""
        if (
            self.subject_code[0] == spec.PROVIDER_SUBJECT_ORGANISATION
            and self.subject_code[1] == spec.PROVIDER_BINDING_USCC
        ):
            return self.subject_code[2:]
        return None

    @property
    def service_type(self) -> str | None:
        """'1' generation, '2' propagation, or None when the extension is unused (00000)."""
        if self.service_extension == spec.PROVIDER_NO_EXTENSION:
            return None
        return self.service_extension[0]

    @property
    def app_code(self) -> str | None:
        return None if self.service_extension == spec.PROVIDER_NO_EXTENSION else self.service_extension[1:]


_CODE_CHARS = re.compile(r"[0-9A-Z]+")
# The GB 32100 arithmetic lives in the ground layer (hegui.checkdigits), shared with the screening wing; these
# names stay for the label wing's callers.
uscc_check_character = functools.lru_cache(maxsize=4096)(checkdigits.uscc_check_char)
"""The GB 32100 check character for the first 17 characters of a unified social credit code (cached: a provider
labels many files with one code). Raises ValueError on a wrong length or a character outside the alphabet."""


def uscc_is_valid(code: str) -> bool:
    """True when ``code`` is 18 USCC characters and its check character is right."""
    return checkdigits.uscc_is_valid(code)


def looks_like_provider_code(value: str) -> bool:
    """Heuristic used to decide whether to validate as a code or as a name: starts with 00 and is mostly code-like."""
    return value.startswith(spec.PROVIDER_FORMAT_CODE) and len(value) >= 20 and value.isalnum()


def check_provider_code(value: str, key: str, *, role: Literal["producer", "propagator"]) -> list[Finding]:
    """Validate a service-provider code, or a plain ASCII name used instead of one."""
    return list(_provider_code_findings(value, key, role))


@functools.lru_cache(maxsize=4096)  # a provider labels many files with one code: check each code once
def _provider_code_findings(value: str, key: str, role: str) -> tuple[Finding, ...]:
    return tuple(_check_provider_code(value, key, role=role))


def _check_provider_code(value: str, key: str, *, role: str) -> list[Finding]:
    out: list[Finding] = []
    if not looks_like_provider_code(value):
        if value.isascii():
            out.append(
                Finding(
                    "warning",
                    RULE_PROVIDER_NAME,
                    f"{value!r} is a name, not the 27-character service-provider code; the coding rules "
                    "(网安秘字〔2025〕29号) recommend the code",
                    key,
                )
            )
        return out
    if len(value) != spec.PROVIDER_CODE_LENGTH:
        out.append(
            Finding(
                "error",
                RULE_PROVIDER_CODE,
                f"a provider code has {spec.PROVIDER_CODE_LENGTH} characters, this one has {len(value)}",
                key,
            )
        )
        return out
    if not _CODE_CHARS.fullmatch(value):
        out.append(
            Finding(
                "error", RULE_PROVIDER_CODE, "a provider code holds only digits and uppercase letters", key
            )
        )
        return out
    parsed = ProviderCode(value, value[2:22], value[22:27])
    uscc = parsed.uscc
    if uscc is not None:
        if any(c not in spec.USCC_ALPHABET for c in uscc):
            bad = sorted({c for c in uscc if c not in spec.USCC_ALPHABET})
            out.append(
                Finding(
                    "error",
                    RULE_USCC,
                    f"the unified social credit code {uscc} holds characters a USCC never uses: {''.join(bad)}",
                    key,
                )
            )
        elif not uscc_is_valid(uscc):
            out.append(
                Finding(
                    "error",
                    RULE_USCC,
                    f"the unified social credit code {uscc} fails its GB 32100 check digit "
                    f"(expected {uscc_check_character(uscc[:17])}, found {uscc[17]})",
                    key,
                )
            )
    else:
        out.append(
            Finding(
                "warning",
                RULE_PROVIDER_CODE,
                f"subject code {parsed.subject_code} is not the organisation/USCC form (11 + USCC); "
                "other forms are not published, so it cannot be checked",
                key,
            )
        )
    service = parsed.service_type
    if service is not None and service not in spec.PROVIDER_SERVICE_TYPES:
        out.append(
            Finding(
                "error",
                RULE_PROVIDER_CODE,
                f"service extension {parsed.service_extension}: position 23 must be 1 (generation) or "
                "2 (propagation), or the whole extension 00000",
                key,
            )
        )
    elif role == "producer" and service == "2":
        out.append(
            Finding("warning", RULE_PROVIDER_CODE, "a producer code with service type 2 (propagation)", key)
        )
    elif role == "propagator" and service == "1":
        out.append(
            Finding("warning", RULE_PROVIDER_CODE, "a propagator code with service type 1 (generation)", key)
        )
    return out


def parse_provider_code(value: str) -> ProviderCode:
    """Parse a 27-character code; raise :class:`UsageError` naming the rule when it is not valid."""
    findings = [f for f in check_provider_code(value, "code", role="producer") if f.severity == "error"]
    if findings or not looks_like_provider_code(value):
        reason = findings[0].message if findings else "not a provider code (00 + 20 + 5 characters)"
        raise UsageError(f"invalid service-provider code {value!r}: {reason}")
    return ProviderCode(value, value[2:22], value[22:27])


# --------------------------------------------------------------------------------------------------------------
# The record


def _class(codepoints: frozenset[int]) -> str:
    return "".join(re.escape(chr(c)) for c in sorted(codepoints))


# One regex pass per value finds anything outside the allowed and tolerated sets (the common case finds nothing).
_OUTSIDE_CHARSET = re.compile(f"[^{_class(spec.ALLOWED_CODEPOINTS | spec.TOLERATED_CODEPOINTS)}]")
_TOLERATED = re.compile(f"[{_class(spec.TOLERATED_CODEPOINTS)}]")
# Only allowed characters: the common case, where no value has a charset finding (one regex call for all values).
_ALLOWED_ONLY = re.compile(f"[{_class(spec.ALLOWED_CODEPOINTS)}]*")


def _charset_findings(key: str, value: str) -> list[Finding]:
    out: list[Finding] = []
    bad = sorted(set(_OUTSIDE_CHARSET.findall(value)))
    if bad:
        shown = ", ".join(f"U+{ord(c):04X}" for c in bad[:8])
        out.append(
            Finding(
                "error",
                RULE_CHARSET,
                f"characters outside Annex E j) (printable ASCII without space and backslash): {shown}",
                key,
            )
        )
    if _TOLERATED.search(value):
        out.append(Finding("warning", RULE_CHARSET, "contains spaces, which Annex E j) does not list", key))
    if len(value) > spec.VENDOR_VALUE_LENGTH_LIMIT:
        out.append(
            Finding(
                "warning",
                RULE_VENDOR_LIMIT,
                f"{len(value)} characters; some platforms (Tencent CI) accept at most {spec.VENDOR_VALUE_LENGTH_LIMIT}",
                key,
            )
        )
    return out


@dataclass(frozen=True)
class Record:
    """An Annex E implicit label. All values are strings; the empty string means "not set"."""

    Label: str = "1"
    ContentProducer: str = ""
    ProduceID: str = ""
    ReservedCode1: str = ""
    ContentPropagator: str = ""
    PropagateID: str = ""
    ReservedCode2: str = ""

    # ---- construction ---------------------------------------------------------------------------------------
    @classmethod
    def new(
        cls,
        producer: str,
        *,
        produce_id: str | None = None,
        label: str = "1",
        propagator: str = "",
        propagate_id: str = "",
        reserved1: str = "",
        reserved2: str = "",
    ) -> Record:
        """A record for freshly generated content; ``produce_id=None`` draws a random UUID."""
        return cls(
            Label=label,
            ContentProducer=producer,
            ProduceID=produce_id if produce_id is not None else new_content_id(),
            ReservedCode1=reserved1,
            ContentPropagator=propagator,
            PropagateID=propagate_id,
            ReservedCode2=reserved2,
        )

    def with_propagation(self, propagator: str, propagate_id: str, *, reserved2: str | None = None) -> Record:
        """The record a platform writes when it propagates the content (Labeling Measures Art. 6)."""
        return replace(
            self,
            ContentPropagator=propagator,
            PropagateID=propagate_id,
            ReservedCode2=self.ReservedCode2 if reserved2 is None else reserved2,
        )

    # ---- validation -----------------------------------------------------------------------------------------
    def validate(self) -> Validation:
        """Annex E findings; computed once per record (records are immutable)."""
        cached: Validation | None = self.__dict__.get("_validation")
        if cached is None:
            cached = self._validate()
            object.__setattr__(self, "_validation", cached)
        return cached

    def _validate(self) -> Validation:
        out: list[Finding] = []
        label, producer, produce_id = self.Label, self.ContentProducer, self.ProduceID
        propagator, propagate_id = self.ContentPropagator, self.PropagateID
        if label not in spec.LABEL_MEANINGS:
            out.append(Finding("error", RULE_LABEL, f'{label!r} is not one of "1", "2", "3"', "Label"))
        if not producer:
            out.append(Finding("error", RULE_REQUIRED, _EMPTY_SHALL, "ContentProducer"))
        if not produce_id:
            out.append(Finding("error", RULE_REQUIRED, _EMPTY_SHALL, "ProduceID"))
        values = (
            label,
            producer,
            produce_id,
            self.ReservedCode1,
            propagator,
            propagate_id,
            self.ReservedCode2,
        )
        # Fast path: every value is short and holds only allowed characters, so none has a charset finding.
        try:
            joined = "".join(values)
            clean = bool(
                _ALLOWED_ONLY.fullmatch(joined)
                and (
                    len(joined) <= spec.VENDOR_VALUE_LENGTH_LIMIT
                    or max(map(len, values)) <= spec.VENDOR_VALUE_LENGTH_LIMIT
                )
            )
        except TypeError:  # a value that is not a string: the slow path reports it as before
            clean = False
        if not clean:
            for key, value in zip(spec.FIELDS, values, strict=True):
                if value:
                    out.extend(_charset_findings(key, value))
        if producer:
            out.extend(_provider_code_findings(producer, "ContentProducer", "producer"))
        if propagator:
            out.extend(_provider_code_findings(propagator, "ContentPropagator", "propagator"))
        if bool(self.ContentPropagator) != bool(self.PropagateID):
            missing = "PropagateID" if self.ContentPropagator else "ContentPropagator"
            out.append(
                Finding("warning", RULE_PROPAGATION, "is empty while its partner field is set", missing)
            )
        return Validation.of(out)

    def require_valid(self) -> Record:
        """Return self, or raise :class:`UsageError` listing every error (writers accept only valid records)."""
        result = self.validate()
        if result.errors:
            raise UsageError(
                "refusing to write an invalid label: " + "; ".join(str(f) for f in result.errors)
            )
        return self

    # ---- serialisation --------------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, str]:
        """The seven keys in Annex E order."""
        return {key: getattr(self, key) for key in spec.FIELDS}

    def to_json(self) -> str:
        """Bare JSON object, for a field that is itself named AIGC (XMP TC260:AIGC, PDF /AIGC, ...)."""
        return json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":"))

    def to_wrapped_json(self) -> str:
        """``{"AIGC":{...}}``, only for general-purpose fields (EXIF UserComment, PNG Description)."""
        return json.dumps({spec.FIELD_NAME: self.to_dict()}, ensure_ascii=False, separators=(",", ":"))

    def canonical_bytes(self) -> bytes:
        """The byte form integrity codes are computed over.

        UTF-8 of the compact JSON object with all seven keys in Annex E order, no whitespace, and both
        ReservedCode fields set to "" (they hold the integrity codes, so they cannot be covered by them).
        """
        body = replace(self, ReservedCode1="", ReservedCode2="")
        return body.to_json().encode("utf-8")

    def tbs_message_a1(self) -> bytes:
        """The message TC260-PG-202511A Appendix A.1 signs: the first three pairs, without braces. [guide]"""
        pairs = (
            json.dumps(k) + ":" + json.dumps(getattr(self, k))
            for k in ("Label", "ContentProducer", "ProduceID")
        )
        return ",".join(pairs).encode("ascii", "backslashreplace")

    def __str__(self) -> str:
        return self.to_json()


def new_content_id() -> str:
    """A unique ASCII content number (UUID4, hyphenated), the form most producers use for ProduceID."""
    return str(uuid.uuid4())


RECORD_KEYS: frozenset[str] = frozenset(f.name for f in fields(Record))
_FIELD_COUNT = len(RECORD_KEYS)
_new = object.__new__


def _record(a: str, b: str, c: str, d: str, e: str, f: str, g: str) -> Record:
    """``Record(a, b, c, d, e, f, g)`` for the read path: the same instance, its fields written straight into its
    ``__dict__`` (a frozen dataclass's ``__init__`` goes through ``object.__setattr__`` once per field)."""
    record: Record = _new(Record)
    state = record.__dict__
    state["Label"] = a
    state["ContentProducer"] = b
    state["ProduceID"] = c
    state["ReservedCode1"] = d
    state["ContentPropagator"] = e
    state["PropagateID"] = f
    state["ReservedCode2"] = g
    return record


# --------------------------------------------------------------------------------------------------------------
# Lenient parsing of the JSON forms


@dataclass(frozen=True)
class ParsedValue:
    """What a reader made of one stored value: the record (if any), the JSON form, and findings."""

    record: Record | None
    form: str  # "bare-json" | "wrapped-json" | "invalid"
    findings: tuple[Finding, ...] = field(default_factory=tuple)


def _parsed(record: Record | None, form: str, findings: tuple[Finding, ...]) -> ParsedValue:
    """``ParsedValue(record, form, findings)``, written straight into the instance (see :func:`_record`)."""
    parsed: ParsedValue = _new(ParsedValue)
    state = parsed.__dict__
    state["record"] = record
    state["form"] = form
    state["findings"] = findings
    return parsed


def _pairs_hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = dict(pairs)
    if len(result) == len(pairs):  # no key twice: the common case
        return result
    result = {}
    duplicates: list[str] = []
    for key, value in pairs:
        if key in result:
            duplicates.append(key)
        result[key] = value
    if duplicates:
        result["\x00duplicates"] = duplicates
    return result


# One decoder for every value (json.loads would build a new one per call because of the hook).
_DECODER = json.JSONDecoder(object_pairs_hook=_pairs_hook)


def record_from_mapping(data: Mapping[str, Any], *, form: str = "mapping") -> ParsedValue:
    """Build a record from a mapping of the seven keys, tolerating missing keys and odd value types."""
    if len(data) == _FIELD_COUNT and data.keys() == RECORD_KEYS:
        # Fast path, the common case: exactly the seven keys, once each, all strings. Same result as below.
        a, b, c, d, e, f, g = (
            data["Label"],
            data["ContentProducer"],
            data["ProduceID"],
            data["ReservedCode1"],
            data["ContentPropagator"],
            data["PropagateID"],
            data["ReservedCode2"],
        )
        if (
            type(a) is str
            and type(b) is str
            and type(c) is str
            and type(d) is str
            and type(e) is str
            and type(f) is str
            and type(g) is str
        ):
            record = _record(a, b, c, d, e, f, g)
            return _parsed(record, form, record.validate().findings)
    findings: list[Finding] = []
    values: dict[str, str] = {}
    duplicates = data.get("\x00duplicates", [])
    for key in duplicates:
        findings.append(Finding("error", RULE_KEYS, "appears more than once; the last value is used", key))
    for key, value in data.items():
        if key == "\x00duplicates":
            continue
        if key not in RECORD_KEYS:
            findings.append(Finding("warning", RULE_KEYS, "is not an Annex E key and is ignored", str(key)))
            continue
        if isinstance(value, str):
            values[key] = value
        elif value is None:
            values[key] = ""
            findings.append(Finding("warning", RULE_KEYS, "is null; Annex E values are strings", key))
        elif isinstance(value, bool | int | float):
            values[key] = json.dumps(value) if isinstance(value, bool) else str(value)
            findings.append(
                Finding(
                    "warning",
                    RULE_KEYS,
                    f"is a {type(value).__name__}, not a string; read as {values[key]!r}",
                    key,
                )
            )
        else:
            findings.append(Finding("error", RULE_KEYS, f"is a {type(value).__name__}, not a string", key))
    for key in spec.FIELDS:
        if key not in values and not any(f.field == key and f.rule == RULE_KEYS for f in findings):
            severity: Severity = "error" if key in ("Label", "ContentProducer", "ProduceID") else "warning"
            findings.append(Finding(severity, RULE_KEYS, "is missing", key))
    record = Record(**{key: values.get(key, "") for key in spec.FIELDS})
    if "Label" not in values:
        record = replace(record, Label="")
    validation = record.validate()
    # Do not report "is empty" twice for a key already reported missing.
    missing = {f.field for f in findings if f.rule == RULE_KEYS}
    findings.extend(f for f in validation.findings if not (f.rule == RULE_REQUIRED and f.field in missing))
    if "Label" not in values:
        findings = [f for f in findings if f.rule != RULE_LABEL]
    return ParsedValue(record, form, tuple(findings))


# The JSON hegui writes (Record.to_json, to_wrapped_json): the seven keys once each in Annex E order, no white
# space, string values without escapes or control characters. json would decode such text to exactly these
# strings, in a dict that takes record_from_mapping's fast path; it is read with one match instead.
_JSON_VALUE = '"([^"\\\\\\x00-\\x1f]*)"'
_CANONICAL_JSON = re.compile("\\{" + ",".join(f'"{key}":{_JSON_VALUE}' for key in spec.FIELDS) + "\\}")
_WRAPPED_PREFIX = '{"' + spec.FIELD_NAME + '":'


def parse_value(text: str) -> ParsedValue:
    """Parse a stored label value: bare object or ``{"AIGC":{...}}`` wrapper, also HTML-entity-escaped JSON.

    Never raises on bad content: an unparseable value comes back with ``record=None`` and an error finding.
    """
    candidate = text.strip().strip("\x00").strip()
    if candidate.startswith("AIGC{"):  # bare blob seen in a JPEG APP segment (reference §2.3)
        candidate = candidate[4:]
    if "&" in candidate and ("&quot;" in candidate or "&#34;" in candidate or "&#x22;" in candidate):
        candidate = html.unescape(candidate)
    if candidate.startswith(_WRAPPED_PREFIX):
        canonical = _CANONICAL_JSON.fullmatch(candidate, len(_WRAPPED_PREFIX), len(candidate) - 1)
        form = "wrapped-json" if canonical is not None and candidate[-1] == "}" else ""
    else:
        canonical = _CANONICAL_JSON.fullmatch(candidate)
        form = "bare-json"
    if canonical is not None and form:
        record = _record(*canonical.groups())
        return _parsed(record, form, record.validate().findings)
    try:
        data = _DECODER.decode(candidate)
    except (ValueError, RecursionError) as exc:
        return ParsedValue(None, "invalid", (Finding("error", RULE_JSON, f"not JSON: {exc}"),))
    if not isinstance(data, dict):
        return ParsedValue(
            None, "invalid", (Finding("error", RULE_JSON, "the value is JSON but not an object"),)
        )
    inner = data.get(spec.FIELD_NAME)
    if isinstance(inner, dict) and len([k for k in data if k != "\x00duplicates"]) == 1:
        return record_from_mapping(inner, form="wrapped-json")
    if isinstance(inner, str):  # {"AIGC": "{...}"}: a wrapper holding a JSON string
        nested = parse_value(inner)
        return ParsedValue(nested.record, "wrapped-json", nested.findings)
    return record_from_mapping(data, form="bare-json")
