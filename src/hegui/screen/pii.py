"""Chinese personal-information recognisers with checksums, plus masking and redaction.

One pass of a combined candidate regex finds every digit run, e-mail, IP address, licence plate and
travel-document number; each candidate then goes to its recogniser's validator (GB 11643 MOD 11-2 check digit
with date and region sanity, Luhn for bank cards, GB 32100 check character for unified social credit codes ...).
That keeps ordinary text, which has few digits, at memory speed. Person names and addresses need a segmenter:
jieba runs only on short windows around a context word (姓名, 收件人, 住址 ...) or next to another finding, never
over the whole text, because jieba reads about 1 MB/s.

Every :class:`Finding` carries its explanation: the recogniser, the base score, the validation it passed and
the context word that raised the score (presidio's habit; see docs/screen.md).
"""

from __future__ import annotations

import datetime as _dt
import ipaddress
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from hegui import checkdigits
from hegui.errors import UsageError

# ------------------------------------------------------------------------------------------------- validators

# First two digits of a resident ID: provinces, autonomous regions, municipalities (GB/T 2260), plus 71 / 81 / 82
# (Taiwan, Hong Kong, Macao residence permits) and 83 (Taiwan residents' permits). Kept here as one tuple so that a
# correction is a one-line change.
ID_PROVINCES = frozenset(
    {
        11,
        12,
        13,
        14,
        15,
        21,
        22,
        23,
        31,
        32,
        33,
        34,
        35,
        36,
        37,
        41,
        42,
        43,
        44,
        45,
        46,
        50,
        51,
        52,
        53,
        54,
        61,
        62,
        63,
        64,
        65,
        71,
        81,
        82,
        83,
    }
)


def id_check_digit(first17: str) -> str:
    """GB 11643-1999 check character (ISO 7064 MOD 11-2) of the first 17 digits."""
    return checkdigits.resident_id_check_char(first17)


def valid_date(y: int, m: int, d: int, *, earliest: int = 1900) -> bool:
    if y < earliest:
        return False
    try:
        day = _dt.date(y, m, d)
    except ValueError:
        return False
    return day <= _dt.date.today()


def valid_resident_id(value: str) -> bool:
    """18-character resident ID: region, real birth date, MOD 11-2 check character."""
    v = value.upper()
    if len(v) != 18 or not v[:17].isdigit() or not (v[17].isdigit() or v[17] == "X"):
        return False
    if int(v[:2]) not in ID_PROVINCES:
        return False
    if not valid_date(int(v[6:10]), int(v[10:12]), int(v[12:14])):
        return False
    return id_check_digit(v[:17]) == v[17]


def valid_resident_id_15(value: str) -> bool:
    """Old 15-digit ID (1999 and earlier): region and a real 19yy birth date; it has no check digit."""
    if len(value) != 15 or not value.isdigit() or int(value[:2]) not in ID_PROVINCES:
        return False
    return valid_date(1900 + int(value[6:8]), int(value[8:10]), int(value[10:12]))


luhn_ok = checkdigits.luhn_is_valid
luhn_check_digit = checkdigits.luhn_check_digit


CARD_PREFIXES = (
    "62",
    "4",
    "51",
    "52",
    "53",
    "54",
    "55",
    "22",
    "23",
    "24",
    "25",
    "26",
    "27",
    "35",
    "37",
    "34",
    "60",
    "65",
    "9",
)
"""Issuer prefixes accepted for bank cards (UnionPay 62, Visa 4, Mastercard 51-55 / 2221-2720, JCB 35, Amex 34/37,
Discover 60/65, domestic debit 9). A 16-19 digit Luhn-valid run without one of these is not reported."""


def valid_bank_card(digits: str) -> bool:
    return 15 <= len(digits) <= 19 and digits.startswith(CARD_PREFIXES) and luhn_ok(digits)


uscc_check_char = checkdigits.uscc_check_char


def valid_uscc(value: str) -> bool:
    """Unified social credit code: registration-authority code, region digits, GB 32100 check character."""
    return checkdigits.uscc_is_valid(value.upper(), strict=True)


def looks_like_resident_id(value: str) -> bool:
    """17 digits whose region and birth year / month are plausible: a (possibly mistyped) ID, not a USCC."""
    v = value.upper()
    if len(v) != 18 or not v[:17].isdigit():
        return False
    return int(v[:2]) in ID_PROVINCES and 1900 <= int(v[6:10]) <= 2100 and 1 <= int(v[10:12]) <= 12


