"""Cell values as departments write them → the spellings the profile schema reads.

Per field kind (:func:`normalise_value`): placeholders (``-``, ``—``, ``NULL``, ``#N/A``, ``暂无`` …)
are unknown, never zero; full-width digits and letters are folded (NFKC) in codes, numbers, money,
dates and vocabularies; yes/no (是/否, 有/无, Y/N, √/×, 1/0, TRUE/FALSE), taxpayer type, filing
period, credit rating (``A级``), ownership and register basis have their common Chinese spellings;
dates in every common form (``2024-03-01``, ``2024/3/1``, ``2024.3.1``, ``2024年3月1日``,
``20240301``, Excel serial numbers, datetimes at midnight); region codes written as numbers
(``530802.0``) or as 12-digit statistical codes; money with thousands separators, a trailing
``元`` and the unit of its header. A value that cannot be read is passed on unchanged, so that the
profile schema refuses it with its own words and the batch reports it for that field and row.

:func:`normalise_column` does this for a whole column, once per distinct value, and skips columns
whose values are already in canonical form (checked in Arrow), so clean files pay almost nothing.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..backends.vectorized.ingest import share_encoding
from ..facts.codes.regions import region_by_name

__all__ = [
    "PLACEHOLDERS", "ColumnCounts", "UNREAD", "kind_of", "normalise_column", "normalise_value", "parse_date",
    "parse_period",
]

#: cell texts meaning "no data" (compared after NFKC and trimming): unknown, not zero, not an error
PLACEHOLDERS = frozenset({
    "", "-", "--", "---", "—", "——", "/", "\\", "无", "暂无", "null", "NULL", "Null", "None", "none", "N/A", "n/a",
    "NA", "#N/A", "nan", "NaN", "NAN", "空", "不详", "未知",
})

#: returned by :func:`normalise_value` for a value it cannot read (the cell is passed on as it was)
UNREAD = object()

_TRUE = {"是", "有", "y", "yes", "true", "t", "1", "√", "✓", "✔", "对", "真"}
_FALSE = {"否", "无", "n", "no", "false", "f", "0", "×", "✗", "✘", "x", "错", "假"}

#: field → value spelling (NFKC, lower case) → canonical value
VOCABULARIES: dict[str, dict[str, str]] = {
    "vat_taxpayer": {"一般纳税人": "general", "一般": "general", "小规模纳税人": "small_scale", "小规模": "small_scale",
                     "general": "general", "small_scale": "small_scale"},
    "vat_filing_period": {"按月": "month", "月": "month", "月报": "month", "按月申报": "month", "月度": "month",
                          "按季": "quarter", "季": "quarter", "季报": "quarter", "按季申报": "quarter", "按季度": "quarter",
                          "季度": "quarter", "month": "month", "quarter": "quarter"},
    "ownership": {"私营": "private", "民营": "private", "私有": "private", "国有": "state", "国有控股": "state",
                  "外资": "foreign", "外商投资": "foreign", "港澳台投资": "foreign", "集体": "collective",
                  "其他": "other"},
    "registers.above_quota_trade.basis": {"月度": "month", "月": "month", "年度": "year", "年": "year"},
    "certifications[].kind": {"高新技术企业": "high_tech", "高企": "high_tech", "国家高新技术企业": "high_tech",
                              "科技型中小企业": "tech_sme", "专精特新中小企业": "specialised_sme", "专精特新": "specialised_sme",
                              "专精特新\"成长\"企业": "specialised_growth", "专精特新成长企业": "specialised_growth",
                              "创新型中小企业": "specialised_growth",
                              "专精特新\"小巨人\"": "little_giant", "专精特新\"小巨人\"企业": "little_giant",
                              "小巨人": "little_giant", "专精特新小巨人": "little_giant",
                              "制造业单项冠军": "single_champion", "单项冠军": "single_champion"},
    "certifications[].level": {"国家级": "national", "国家": "national", "省级": "provincial", "省": "provincial",
                               "市级": "municipal", "市": "municipal", "州级": "municipal", "地市级": "municipal"},
}
_RATING = re.compile(r"^([abmcd])(级|类)?$")


def kind_of(path: str) -> str:
    """How values of a field are read: money, number, date, bool, enum, region, industry, uscc, str,
    or other (lists and records: left to the schema)."""
    from ..facts.profile import registry

    spec = registry().get(path)
    if spec is None:
        return "str"
    t = spec.type
    if t.kind in ("list", "record"):
        return "other"
    if t.kind == "code":
        return {"region": "region", "industry": "industry", "uscc": "uscc"}.get(t.code or "", "str")
    return t.kind if t.kind in ("money", "number", "date", "bool", "enum") else "str"


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


_EPOCH = date(1899, 12, 30)  # Excel's day 0 (with its 1900 leap-year bug, serials ≥ 61 are right)
_DATE_FORMS = [
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ t]0{1,2}:0{2}(?::0{2}(?:\.0+)?)?)?$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
]
_SERIAL = re.compile(r"^(\d{5})(?:\.0+)?$")


def parse_date(value: Any, formats: tuple[str, ...] = ()) -> date | None:
    """A date from any common spelling (and ``formats``, strptime patterns), else None.

    >>> [parse_date(v) for v in ("2019年5月20日", "2019/5/20", "20190520", "43605", "2019-05-20 00:00:00")]
    [datetime.date(2019, 5, 20), datetime.date(2019, 5, 20), datetime.date(2019, 5, 20), datetime.date(2019, 5, 20), datetime.date(2019, 5, 20)]
    """
    if isinstance(value, datetime):
        return value.date() if value.time() == datetime.min.time() else None
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        f = float(value)
        if f.is_integer() and 20_000 <= f <= 80_000:
            return _EPOCH + timedelta(days=int(f))
        value = str(int(f)) if f.is_integer() else str(value)
    text = _fold(str(value)).lower()
    m = _SERIAL.match(text)
    if m and 20_000 <= int(m.group(1)) <= 80_000:
        return _EPOCH + timedelta(days=int(m.group(1)))
    for form in _DATE_FORMS:
        m = form.match(text)
        if m:
            try:
                return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except ValueError:
                return None
    for fmt in formats:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


_PERIOD_MONTH = [re.compile(r"^(\d{4})[-/.](\d{1,2})$"), re.compile(r"^(\d{4})年(\d{1,2})月(?:份)?$"),
                 re.compile(r"^(\d{4})(\d{2})$")]
_QUARTERS = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_PERIOD_QUARTER = re.compile(r"^(\d{4})年?(?:第)?([一二三四1-4])季度?$|^(\d{4})-?q([1-4])$")


def parse_period(value: Any) -> tuple[date, date] | None:
    """A period (first and last day) from ``2024-03``, ``2024年3月``, ``202403``, ``2024年第一季度``,
    ``2024Q1``, ``2024年`` or a single date; None when it cannot be read.

    >>> parse_period("2024年第一季度")
    (datetime.date(2024, 1, 1), datetime.date(2024, 3, 31))
    """
    text = _fold(str(value)).lower()
    for form in _PERIOD_MONTH:
        m = form.match(text)
        if m and 1 <= int(m.group(2)) <= 12:
            y, mo = int(m.group(1)), int(m.group(2))
            return date(y, mo, 1), _month_end(y, mo)
    m = _PERIOD_QUARTER.match(text)
    if m:
        y = int(m.group(1) or m.group(3))
        q = _QUARTERS[m.group(2) or m.group(4)]
        return date(y, 3 * q - 2, 1), _month_end(y, 3 * q)
    m = re.match(r"^(\d{4})年?(?:度)?$", text)
    if m:
        y = int(m.group(1))
        return date(y, 1, 1), date(y, 12, 31)
    day = parse_date(value)
    return (day, day) if day else None


def _month_end(y: int, m: int) -> date:
    return (date(y + (m == 12), m % 12 + 1, 1) - timedelta(days=1))


_THOUSANDS = re.compile(r"^[-+]?\d{1,3}(,\d{3})+(\.\d+)?$")
_NUMBER = re.compile(r"^[-+]?\d+(\.\d+)?$")
_OWN_UNIT = re.compile(r"^[-+]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?(万|亿)元?$")


def _number_text(text: str) -> str | None:
    """Digits of a number as written (thousands separators in groups of three), else None."""
    t = text.replace("，", ",").replace(" ", "")
    if _THOUSANDS.match(t):
        t = t.replace(",", "")
    return t if _NUMBER.match(t) else None


def _canonical(amount: Decimal) -> str:
    if amount == amount.to_integral_value():
        return str(amount.quantize(Decimal(1)))
    return format(amount.normalize(), "f")


def normalise_value(kind: str, path: str, value: Any, factor: Decimal | None = None,
                    vocabulary: Mapping[str, Any] | None = None, formats: tuple[str, ...] = ()) -> Any:
    """One cell → the canonical spelling of its field (text; a date cell stays a date), None for a
    placeholder, or
    :data:`UNREAD` when it cannot be read (the caller keeps the cell as it was).

    ``factor``: the unit of a money column (×1000 for 千元 …); ``vocabulary``: extra spellings
    (a mapping file's ``values:``) tried first; ``formats``: extra date formats.

    >>> normalise_value("region", "region_code", 530802.0), normalise_value("region", "region_code", "530802001000")
    ('530802', '530802')
    >>> normalise_value("enum", "vat_taxpayer", "小规模纳税人"), normalise_value("number", "employees", "１８０")
    ('small_scale', '180')
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (float, np.floating)) and math.isnan(value):
        return None
    if isinstance(value, (datetime, date)):
        if kind == "date":  # a date cell stays a date
            d = parse_date(value)
            return d if d else UNREAD
        value = value.isoformat()
    if isinstance(value, (bool, np.bool_)):
        return ("true" if value else "false") if kind == "bool" else UNREAD
    if isinstance(value, (float, np.floating)) and float(value).is_integer() and kind != "money":
        value = int(value)
    if isinstance(value, Decimal) and kind != "money":
        value = str(value)
    if isinstance(value, (int, np.integer, float, np.floating, Decimal)) and kind == "date":
        d = parse_date(value, formats)
        return d.isoformat() if d else UNREAD
    raw = value if isinstance(value, str) else (repr(float(value)) if isinstance(value, (float, np.floating))
                                                 else str(value))
    text = raw.strip() if kind == "str" else _fold(raw)
    low = text.lower()
    if kind == "bool" and (low in _TRUE or low in _FALSE):  # 无 is "no" here (有/无), not a placeholder
        return "true" if low in _TRUE else "false"
    if text in PLACEHOLDERS:
        return None
    if vocabulary:
        hit = vocabulary.get(text, vocabulary.get(text.lower()))
        if hit is not None:
            return ("true" if hit else "false") if isinstance(hit, bool) else str(hit)
    if kind == "str":
        return text
    if kind == "bool":
        return UNREAD
    if kind == "enum":
        from ..facts.profile import registry

        allowed = registry()[path].type.values
        if text in allowed:
            return text
        if path == "tax_credit_rating":
            m = _RATING.match(low)
            return m.group(1).upper() if m else UNREAD
        voc = VOCABULARIES.get(path, {})
        hit = voc.get(text, voc.get(low))
        if hit is None and low in allowed:
            hit = low
        return hit if hit is not None else UNREAD
    if kind == "date":
        d = parse_date(text, formats)
        return d.isoformat() if d else UNREAD
    if kind == "region":
        t = text[:-2] if re.fullmatch(r"\d{6}\.0", text) else text
        if re.fullmatch(r"\d{12}|\d{9}", t):
            return t[:6]
        if re.fullmatch(r"\d{6}", t):
            return t
        return region_by_name(t) or UNREAD  # a county written by its name
    if kind == "industry":
        t = text.upper().replace(" ", "")
        if re.fullmatch(r"\d{1,4}\.0", t):
            t = t[:-2]
        if re.fullmatch(r"\d{3}", t) and path == "industry_code" and not isinstance(value, str):
            t = "0" + t  # a number that lost its leading zero (0111 → 111)
        return t if re.fullmatch(r"[A-Z]?\d{0,4}", t) and t else UNREAD
    if kind == "uscc":
        t = re.sub(r"\s+", "", text).upper()
        if re.fullmatch(r"\d{15}\.0", t):  # a 15-digit 注册号 that Excel held as a number
            t = t[:-2]
        return t if t else None
    if kind in ("money", "number"):
        t = text
        if kind == "money" and t.endswith("元") and not t.endswith(("万元", "亿元", "千元")):
            t = t[:-1]
        for unit in ("人", "户", "家", "个"):
            if kind == "number" and t.endswith(unit):
                t = t[:-1]
        digits = _number_text(t)
        if digits is None:
            if kind == "money" and (factor is None or factor == 1) and _OWN_UNIT.match(t):
                return t  # "123.4万", "1.5亿元": the schema reads a value carrying its own unit
            return UNREAD
        if kind == "money":
            try:
                amount = Decimal(digits) * (factor or Decimal(1))
            except InvalidOperation:
                return UNREAD
            return _canonical(amount)
        d = Decimal(digits)
        return _canonical(d)
    return text


