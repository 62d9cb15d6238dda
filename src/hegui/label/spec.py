"""Facts of GB 45438-2025 Annex E and the TC260 practice guides, in one place.

Each constant carries the confidence it has in ``shared/reference/labeling.md``. Values marked UNVERIFIED come from
implementers' readings of the guides, not from the guide text itself; change them here and nowhere else.
"""

from __future__ import annotations

from hegui import checkdigits

# Annex E b): the seven keys, in this order. [primary]
FIELDS: tuple[str, ...] = (
    "Label",
    "ContentProducer",
    "ProduceID",
    "ReservedCode1",
    "ContentPropagator",
    "PropagateID",
    "ReservedCode2",
)

# Annex E c): 属于 / 可能 / 疑似 为人工智能生成合成. [primary]
LABEL_MEANINGS: dict[str, str] = {
    "1": "is AI-generated (属于)",
    "2": "possibly AI-generated (可能)",
    "3": "suspected AI-generated (疑似)",
}

# Annex E a): the extension field's name or keyword shall contain "AIGC". [primary]
FIELD_NAME = "AIGC"

# Annex E j): values "mainly" consist of GB 18030 code points 0x21, 0x23-0x5B, 0x5D-0x7E, plus the escape \".
# Read literally on the decoded value: printable ASCII without space and backslash; '"' only as the JSON escape. [primary]
# Space is tolerated by some vendors (gtkit) and appears in real files, so it is a warning, not an error.
ALLOWED_CODEPOINTS: frozenset[int] = frozenset([0x21, 0x22, *range(0x23, 0x5C), *range(0x5D, 0x7F)])
TOLERATED_CODEPOINTS: frozenset[int] = frozenset([0x20])

# Tencent CI limits each value to 2048 UTF-8 characters. [impl, vendor limit, not in the standard]
VENDOR_VALUE_LENGTH_LIMIT = 2048

# XMP: namespace and property for every container that carries XMP. [guide + impl (many)]
XMP_NAMESPACE = "http://www.tc260.org.cn/ns/AIGC/1.0/"
XMP_PREFIX = "TC260"
XMP_PROPERTY = "AIGC"

# Service-provider code: 00 + 20-char subject code + 5-char service extension. [guide + real files]
# From 网安秘字〔2025〕29号 as read by implementers; the guide text itself was not read first-hand. UNVERIFIED details:
# the individual-person subject form (not found), and whether letters other than uppercase A-Z are allowed.
PROVIDER_CODE_LENGTH = 27
PROVIDER_FORMAT_CODE = "00"
PROVIDER_SUBJECT_ORGANISATION = "1"  # position 3: 主体类型 组织
PROVIDER_BINDING_USCC = "1"  # position 4: 绑定方式 统一社会信用代码
PROVIDER_SERVICE_TYPES: dict[str, str] = {"1": "generation (生成合成)", "2": "propagation (内容传播)"}
PROVIDER_NO_EXTENSION = "00000"

# GB 32100-2015 unified social credit code: 18 characters, check digit over the first 17. [standard, well known]
# The alphabet and the arithmetic live in the ground layer (hegui.checkdigits), shared with the screening wing.
USCC_ALPHABET = checkdigits.USCC_ALPHABET
USCC_WEIGHTS = checkdigits.USCC_WEIGHTS

# OOXML custom-properties format id (the standard one for user-defined properties). [my knowledge; ECMA-376]
OOXML_CUSTOM_FMTID = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"

# ISO BMFF uuid box holding XMP (Adobe XMP spec part 3). [impl]
XMP_UUID_ISOBMFF = bytes.fromhex("BE7ACFCB97A942E89C71999491E3AFAC")