MOBILE_PREFIXES = re.compile(r"^1(?:3\d|4[5-9]|5[0-35-9]|6[2567]|7[0-8]|8\d|9[0-35-9])")


def valid_mobile(digits: str) -> bool:
    return len(digits) == 11 and bool(MOBILE_PREFIXES.match(digits))


# ------------------------------------------------------------------------------------------------- findings

Kind = Literal[
    "resident_id", "mobile", "landline", "bank_card", "email", "uscc", "passport", "travel_permit",
    "licence_plate", "ip_address", "person_name", "address",
]  # fmt: skip
KINDS: tuple[str, ...] = (
    "resident_id", "mobile", "landline", "bank_card", "email", "uscc", "passport", "travel_permit",
    "licence_plate", "ip_address", "person_name", "address",
)  # fmt: skip
SENSITIVE = frozenset({"resident_id", "bank_card", "passport", "travel_permit"})
"""Kinds that PIPL Art. 28 treats as sensitive personal information (financial accounts, identity documents)."""


@dataclass(frozen=True, slots=True)
class Finding:
    """One piece of personal information: where it is, what it is, and why hegui thinks so."""

    start: int
    end: int
    kind: str
    text: str
    score: float
    explanation: dict[str, Any] = field(default_factory=dict, compare=False)

    def to_json(self) -> dict[str, Any]:
        return {
            "start": self.start,
            "end": self.end,
            "kind": self.kind,
            "text": self.text,
            "score": round(self.score, 3),
            "sensitive": self.kind in SENSITIVE,
            "explanation": self.explanation,
        }


# Context words raise the score of weak patterns (passport numbers, landlines) within CONTEXT_WINDOW characters.
CONTEXT_WINDOW = 12
CONTEXT_BOOST = 0.35
CONTEXT: dict[str, tuple[str, ...]] = {
    "passport": ("护照", "passport", "证件号"),
    "travel_permit": ("通行证", "回乡证", "台胞证", "permit"),
    "landline": ("电话", "座机", "tel", "联系方式", "传真"),
    "bank_card": ("卡号", "银行卡", "账号", "信用卡", "card"),
    "resident_id": ("身份证", "证件号", "id"),
    "uscc": ("信用代码", "统一社会信用代码", "税号"),
}
NAME_CUES = (
    "姓名",
    "名字",
    "联系人",
    "收件人",
    "收货人",
    "我叫",
    "本人",
    "先生",
    "女士",
    "患者",
    "学生",
    "员工",
    "申请人",
    "持卡人",
    "户主",
)
ADDRESS_CUES = ("地址", "住址", "住在", "家住", "寄到", "收货地址", "户籍", "所在地")
NAME_WINDOW = 16
SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
)
"""Common single-character surnames (about 300): a cue word followed by one of these and one or two Han
characters is read as a name even when jieba does not tag it ``nr``."""
_CUED_NAME = re.compile(
    r"(?:姓名|名字|联系人|收件人|收货人|我叫|申请人|持卡人|户主|患者)[：:是为\s]{0,2}([\u4e00-\u9fa5]{2,3})(?=[，,。；;、\s（(]|$)"
)
REPORT_THRESHOLD = 0.5