#: already-canonical text per kind (checked in Arrow before anything is looked at in Python)
_CANON: dict[str, str] = {
    "money": r"^-?\d+(\.\d{1,2})?$", "number": r"^-?\d+(\.\d+)?$", "date": r"^\d{4}-\d{2}-\d{2}$",
    "bool": r"^(true|false)$", "region": r"^\d{6}$", "industry": r"^[A-T](\d{2,4})?$", "uscc": r"^[0-9A-Z]{18}$",
}


@dataclass
class ColumnCounts:
    """Per column: values read, unknown (empty or a placeholder) and refused, with examples of the
    refused (row, cell text); counts add up over chunks."""

    field: str
    read: int = 0
    unknown: int = 0
    refused: int = 0
    examples: list[tuple[int, str]] = field(default_factory=list)

    def add(self, other: ColumnCounts, keep: int = 5) -> None:
        self.read += other.read
        self.unknown += other.unknown
        self.refused += other.refused
        self.examples.extend(other.examples[: max(0, keep - len(self.examples))])


def normalise_column(series: pd.Series, path: str, rows: np.ndarray, factor: Decimal | None = None,
                     vocabulary: Mapping[str, Any] | None = None, formats: tuple[str, ...] = ()
                     ) -> tuple[pd.Series, ColumnCounts]:
    """A column's values in canonical spelling (cells that cannot be read kept as they were, for the
    schema to refuse) and its counts; ``rows`` numbers the column's rows for the examples.

    Text columns held in Arrow are worked on their distinct values (a dictionary): only values not
    already canonical are looked at in Python, and a clean column comes back as it was."""
    kind = kind_of(path)
    n = len(series)
    arrow = isinstance(series.dtype, pd.ArrowDtype)
    textual = arrow and pa.types.is_string(series.dtype.pyarrow_dtype)
    if kind == "other" or not (textual or series.dtype == object):  # typed columns are read as they are
        if kind == "other" and series.dtype == object:
            unknown = 0
        else:  # an Arrow column's nulls are counted by Arrow (pandas' isna of it is the same mask)
            unknown = series.array.__arrow_array__().null_count if arrow else int(series.isna().sum())
        return series, ColumnCounts(path, n - unknown, unknown)
    if textual:
        arr = series.array.__arrow_array__()  # type: ignore[attr-defined]
        if isinstance(arr, pa.ChunkedArray):  # one chunk is taken as it is (combining copies it)
            arr = arr.chunk(0) if arr.num_chunks == 1 else arr.combine_chunks()
        check = _canonical_check(kind, path, vocabulary, factor)
        if kind == "uscc" and check is not None and all_plain_usccs(arr):  # the usual USCC column: as it was
            return series, ColumnCounts(path, n, 0)
        by_pattern = check is not None and (kind in _CANON and kind not in ("uscc", "region") or kind == "enum")
        # a regular expression or an enumeration's values are tested on the distinct values (the
        # ingest then takes the encoding instead of looking each cell up again); the other tests are
        # single kernels, cheaper on the column than a dictionary of it
        if check is not None and not by_pattern and pc.all(check(arr)).as_py() is not False:
            return series, ColumnCounts(path, n - arr.null_count, arr.null_count)  # every cell canonical: as it was
        encoded = pc.dictionary_encode(arr)
        dictionary = encoded.dictionary
        if by_pattern and pc.all(check(dictionary)).as_py() is not False:  # type: ignore[misc]
            share_encoding(arr, encoded)  # the ingest of this chunk takes it: the column is encoded once
            return series, ColumnCounts(path, n - arr.null_count, arr.null_count)
        codes = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64)
        valid = codes >= 0
        if check is not None:
            canon_np = check(dictionary).to_numpy(zero_copy_only=False).astype(bool)
        else:
            canon_np = np.zeros(len(dictionary), bool)
        uniq = dictionary.to_pylist()
        out_u, state = _normalise_uniques(kind, path, uniq, canon_np, factor, vocabulary, formats)
        counts = _counts(path, np.where(valid, codes, len(uniq)), state, rows, uniq)
        if counts.unknown == arr.null_count and (canon_np.all() or _as_written(out_u[:-1], uniq)):
            share_encoding(arr, encoded)  # every value as written (read, or refused and kept): as it was
            return series, counts
        taken = pa.array(out_u[:-1].tolist(), pa.string()).take(encoded.indices)
        return pd.Series(pd.array(taken, dtype=pd.ArrowDtype(pa.string())), index=series.index,
                         name=series.name), counts
    values = series.to_numpy(dtype=object)
    if not n:
        return series, ColumnCounts(path)
    if kind in _CANON or kind == "str":  # text only (an Excel column of codes, names): the Arrow path
        try:
            text = pa.array(values, from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            text = None
        if text is not None and pa.types.is_string(text.type):
            arrow = pd.Series(pd.array(text, dtype=pd.ArrowDtype(pa.string())), index=series.index, name=series.name)
            return normalise_column(arrow, path, rows, factor, vocabulary, formats)
    try:
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        uniq = list(uniques)
    except TypeError:  # unhashable cells: one by one
        codes, uniq = np.arange(n), list(values)
    out_u, state = _normalise_uniques(kind, path, uniq, np.zeros(len(uniq), bool), factor, vocabulary, formats)
    full = np.where(codes < 0, len(uniq), codes)
    counts = _counts(path, full, state, rows, uniq)
    return pd.Series(out_u[full], index=series.index, name=series.name, dtype=object), counts


def _canonical_check(kind: str, path: str, vocabulary: Mapping[str, Any] | None, factor: Decimal | None
                     ) -> Callable[[pa.Array], pa.Array] | None:
    """For a text column of ``kind``: a test in Arrow of which values are already in canonical form
    (:func:`normalise_value` would return them unchanged), or None when every value must be looked at.
    A value the test passes is kept as it is, so it passes exactly what :data:`_CANON`'s pattern (a
    text field: not a placeholder; an enumeration: one of its values) passes; the cheap forms of the
    uscc and region patterns test the same thing without a regular expression."""
    if kind == "str" and not vocabulary:  # a mapping's value spellings apply to text fields too
        return _not_placeholder
    if vocabulary or (factor is not None and factor != 1):
        return None
    if kind == "uscc":  # ^[0-9A-Z]{18}$
        return lambda a: pc.and_(pc.and_(pc.equal(pc.binary_length(a), 18), pc.ascii_is_alnum(a)),
                                 pc.equal(pc.ascii_upper(a), a))
    if kind == "region":  # ^\d{6}$
        return lambda a: pc.and_(pc.equal(pc.binary_length(a), 6), pc.ascii_is_decimal(a))
    if kind == "enum":
        from ..facts.profile import registry

        allowed = pa.array(sorted(v for v in registry()[path].type.values
                                  if isinstance(v, str) and _fold(v) == v and v not in PLACEHOLDERS),
                           pa.string())
        # a missing cell passes (it is counted unknown either way): a column with gaps stays on the
        # one-kernel path instead of being dictionary-encoded
        return lambda a: pc.or_(pc.is_in(a, allowed), pc.is_null(a))
    pattern = _CANON.get(kind)
    return None if pattern is None else lambda a: pc.match_substring_regex(a, pattern)


_PLACEHOLDER_TEXTS = pa.array(sorted(PLACEHOLDERS))
_PLACEHOLDER_BYTES = max(len(p.encode("utf-8")) for p in PLACEHOLDERS)


def _not_placeholder(a: pa.Array) -> pa.Array:
    """Per value: not a placeholder once trimmed (a missing value passes). Names are longer than any
    placeholder: only a column holding a short value is looked up in the placeholders."""
    trimmed = pc.utf8_trim_whitespace(a)
    short = pc.less_equal(pc.binary_length(trimmed), _PLACEHOLDER_BYTES)
    if pc.any(short).as_py():
        return pc.invert(pc.is_in(trimmed, _PLACEHOLDER_TEXTS))
    return pc.fill_null(pc.invert(short), True)


_USCC_CHARACTERS = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def all_plain_usccs(arr: pa.Array) -> bool:
    """Is every value 18 upper-case code characters (``^[0-9A-Z]{18}$``), none missing? Read from the
    Arrow offsets and bytes, several times cheaper than the string kernels of the same test."""
    if arr.null_count or not len(arr) or not pa.types.is_string(arr.type):
        return False
    offsets = np.frombuffer(arr.buffers()[1], np.int32)[arr.offset:arr.offset + len(arr) + 1]
    if not bool((np.diff(offsets) == 18).all()):
        return False
    data = memoryview(arr.buffers()[2])[int(offsets[0]):int(offsets[-1])]
    return not bytes(data).translate(None, _USCC_CHARACTERS)


def _as_written(out: np.ndarray, uniq: list[Any]) -> bool:
    """Is each distinct value's normalised text the value itself (nothing to rewrite)?"""
    return all(o is u or o == u for o, u in zip(out.tolist(), uniq, strict=True))


def _normalise_uniques(kind: str, path: str, uniq: list[Any], canon: np.ndarray, factor: Decimal | None,
                       vocabulary: Mapping[str, Any] | None, formats: tuple[str, ...]
                       ) -> tuple[np.ndarray, np.ndarray]:
    """Each distinct value normalised (canonical ones kept) and its state: 0 read, 1 unknown, 2
    refused; one more slot at the end for missing cells."""
    out_u = np.empty(len(uniq) + 1, dtype=object)
    state = np.zeros(len(uniq) + 1, dtype=np.int8)
    state[-1] = 1
    numbers = _numbers_at_once(kind, uniq, factor) if not vocabulary else {}
    for i, v in enumerate(uniq):
        if canon[i]:
            out_u[i] = v
            continue
        if i in numbers:
            out_u[i] = numbers[i]
            continue
        got = normalise_value(kind, path, v, factor, vocabulary, formats)
        if got is UNREAD:
            out_u[i], state[i] = v, 2
        elif got is None:
            state[i] = 1
        else:
            out_u[i] = got
    return out_u, state


def _numbers_at_once(kind: str, uniq: list[Any], factor: Decimal | None) -> dict[int, str]:
    """The distinct float cells of a money or number column (Excel's numbers) in canonical spelling,
    worked in numpy: index → the text :func:`normalise_value` gives. Only the floats whose shortest
    form has at most 4 decimals and at most 15 significant digits are taken (no exponent, exact in
    int64 after the unit); the others, and every other cell, are left to :func:`normalise_value`."""
    if kind not in ("money", "number") or (factor is not None and factor != factor.to_integral_value()):
        return {}
    idx = np.array([i for i, u in enumerate(uniq) if type(u) is float], dtype=np.int64)
    if not len(idx):
        return {}
    x = np.array([uniq[i] for i in idx.tolist()], dtype=np.float64)
    if kind == "number":  # a whole number of persons, households …: its digits
        whole = np.isfinite(x) & (np.abs(x) < 2**50) & (x == np.round(x))
        return dict(zip(idx[whole].tolist(), x[whole].astype(np.int64).astype(str).tolist(), strict=True))
    unit = int(factor) if factor is not None else 1
    places = np.full(len(x), -1, np.int64)
    scaled = np.zeros(len(x), np.int64)
    with np.errstate(invalid="ignore", over="ignore"):
        for d in range(5):  # x = m / 10^d exactly (m below 2^50: no other decimal of d places is x)
            m = np.round(x * 10.0**d)
            ok = (places < 0) & (np.abs(m) < min(2**50, 2**62 // unit)) & (m / 10.0**d == x)
            places[ok] = d
            scaled[ok] = m[ok].astype(np.int64)
    ok = (places >= 0) & ~((x == 0) & np.signbit(x))  # -0.0 keeps its sign in normalise_value ("-0")
    amount, places, idx = scaled[ok] * unit, places[ok], idx[ok]
    for _ in range(4):  # trailing zeros after the point dropped, as the canonical spelling does
        drop = (places > 0) & (amount % 10 == 0)
        amount[drop] //= 10
        places[drop] -= 1
    texts = [str(a) if d == 0 else f"{'-' if a < 0 else ''}{abs(a) // 10**d}.{abs(a) % 10**d:0{d}d}"
             for a, d in zip(amount.tolist(), places.tolist(), strict=True)]
    return dict(zip(idx.tolist(), texts, strict=True))


def _counts(path: str, codes: np.ndarray, state: np.ndarray, rows: np.ndarray, uniq: list[Any]) -> ColumnCounts:
    st = state[codes]
    bad = np.flatnonzero(st == 2)
    return ColumnCounts(path, int((st == 0).sum()), int((st == 1).sum()), len(bad),
                        [(int(rows[i]), str(uniq[codes[i]])) for i in bad[:5]])
