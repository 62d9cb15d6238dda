"""The check-digit algorithms of Chinese identifiers, in one place so that every wing checks them the same way.

- GB 32100-2015 unified social credit code (USCC): 18 characters over a 31-letter alphabet, check character mod 31.
- GB 11643-1999 citizen identity number: 17 digits and an ISO 7064 MOD 11-2 check character (0-9 or X).
- Luhn (ISO/IEC 7812-1 annex B) for bank card numbers.

Only arithmetic lives here. Plausibility checks that depend on a domain (an ID's region and birth date, a card's
issuer prefix) stay with the wing that needs them. Digits are Unicode decimal digits (``str.isdecimal``), as
``re``'s ``\\d`` finds them; callers that want ASCII only check that first.
"""

from __future__ import annotations

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
"""The 31 characters GB 32100 uses (no I, O, Z, S, V)."""
USCC_WEIGHTS: tuple[int, ...] = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
"""3**i mod 31 for positions 1-17."""
USCC_AUTHORITIES = "123456789ANY"
"""First character: the registration authority (1 機構编制 ... 9 工商, A 中央军委改革和编制办公室, N 农业, Y 其他)."""

RESIDENT_ID_WEIGHTS: tuple[int, ...] = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
RESIDENT_ID_CHECK = "10X98765432"

_USCC_VALUES = {char: value for value, char in enumerate(USCC_ALPHABET)}


def uscc_check_char(first17: str) -> str:
    """The GB 32100 check character for the first 17 characters of a USCC.

    Raises ValueError when ``first17`` is not 17 characters of the USCC alphabet (upper case).
    """
    if len(first17) != 17:
        raise ValueError("a USCC check character is computed over 17 characters")
    try:
        total = sum(_USCC_VALUES[c] * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    except KeyError as exc:
        raise ValueError(f"{exc.args[0]!r} is not a USCC character") from None
    return USCC_ALPHABET[(31 - total % 31) % 31]


def uscc_is_valid(code: str, *, strict: bool = False) -> bool:
    """True when ``code`` is 18 USCC characters whose check character is right.

    ``strict`` also asks for the structure of GB 32100: a known registration authority in position 1 and six
    administrative-division digits in positions 3-8 (what a scanner of free text needs to avoid false positives).
    Case matters: GB 32100 codes are upper case; callers that accept lower case upper-case first.
    """
    if len(code) != 18 or any(c not in _USCC_VALUES for c in code):
        return False
    if strict and (code[0] not in USCC_AUTHORITIES or not code[2:8].isdigit()):
        return False
    return uscc_check_char(code[:17]) == code[17]


def resident_id_check_char(first17: str) -> str:
    """The GB 11643 (ISO 7064 MOD 11-2) check character of the first 17 digits of a resident ID."""
    if len(first17) != 17 or not first17.isdecimal():
        raise ValueError("a resident ID check character is computed over 17 digits")
    total = sum(int(c) * w for c, w in zip(first17, RESIDENT_ID_WEIGHTS, strict=True))
    return RESIDENT_ID_CHECK[total % 11]


def resident_id_check_ok(value: str) -> bool:
    """True when ``value`` is 17 digits and a right check character (X in either case). No date/region check."""
    v = value.upper()
    if len(v) != 18 or not v[:17].isdecimal():
        return False
    return resident_id_check_char(v[:17]) == v[17]


def luhn_is_valid(digits: str) -> bool:
    """Luhn (mod 10) check of a digit string of at least two digits."""
    if len(digits) < 2 or not digits.isdecimal():
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2 == 1:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return total % 10 == 0


def luhn_check_digit(partial: str) -> str:
    """The digit that makes ``partial + digit`` pass Luhn."""
    if not partial.isdecimal():
        raise ValueError("a Luhn check digit is computed over digits")
    total = 0
    for i, ch in enumerate(reversed(partial)):
        n = int(ch)
        if i % 2 == 0:  # these positions are doubled once the check digit is appended
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return str((10 - total % 10) % 10)