_D = r"(?<![0-9A-Za-z])"
_E = r"(?![0-9A-Za-z])"
_CANDIDATES = re.compile(
    "|".join(
        [
            r"(?P<email>[A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9.\-]{1,253}\.[A-Za-z]{2,24})",
            _D + r"(?P<uscc>[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{9}[0-9A-HJ-NPQRTUWXY])" + _E,
            _D + r"(?P<idn>\d{17}[\dXx]|\d{15})" + _E,
            _D + r"(?P<card>\d{4}(?:[ \-]\d{4}){3}(?:[ \-]?\d{1,3})?|\d{15,19})" + _E,
            _D + r"(?P<mobile>(?:\+?86[ \-]?)?1\d{2}[ \-]?\d{4}[ \-]?\d{4})" + _E,
            _D + r"(?P<landline>\(?0\d{2,3}\)?[ \-]?\d{7,8})" + _E,
            _D + r"(?P<ipv4>(?:\d{1,3}\.){3}\d{1,3})" + _E,
            r"(?P<ipv6>(?<![0-9A-Fa-f:])(?:[0-9A-Fa-f]{1,4}:){2,7}(?::|[0-9A-Fa-f]{1,4})(?![0-9A-Fa-f:]))",
            _D + r"(?P<doc>[EeGgDdSsPpCcHhMmTtKkLl][A-Za-z]?\d{7,8})" + _E,
            r"(?P<plate>[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼使领][A-Z][·\- ]?[A-HJ-NP-Z0-9]{4,5}[A-HJ-NP-Z0-9挂学警港澳]?)",
        ]
    )
)
_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼使领"
_TRIGGER = re.compile(f"[0-9@:{_PROVINCES}]")  # one class, no repeat: the fastest scan sre offers
TRIGGER_MARGIN = 72
"""Characters scanned on each side of a trigger; covers an e-mail's local part (64) and separators."""
_ADDRESS = re.compile(
    r"(?:[\u4e00-\u9fa5]{2,8}?(?:省|自治区|特别行政区))?"
    r"(?:[\u4e00-\u9fa5]{1,8}?(?:市|州|盟|地区))?"
    r"(?:[\u4e00-\u9fa5]{1,8}?(?:区|县|旗|市))?"
    r"[\u4e00-\u9fa5]{0,12}?(?:路|街|大道|巷|弄|胡同|村|道)"
    r"(?:[0-9一二三四五六七八九十百]+号|[A-Za-z0-9]座|[0-9]+(?:号楼|栋|幢))"
    r"(?:[0-9]+(?:号楼|栋|幢|单元|室|层))*"
)


def _digits(s: str) -> str:
    return "".join(c for c in s if c.isdigit() or c in "Xx")


