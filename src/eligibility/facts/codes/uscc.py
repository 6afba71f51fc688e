"""统一社会信用代码 (Unified Social Credit Code, GB 32100-2015).

An 18-character code: registration authority (1), organisation type (2), region (3–8, a GB/T 2260
code), organisation code (9–17, GB 11714) and a check character (18). A wrong check character is
an error; a failing embedded organisation-code check is only a warning, because codes issued to
some registrants (notably 个体工商户) carry organisation codes that do not follow GB 11714.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from eligibility.errors import CodeError

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
"""The 31 code characters (no I, O, S, V, Z); a character's value is its index."""

WEIGHTS: tuple[int, ...] = tuple(pow(3, i, 31) for i in range(17))
"""W1..W17 = 3^(i-1) mod 31: 1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28."""

LENGTH = 18

_VALUE: Mapping[str, int] = MappingProxyType({ch: i for i, ch in enumerate(ALPHABET)})

ORG_CODE_WEIGHTS: tuple[int, ...] = (3, 7, 9, 10, 5, 8, 4, 2)
"""GB 11714 weights over the first 8 characters of the organisation code."""

_ORG_VALUE: Mapping[str, int] = MappingProxyType(
    {ch: int(ch, 36) for ch in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"}
)
"""GB 11714 character values: digits 0–9, letters A–Z = 10–35."""


def check_character(first17: str) -> str:
    """The 18th (check) character for the first 17 characters of a USCC.

    >>> check_character("9144030071526726X")
    'G'
    """
    if len(first17) != LENGTH - 1 or any(ch not in _VALUE for ch in first17):
        raise CodeError(
            f"计算校验码需要 17 位代码字符，收到 '{first17}'",
            f"the check character needs 17 code characters, got '{first17}'",
            value=first17,
        )
    total = sum(_VALUE[ch] * w for ch, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def org_code_check_character(first8: str) -> str:
    """The GB 11714 check character for the first 8 characters of an organisation code.

    >>> org_code_check_character("71526726")
    'X'
    """
    if len(first8) != len(ORG_CODE_WEIGHTS) or any(ch not in _ORG_VALUE for ch in first8):
        raise CodeError(
            f"计算组织机构代码校验位需要 8 位数字或大写字母，收到 '{first8}'",
            f"the organisation-code check needs 8 digits or capital letters, got '{first8}'",
            value=first8,
        )
    total = sum(_ORG_VALUE[ch] * w for ch, w in zip(first8, ORG_CODE_WEIGHTS, strict=True))
    remainder = 11 - total % 11
    return {10: "X", 11: "0"}.get(remainder, str(remainder))


@dataclass(frozen=True)
class USCC:
    """A parsed, check-verified USCC; ``warnings`` holds bilingual notes that are not errors."""

    code: str
    authority: str
    org_type: str
    region: str
    org_code: str
    check: str
    warnings: tuple[str, ...] = ()

    @property
    def is_enterprise(self) -> bool:
        """Registered by market regulation as an enterprise (prefix 91)."""
        return self.code.startswith("91")

    @property
    def is_individual_business(self) -> bool:
        """Registered as an individual business, 个体工商户 (prefix 92)."""
        return self.code.startswith("92")


def _normalise(code: object, field: str) -> str:
    """Text form of a code as typed: NFKC (full-width → ASCII), outer whitespace off, upper case."""
    if not isinstance(code, str):
        raise CodeError(
            f"统一社会信用代码应为文本，收到 {type(code).__name__} 类型的值 {code!r}",
            f"a unified social credit code must be text, got {type(code).__name__} {code!r}",
            field=field,
            value=code,
        )
    return normalise_uscc(code)


def normalise_uscc(code: str) -> str:
    """A USCC as typed, in the one form that profiles, batch duplicate detection and the watch
    compare: NFKC (full-width → ASCII), outer whitespace off, upper case. Not validated."""
    return unicodedata.normalize("NFKC", code).strip().upper()


def is_registration_number(text: str) -> bool:
    """Whether ``text`` (normalised) is a 15-digit 注册号, the business registration number firms had
    before the USCC (2015) and keep when they never re-registered: a key, but not a USCC."""
    return len(text) == 15 and all("0" <= ch <= "9" for ch in text)


def parse_uscc(code: str, field: str = "uscc") -> USCC:
    """Parse and verify a USCC; raise :class:`CodeError` saying exactly what is wrong.

    Accepts surrounding whitespace, lower case and full-width characters.
    """
    text = _normalise(code, field)
    if is_registration_number(text):
        raise CodeError(
            f"'{text}' 是 15 位的旧工商注册号，不是统一社会信用代码；请换用该企业的统一社会信用代码（18 位）",
            f"'{text}' is a 15-digit old business registration number (注册号), not a unified social credit code;"
            " use the firm's 18-character USCC",
            field=field,
            value=code,
            length=len(text),
        )
    if len(text) != LENGTH:
        raise CodeError(
            f"统一社会信用代码应为 18 位，'{text}' 为 {len(text)} 位",
            f"a unified social credit code has 18 characters; '{text}' has {len(text)}",
            field=field,
            value=code,
            length=len(text),
        )
    bad = [(i + 1, ch) for i, ch in enumerate(text) if ch not in _VALUE]
    if bad:
        zh = "、".join(f"第 {pos} 位 '{ch}'" for pos, ch in bad)
        en = ", ".join(f"'{ch}' at position {pos}" for pos, ch in bad)
        raise CodeError(
            f"统一社会信用代码 '{text}' 含有不允许的字符：{zh}"
            f"（只允许数字和除 I、O、S、V、Z 以外的大写字母）",
            f"unified social credit code '{text}' has characters outside the code alphabet: {en}"
            f" (digits and capital letters except I, O, S, V, Z)",
            field=field,
            value=code,
            positions=tuple(pos for pos, _ in bad),
        )
    region = text[2:8]
    if not region.isdigit():
        raise CodeError(
            f"统一社会信用代码 '{text}' 第 3–8 位为行政区划码，应为 6 位数字，实为 '{region}'",
            f"characters 3–8 of unified social credit code '{text}' are a region code and must be"
            f" 6 digits, got '{region}'",
            field=field,
            value=code,
            region=region,
        )
    expected = check_character(text[:17])
    if text[17] != expected:
        raise CodeError(
            f"统一社会信用代码 '{text}' 校验码错误：应为 '{expected}'，实为 '{text[17]}'",
            f"unified social credit code '{text}' fails its check: the 18th character should be"
            f" '{expected}', got '{text[17]}'",
            field=field,
            value=code,
            expected=expected,
            given=text[17],
        )
    org_code = text[8:17]
    return USCC(
        code=text,
        authority=text[0],
        org_type=text[1],
        region=region,
        org_code=org_code,
        check=text[17],
        warnings=_org_code_warnings(org_code),
    )


def _org_code_warnings(org_code: str) -> tuple[str, ...]:
    """Bilingual warnings when the embedded organisation code fails its GB 11714 check."""
    expected = org_code_check_character(org_code[:8])
    if expected == org_code[8]:
        return ()
    return (
        f"内嵌组织机构代码 '{org_code}' 未通过 GB 11714 校验（校验位应为 '{expected}'，实为"
        f" '{org_code[8]}'）/ embedded organisation code '{org_code}' fails its GB 11714 check"
        f" (check character should be '{expected}', got '{org_code[8]}')",
    )


def is_valid_uscc(code: str) -> bool:
    """True when ``code`` parses as a USCC (check character right); warnings do not count."""
    try:
        parse_uscc(code)
    except CodeError:
        return False
    return True