class PiiScanner:
    """Find personal information. ``kinds`` limits the recognisers; ``names`` switches off the jieba stage."""

    def __init__(
        self, kinds: Iterable[str] | None = None, *, names: bool = True, threshold: float = REPORT_THRESHOLD
    ) -> None:
        chosen = tuple(kinds) if kinds is not None else KINDS
        bad = [k for k in chosen if k not in KINDS]
        if bad:
            raise UsageError(f"unknown PII kinds {bad}; choose from {', '.join(KINDS)}")
        self.kinds = frozenset(chosen)
        self.names = names and bool(self.kinds & {"person_name", "address"})
        self.threshold = threshold
        self._validators: dict[str, Callable[[str, str, int, int], Finding | None]] = {
            "email": self._email,
            "uscc": self._uscc,
            "idn": self._idn,
            "card": self._card,
            "mobile": self._mobile,
            "landline": self._landline,
            "ipv4": self._ip,
            "ipv6": self._ip,
            "doc": self._doc,
            "plate": self._plate,
        }

    def scan(self, text: str) -> list[Finding]:
        """Every finding at or above the threshold, sorted, overlaps resolved in favour of the higher score."""
        found: list[Finding] = []
        for m in self._candidates(text):
            group = m.lastgroup
            assert group is not None
            f = self._validators[group](text, m.group(group), m.start(group), m.end(group))
            if f is None and group in ("idn", "uscc"):
                # A digit run that is not a valid ID may still be a card or a phone number.
                f = self._card(text, m.group(group), m.start(group), m.end(group))
            if f is not None and f.kind in self.kinds and f.score >= self.threshold:
                found.append(f)
        if self.names:
            found += self._names_and_addresses(text, found)
        return _resolve(found)

    @staticmethod
    def _candidates(text: str) -> Iterator[re.Match[str]]:
        """Run the candidate regex only on windows around trigger characters (digits, @, :, plate provinces).

        A one-class regex skips ordinary text at hundreds of MB/s, where the full alternation with its
        look-behinds would crawl; ``finditer(text, pos, endpos)`` keeps the look-behinds honest at window edges.
        """
        n = len(text)
        start = end = -1
        for t in _TRIGGER.finditer(text):
            ws, we = max(0, t.start() - TRIGGER_MARGIN), min(n, t.end() + TRIGGER_MARGIN)
            if start < 0:
                start, end = ws, we
            elif ws <= end:
                end = max(end, we)
            else:
                yield from _CANDIDATES.finditer(text, start, end)
                start, end = ws, we
        if start >= 0:
            yield from _CANDIDATES.finditer(text, start, end)

    # --- recognisers -----------------------------------------------------------------------------------

    def _context(self, text: str, start: int, end: int, kind: str) -> str | None:
        window = text[max(0, start - CONTEXT_WINDOW) : end + CONTEXT_WINDOW].lower()
        return next((w for w in CONTEXT.get(kind, ()) if w in window), None)

    def _make(self, text: str, s: int, e: int, kind: str, score: float, check: str) -> Finding:
        ctx = self._context(text, s, e, kind)
        final = min(1.0, score + (CONTEXT_BOOST if ctx else 0.0))
        return Finding(
            s,
            e,
            kind,
            text[s:e],
            final,
            {"recogniser": kind, "base_score": score, "validation": check, "context": ctx},
        )

    def _email(self, text: str, v: str, s: int, e: int) -> Finding | None:
        local, _, domain = v.rpartition("@")
        if ".." in v or local.startswith(".") or domain.startswith(("-", ".")):
            return None
        return self._make(text, s, e, "email", 0.9, "rfc5322-subset")

    def _uscc(self, text: str, v: str, s: int, e: int) -> Finding | None:
        if v[:17].isdigit() and valid_resident_id(v):
            return self._idn(text, v, s, e)
        if looks_like_resident_id(v) or not valid_uscc(v):
            return None
        return self._make(text, s, e, "uscc", 0.95, "GB 32100 check character")

    def _idn(self, text: str, v: str, s: int, e: int) -> Finding | None:
        if len(v) == 18 and valid_resident_id(v):
            return self._make(text, s, e, "resident_id", 0.98, "GB 11643 MOD 11-2, region, birth date")
        if len(v) == 15 and valid_resident_id_15(v):
            return self._make(
                text, s, e, "resident_id", 0.45, "15-digit: region, birth date (no check digit)"
            )
        return None

    def _card(self, text: str, v: str, s: int, e: int) -> Finding | None:
        d = _digits(v)
        if valid_bank_card(d):
            return self._make(text, s, e, "bank_card", 0.85, "Luhn, issuer prefix, length")
        return None

    def _mobile(self, text: str, v: str, s: int, e: int) -> Finding | None:
        d = _digits(v)
        if d.startswith("86") and len(d) == 13:
            d = d[2:]
        return self._make(text, s, e, "mobile", 0.85, "mainland mobile prefix") if valid_mobile(d) else None

    def _landline(self, text: str, v: str, s: int, e: int) -> Finding | None:
        d = _digits(v)
        has_sep = any(c in v for c in "-() ")
        if not 10 <= len(d) <= 12 or d.startswith("00"):
            return None
        return self._make(text, s, e, "landline", 0.6 if has_sep else 0.3, "area code + 7-8 digits")

    def _ip(self, text: str, v: str, s: int, e: int) -> Finding | None:
        try:
            addr = ipaddress.ip_address(v)
        except ValueError:
            return None
        if addr.version == 4 and v.startswith(("0.", "1.0.", "2.0.")):
            return None  # version-number lookalikes such as 1.0.0.1 are too common
        return self._make(text, s, e, "ip_address", 0.7, f"IPv{addr.version}")

    def _doc(self, text: str, v: str, s: int, e: int) -> Finding | None:
        u = v.upper()
        if u[0] in "EGDSP" and re.fullmatch(r"[EGDSP][A-HJ-NP-Z]?\d{7,8}", u) and len(u) == 9:
            return self._make(text, s, e, "passport", 0.4, "PRC passport pattern (no check digit)")
        if u[0] in "CHMTKL" and re.fullmatch(r"[CHMTKL][A-HJ-NP-Z]?\d{7,8}", u) and len(u) in (9, 11):
            return self._make(text, s, e, "travel_permit", 0.4, "travel permit pattern (no check digit)")
        return None

    def _plate(self, text: str, v: str, s: int, e: int) -> Finding | None:
        body = v[2:].lstrip("·- ")
        if len(body) not in (5, 6):
            return None
        return self._make(text, s, e, "licence_plate", 0.75, "province + issuer letter + 5/6 characters")

    # --- names and addresses (jieba on windows) ---------------------------------------------------------

    def _names_and_addresses(self, text: str, found: list[Finding]) -> list[Finding]:
        windows: list[tuple[int, int, str]] = []
        for cue in (*NAME_CUES, *ADDRESS_CUES):
            at = text.find(cue)
            while at != -1:
                windows.append((max(0, at - 4), min(len(text), at + len(cue) + NAME_WINDOW * 2), cue))
                at = text.find(cue, at + 1)
        for f in found:
            windows.append((max(0, f.start - NAME_WINDOW), min(len(text), f.end + NAME_WINDOW), f.kind))
        out: list[Finding] = []
        if not windows:
            return out
        windows.sort()
        merged: list[list[Any]] = []
        for s, e, cue in windows:
            if merged and s <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], e)
                merged[-1][2].append(cue)
            else:
                merged.append([s, e, [cue]])
        for s, e, cues in merged:
            chunk = text[s:e]
            if "address" in self.kinds:
                for m in _ADDRESS.finditer(chunk):
                    if m.end() - m.start() >= 6:
                        out.append(
                            Finding(s + m.start(), s + m.end(), "address", m.group(), 0.8,
                                    {"recogniser": "address", "base_score": 0.8, "validation": "administrative levels + street + number", "context": ",".join(cues[:3])})
                        )  # fmt: skip
            if "person_name" in self.kinds:
                out += self._person_names(chunk, s, cues)
        return out

    def _person_names(self, chunk: str, base: int, cues: list[str]) -> list[Finding]:
        import jieba.posseg

        _quiet_jieba()
        out = []
        for m in _CUED_NAME.finditer(chunk):
            name = m.group(1)
            if name[0] in SURNAMES:
                out.append(
                    Finding(base + m.start(1), base + m.end(1), "person_name", name, 0.8,
                            {"recogniser": "person_name", "base_score": 0.8, "validation": "cue word + common surname", "context": ",".join(cues[:3])})
                )  # fmt: skip
        pos = 0
        for word, flag in jieba.posseg.cut(chunk):
            if flag == "nr" and 2 <= len(word) <= 4 and all("\u4e00" <= c <= "\u9fff" for c in word):
                score = 0.75 if any(c in NAME_CUES for c in cues) else 0.6
                out.append(
                    Finding(base + pos, base + pos + len(word), "person_name", word, score,
                            {"recogniser": "person_name", "base_score": score, "validation": "jieba POS nr", "context": ",".join(cues[:3])})
                )  # fmt: skip
            pos += len(word)
        return out


def _quiet_jieba() -> None:
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)


def _resolve(found: list[Finding]) -> list[Finding]:
    """Resolve overlaps in favour of the higher score (then the longer span); the rest sorted by position."""
    found.sort(key=lambda f: (f.start, -f.end))
    kept: list[Finding] = []
    for f in found:
        while kept and f.start < kept[-1].end:
            last = kept[-1]
            if (f.score, f.end - f.start) > (last.score, last.end - last.start):
                kept.pop()  # the new finding wins; it may overlap the one before as well
                continue
            break
        else:
            kept.append(f)
    return kept


# ------------------------------------------------------------------------------------------------- masking

MaskStyle = Literal["mask", "redact", "tag"]


def mask_value(f: Finding, style: MaskStyle = "mask") -> str:
    """``mask``: keep a few characters (138****5678); ``redact``: all stars; ``tag``: ``<MOBILE>``."""
    if style == "tag":
        return f"<{f.kind.upper()}>"
    if style == "redact":
        return "*" * len(f.text)
    t = f.text
    keep_head, keep_tail = {
        "resident_id": (6, 4),
        "mobile": (3, 4),
        "bank_card": (4, 4),
        "email": (1, 0),
        "uscc": (4, 2),
        "landline": (4, 2),
        "person_name": (1, 0),
        "address": (6, 0),
        "licence_plate": (2, 0),
    }.get(f.kind, (1, 1))
    if f.kind == "email":
        local, _, domain = t.partition("@")
        return local[:1] + "*" * max(1, len(local) - 1) + "@" + domain
    if len(t) <= keep_head + keep_tail:
        return "*" * len(t)
    middle = "".join(
        "*" if not c.isspace() and c not in "-·" else c for c in t[keep_head : len(t) - keep_tail]
    )
    return t[:keep_head] + middle + t[len(t) - keep_tail :]


def mask(text: str, findings: Iterable[Finding], style: MaskStyle = "mask") -> str:
    """Replace each finding's span; spans must not overlap (``PiiScanner.scan`` guarantees it)."""
    out = []
    pos = 0
    for f in sorted(findings, key=lambda f: f.start):
        if f.start < pos:
            raise UsageError(f"overlapping findings at {f.start}; pass the output of PiiScanner.scan")
        out.append(text[pos : f.start])
        out.append(mask_value(f, style))
        pos = f.end
    out.append(text[pos:])
    return "".join(out)
