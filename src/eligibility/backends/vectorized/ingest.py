"""A DataFrame of flat profiles (dotted columns, as ``to_frame`` writes or a register file holds)
→ a :class:`~.columns.Table`, validated column-wise with the profile schema's own rules.

Numbers, dates and booleans in typed columns (numpy, pandas nullable or Arrow: decimal128, date32,
list<struct>) convert without Python loops. Anything else (text in a CSV, objects) is validated
once per distinct value by the profile schema itself (pydantic, the same validators as
``Profile.from_data``), so a batch accepts and refuses exactly what a single profile would. A value
that fails makes its row an ``error`` row (the reason names the field and the value); the batch
goes on. Records and presumptions follow :mod:`eligibility.facts.flatten`: a record is given when
its own column is true or any field under it has a value, false in its column removes it, a nested
record left out of a given parent is known-empty, and a presumed field takes its presumption only
where its parent is given.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from typing import Annotated, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel, TypeAdapter, ValidationError

from ...errors import ProfileError
from ...facts.fields import FieldSpec
from ...facts.profile import registry
from ...facts.frame import _truth
from ...facts.labels import ENUM_LABELS
from ...facts.profile import Profile
from ...limits import MAX_DEPTH
from ...validation_words import message_zh
from .columns import _LAZY, EPOCH_ORDINAL, Col, Deferred, ListCol, Table
from .ops import and_, and_not, or_
from .plain import Reader, plain_dates, plain_fen


@dataclass(slots=True)
class _Leaf:
    """A converted column: values, where a valid value is present, and per-row error texts."""

    kind: str
    val: np.ndarray | Deferred | None  # None: a text column given by its codes (cats); Deferred: built if read
    present: np.ndarray
    scale: int = 0
    cats: tuple[np.ndarray, np.ndarray] | None = None
    absent: np.ndarray | None = None  # rows with no value (null or blank), when the converter knows them


class _Errors:
    def __init__(self, n: int) -> None:
        self.n = n
        self.rows: dict[int, list[str]] = {}

    def add(self, mask: np.ndarray, text: str | np.ndarray) -> None:
        for i in np.flatnonzero(mask).tolist():
            self.rows.setdefault(i, []).append(text if isinstance(text, str) else text[i])

    def add_at(self, i: int, text: str) -> None:
        """One row's error (no mask over every row: a batch may have many bad rows)."""
        self.rows.setdefault(i, []).append(text)

    def take_from(self, other: _Errors, rows: np.ndarray) -> None:
        """The errors of ``other`` (whose row ``j`` is this one's ``rows[j]``), in its order."""
        for j, texts in other.rows.items():
            self.rows.setdefault(int(rows[j]), []).extend(texts)

    def array(self) -> np.ndarray:
        out = np.empty(self.n, dtype=object)
        for i, texts in self.rows.items():
            out[i] = "; ".join(dict.fromkeys(texts))
        return out


# -- per-distinct-value validation through the profile schema ----------------------------------
def _nest(path: str, value: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    node = out
    parts = path.split(".")
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value
    return out


def _read_back(model: BaseModel, path: str) -> Any:
    node: Any = model
    for part in path.split("."):
        node = getattr(node, part)
    return node


def _message(exc: ProfileError) -> str:
    return exc.en.replace("\n", " ") + " | " + exc.zh.replace("\n", " ")


@cache
def _item_model(list_path: str) -> type[BaseModel]:
    from typing import get_args

    annotation = Profile.model_fields[list_path].annotation
    for arg in get_args(annotation):
        inner = get_args(arg)
        if inner and isinstance(inner[0], type) and issubclass(inner[0], BaseModel):
            return inner[0]
    raise TypeError(list_path)


def validate_value(path: str, value: Any) -> tuple[Any, str | None]:
    """One value of field ``path`` through the profile schema: (normalised value, None) or (None, reason)."""
    if "[]." in path:
        list_path, name = path.split("[].")
        model = _item_model(list_path)
        try:
            item = model.model_validate({name: value}, strict=False)
            return getattr(item, name), None
        except ValidationError as exc:
            errors = [e for e in exc.errors() if e["loc"] and e["loc"][0] == name]
            if not errors:  # only the item's other required fields are missing: the value itself is fine
                return _item_field(list_path, name).validate_python(value), None
            try:
                Profile.from_data({list_path: [{name: value}]})
            except ProfileError as perr:
                return None, _message(perr)
            return None, f"{path}: {errors[0]['msg']} | {path}: {message_zh(errors[0], path, ENUM_LABELS)}"
    try:
        profile = Profile.from_data(_nest(path, value))
    except ProfileError as exc:
        return None, _message(exc)
    return _read_back(profile, path), None


_ACCEPTED_TEXTS, _ACCEPTED_CHARS = 4096, 1000


def _validated(path: str, value: Any) -> tuple[Any, str | None]:
    """:func:`validate_value`, remembered per thread for a short text, an int or a Decimal once
    accepted (at most _ACCEPTED_TEXTS of them: forgotten all at once when full)."""
    key = _memo_key(path, value)
    if key is None:
        return validate_value(path, value)
    memo = _MEMO.accepted
    if key in memo:
        return memo[key], None
    got, reason = validate_value(path, value)
    if reason is None:
        if len(memo) >= _ACCEPTED_TEXTS:
            memo.clear()
        memo[key] = got
    return got, reason


def _memo_key(path: str, value: Any) -> tuple[str, Any] | None:
    """How an accepted value is remembered: a text as itself; an int or a Decimal by its exact
    spelling (Decimal("2.50") is not Decimal("2.5"), nor 1 True); None: not remembered."""
    kind = type(value)
    if kind is str:
        return (path, value) if len(value) <= _ACCEPTED_CHARS else None
    if kind is Decimal or (kind is int and -(10**30) < value < 10**30):
        return (path, (kind.__name__, str(value)))
    return None


@cache
def _item_field(list_path: str, name: str) -> TypeAdapter[Any]:
    """The validator of one field of a list item (its type with the field's own constraints)."""
    field = _item_model(list_path).model_fields[name]
    if not field.metadata:
        return TypeAdapter(field.annotation)
    return TypeAdapter(Annotated[(field.annotation, *field.metadata)])  # type: ignore[valid-type]


class _Memo(threading.local):
    """Per-thread memory of one :func:`table_from_frame` call: chunks may be ingested on one thread
    (reading ahead) while another decides the previous chunk."""

    def __init__(self) -> None:
        self.factors: dict[int, tuple[pd.Series, tuple[np.ndarray, list[Any]]]] = {}
        self.texts: dict[int, tuple[pd.Series, pa.Array]] = {}  # text columns' chunks combined once
        # a list field's JSON text → its validated items (or why refused), kept across calls: a
        # register's chunks repeat the same few texts
        self.lists: dict[tuple[str, str], tuple[list[dict[str, Any]] | None, str]] = {}
        # text columns a reader dictionary-encoded, by the identity of their Arrow data (see share_encoding)
        self.encodings: dict[tuple[Any, ...], tuple[pa.Array, pa.DictionaryArray]] = {}
        self.encoded_bytes = 0
        # a text, int or Decimal value of a field → its normalised value, once accepted, kept across
        # calls: a watch's small frames repeat the same codes and numbers (a refusal is worded anew each time)
        self.accepted: dict[tuple[str, Any], Any] = {}
        # a coded column's seed (its first rows' distinct texts) → its accepted categories and lookup set
        self.seeds: dict[tuple[Any, ...], tuple[list[Any], pa.Array, dict[str, int]] | None] = {}
        # the USCC column's rows valid as written, by the identity of its Arrow data (one call's)
        self.uscc: tuple[tuple[Any, ...], pa.Array, np.ndarray] | None = None

    def forget_call(self) -> None:
        """Let go of what one :func:`table_from_frame` call remembered about its frame's columns."""
        self.factors.clear()
        self.texts.clear()
        self.uscc = None


_MEMO = _Memo()
_SHARED_BYTES = 256 << 20  # text held for encodings not yet used (a reader runs one chunk ahead)


def _identity(arr: pa.Array) -> tuple[Any, ...]:
    """What tells one Arrow array's data from another's: its buffers' addresses, offset, length and
    type (the memo holds the array, so no other data can take those addresses meanwhile)."""
    return (arr.type, arr.offset, len(arr), *(b.address if b is not None else 0 for b in arr.buffers()))


def share_encoding(arr: pa.Array, encoded: pa.DictionaryArray) -> None:
    """Hand on ``pc.dictionary_encode(arr)`` that a reader computed for a text column it returns as it
    was, so that ingesting the same Arrow data on this thread (the next chunk is read and ingested on
    one thread) takes it instead of encoding the column again. Used once; the oldest are let go past
    a bound on the text held."""
    memo = _MEMO
    held = memo.encodings.pop(_identity(arr), None)
    if held is not None:
        memo.encoded_bytes -= held[0].nbytes
    memo.encodings[_identity(arr)] = (arr, encoded)
    memo.encoded_bytes += arr.nbytes
    while memo.encoded_bytes > _SHARED_BYTES and memo.encodings:
        oldest = next(iter(memo.encodings))
        memo.encoded_bytes -= memo.encodings.pop(oldest)[0].nbytes


def forget_encodings() -> None:
    """Let go of the encodings handed on and not used (a reader calls it as it starts a chunk: the
    previous chunk's are no longer wanted)."""
    _MEMO.encodings.clear()
    _MEMO.encoded_bytes = 0


def _shared_encoding(arr: pa.Array) -> pa.DictionaryArray | None:
    """The encoding a reader handed on for exactly this Arrow data (see :func:`share_encoding`), or None."""
    memo = _MEMO
    if not memo.encodings:
        return None
    held = memo.encodings.pop(_identity(arr), None)
    if held is None:
        return None
    memo.encoded_bytes -= held[0].nbytes
    return held[1]


def _testable(values: np.ndarray) -> np.ndarray:
    """``values`` with any signalling-NaN Decimal made None: a NaN is unknown, as the profile reads it
    (pandas cannot test a signalling one for missing: it raises, and stopped the batch)."""
    snan = [i for i, v in enumerate(values) if type(v) is Decimal and v.is_snan()]
    if snan:
        values = values.copy()
        for i in snan:
            values[i] = None
    return values


def factor(s: pd.Series) -> tuple[np.ndarray, list[Any]]:
    """Codes (−1: missing or blank) and distinct values of a column, in C for Arrow and object columns
    (computed once per column within one :func:`table_from_frame`)."""
    memo = _MEMO.factors
    hit = memo.get(id(s))
    if hit is not None and hit[0] is s:
        return hit[1]
    chunked = _arrow(s)
    if chunked is not None:
        text = _arrow_text(s) if chunked.num_chunks else None
        arr = text if text is not None else chunked.combine_chunks() if chunked.num_chunks != 1 else \
            chunked.chunk(0) if chunked.num_chunks else pa.array([], chunked.type)
        encoded = _shared_encoding(arr)
        if encoded is None:
            encoded = pc.dictionary_encode(arr)
        codes = _indices(encoded.indices)
        dictionary = encoded.dictionary
        uniques = dictionary.to_pylist()
        if pa.types.is_string(dictionary.type) or pa.types.is_large_string(dictionary.type):
            blank_u = pc.equal(pc.utf8_trim_whitespace(dictionary), "").to_numpy(zero_copy_only=False)
        else:
            blank_u = np.zeros(len(uniques), bool)
    else:
        values = s.to_numpy(dtype=object)
        try:
            codes, found = pd.factorize(values, use_na_sentinel=True)
        except TypeError:  # a signalling NaN (it cannot be hashed: made None, then again) or unhashable values
            try:
                codes, found = pd.factorize(_testable(values), use_na_sentinel=True)
            except TypeError:  # unhashable values (lists): one by one
                miss = s.isna().to_numpy(dtype=bool) if len(values) else np.zeros(0, bool)
                return np.where(miss, -1, np.arange(len(values))).astype(np.int64), list(values)
        codes, uniques = codes.astype(np.int64), list(found)
        blank_u = np.array([isinstance(u, str) and not u.strip() for u in uniques], dtype=bool)
    blank = np.append(blank_u.astype(bool), True)
    if blank[:-1].any():
        codes = np.where(blank[codes], -1, codes)
    result = (codes, uniques)
    memo[id(s)] = (s, result)
    return result


def _indices(indices: pa.Array) -> np.ndarray:
    """Dictionary indices as int32 codes, -1 where null (read from the buffer: no fill pass)."""
    codes = np.frombuffer(indices.buffers()[1], dtype=np.int32)[indices.offset:indices.offset + len(indices)]
    if indices.null_count:
        return np.where(_valid_of(indices), codes, np.int32(-1))
    return codes


def _by_unique(path: str, codes: np.ndarray, uniques: list[Any], present: np.ndarray, errors: _Errors,
               convert: Callable[[Any], Any], table_out: list[np.ndarray] | None = None, rows: bool = True,
               plain: Reader | None = None) -> tuple[np.ndarray | None, np.ndarray]:
    """Validate each distinct value used by ``present`` rows once; (converted values, valid mask).
    ``table_out`` receives the converted value per code (None where unused or refused); ``rows=False``
    leaves out the per-row values (None) for a caller that keeps codes. ``plain`` reads the plain
    spellings of the field (:mod:`.plain`) to converted values first; the schema reads the rest."""
    k = len(uniques)
    res = np.empty(k + 1, dtype=object)
    bad = np.zeros(k + 1, dtype=bool)
    msg = np.empty(k + 1, dtype=object)
    used = np.flatnonzero(np.bincount(codes[present], minlength=k)).tolist() if present.any() else []
    if plain is not None:
        read = plain(uniques, used)
        for u, value in read.items():
            res[u] = value
        used = [u for u in used if u not in read]
    for u in used:
        value, reason = _validated(path, uniques[u])
        if reason is None:
            res[u] = convert(value)
        else:
            bad[u], msg[u] = True, reason
    if table_out is not None:
        table_out.append(res)
    out = res[codes] if rows else None
    if not bad.any():
        return out, present
    refused = bad[codes]
    ok = present & ~refused
    wrong = present & refused
    errors.add(wrong, msg[codes])
    return out, ok


# -- column conversion ---------------------------------------------------------------------------
def _arrow(series: pd.Series) -> pa.ChunkedArray | None:
    """The column's Arrow data: an Arrow dtype, or pandas' Arrow-backed text (``pd.read_csv``'s ``str``
    columns), which is then read in Arrow like any Arrow text column, without Python objects."""
    dtype = series.dtype
    if isinstance(dtype, pd.ArrowDtype) or (isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow"):
        return series.array.__arrow_array__()  # type: ignore[attr-defined, no-any-return]
    return None


def _missing(series: pd.Series) -> np.ndarray:
    """No value: NA, or blank text."""
    chunked = _arrow(series)
    if chunked is not None and _is_text(chunked.type):
        return _blank(_arrow_text(series))  # type: ignore[arg-type]
    if chunked is not None and _typed(chunked.type):  # never a text dtype: straight to its validity
        return ~_valid(chunked) if chunked.null_count else np.zeros(len(chunked), bool)
    if series.dtype == object or pd.api.types.is_string_dtype(series.dtype):
        return factor(series)[0] < 0
    if chunked is not None:
        return ~_valid(chunked) if chunked.null_count else np.zeros(len(chunked), bool)
    return series.isna().to_numpy(dtype=bool)


def _typed(typ: pa.DataType) -> bool:
    """An Arrow type of numbers, dates, booleans or lists (pandas never counts it as text)."""
    return bool(pa.types.is_decimal(typ) or pa.types.is_date32(typ) or pa.types.is_boolean(typ)
                or pa.types.is_integer(typ) or pa.types.is_floating(typ) or pa.types.is_list(typ))


def _valid(chunked: pa.ChunkedArray) -> np.ndarray:
    """Where an Arrow column has a value, read from its validity bitmaps."""
    parts = [_valid_of(chunk) for chunk in chunked.chunks]
    return parts[0] if len(parts) == 1 else np.concatenate(parts) if parts else np.zeros(0, bool)


def _valid_of(chunk: pa.Array) -> np.ndarray:
    """Where one Arrow array has a value, read from its validity bitmap."""
    if chunk.null_count == 0:
        return np.ones(len(chunk), bool)
    bitmap = chunk.buffers()[0]
    if bitmap is None or pa.types.is_dictionary(chunk.type):  # no plain validity bitmap (null type, ...)
        return chunk.is_valid().to_numpy(zero_copy_only=False)  # type: ignore[no-any-return]
    return _bits(bitmap, chunk.offset, len(chunk))


def _bits(buffer: pa.Buffer, offset: int, n: int) -> np.ndarray:
    """Bits ``offset`` to ``offset + n`` of an Arrow bitmap as a bool array."""
    start = offset >> 3  # only the bytes that hold them (a slice's buffer is its whole parent's)
    bits = np.unpackbits(np.frombuffer(buffer, np.uint8, ((offset + n + 7) >> 3) - start, start), bitorder="little")
    return bits[offset & 7:(offset & 7) + n].view(bool)


def _arrow_text(series: pd.Series) -> pa.Array | None:
    """An Arrow text column as one array (None for any other column)."""
    memo = _MEMO.texts
    hit = memo.get(id(series))
    if hit is not None and hit[0] is series:
        return hit[1]
    chunked = _arrow(series)
    if chunked is None or not _is_text(chunked.type):
        return None
    text = chunked.combine_chunks() if chunked.num_chunks != 1 else chunked.chunk(0)
    memo[id(series)] = (series, text)
    return text


def _blank(text: pa.Array) -> np.ndarray:
    """Null, empty or only whitespace (the lengths read from the offsets, one Arrow pass for the spaces)."""
    n = len(text)
    if text.null_count == n:
        return np.ones(n, bool)
    width = np.int64 if pa.types.is_large_string(text.type) else np.int32
    offsets = np.frombuffer(text.buffers()[1], width)[text.offset:text.offset + n + 1]
    space = pc.utf8_is_space(text)
    blank = (offsets[1:] == offsets[:-1]) | _bits(space.buffers()[1], space.offset, n)
    return blank | ~_valid_of(text) if text.null_count else blank


def _decimal_fen(chunked: pa.ChunkedArray | pa.Array, present: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray | None, bool] | None:
    """decimal128 → (int64 fen, 0 where not ``present``; mask of values finer than a fen or None when
    there are none; whether one is negative) without Python objects; None if a value does not fit
    int64 fen with headroom (|fen| < 2**62)."""
    typ = chunked.type
    scale = typ.scale
    factor = 10 ** max(0, 2 - scale)
    limit = 2**62 // factor
    parts = []
    start = 0
    negative = False
    for chunk in (chunked.chunks if isinstance(chunked, pa.ChunkedArray) else (chunked,)):
        buf = chunk.buffers()[1]
        words = np.frombuffer(buf, dtype="<i8").reshape(-1, 2)[chunk.offset:chunk.offset + len(chunk)]
        here = present[start:start + len(chunk)]
        start += len(chunk)
        low = np.where(here, words[:, 0], 0)  # contiguous, and no filler from under the nulls
        if len(low):
            smallest = low.min()
            if low.max() >= limit or smallest <= -limit:
                return None
            # up to 18 digits a value lives in the low word (the high word is its sign); with no
            # negative value every high word must be 0, which holds for all rows as a rule
            if typ.precision > 18 and not (smallest >= 0 and not words[:, 1].any()) \
                    and not np.array_equal(words[:, 1] * here, low >> 63):
                return None
            negative = negative or bool(smallest < 0)
        parts.append(low)
    unscaled = parts[0] if len(parts) == 1 else np.concatenate(parts) if parts else np.zeros(0, np.int64)
    if scale <= 2:
        return (unscaled * factor if factor != 1 else unscaled), None, negative
    q = 10 ** (scale - 2)
    finer = unscaled % q != 0
    return unscaled // q, finer if finer.any() else None, negative


@cache
def _signed(path: str) -> bool:
    """May money field ``path`` be negative? Asked of the schema once, with -1 yuan."""
    return validate_value(path, Decimal(-1))[1] is None


def _decimal_money(path: str, arr: pa.ChunkedArray | pa.Array, present: np.ndarray, errors: _Errors
                   ) -> _Leaf | None:
    """A decimal128 money column as int64 fen without Python objects; None (the schema reads it)
    when an amount is too large, or negative where the field takes no negatives."""
    got = _decimal_fen(arr, present)
    # a negative one: the schema decides, unless it takes negatives for this field (a profit, an income)
    if got is None or (got[2] and not _signed(path)):
        return None
    fen, finer, _ = got
    if finer is None:
        return _Leaf("int", fen, present, 2)
    errors.add(present & finer, f"{path}: more than two decimals (finer than a fen) | {path}：金额精确到分以下")
    ok = present & ~finer
    return _Leaf("int", fen * ok, ok, 2)


def _money(path: str, s: pd.Series, present: np.ndarray, errors: _Errors) -> _Leaf:
    chunked = _arrow(s)
    if chunked is not None and pa.types.is_decimal(chunked.type):
        leaf = _decimal_money(path, chunked, present, errors)
        if leaf is not None:
            return leaf
    if chunked is not None and (pa.types.is_integer(chunked.type) or pa.types.is_floating(chunked.type)):
        s = pd.Series(chunked.to_numpy(zero_copy_only=False), index=s.index)
        present = present & s.notna().to_numpy()  # an Arrow NaN is a value there, unknown here
    kind = s.dtype.kind if not isinstance(s.dtype, pd.ArrowDtype) else "O"
    # plain amounts are read here; a negative, huge or odd one goes through the schema, which decides
    # (and words the error) as for one profile
    if kind in "iu" or (hasattr(s.dtype, "numpy_dtype") and s.dtype.numpy_dtype.kind in "iu"):
        v = s.to_numpy(dtype=np.int64, na_value=0)
        plain = (v >= 0) & (v < 2**62 // 100)
        if not (present & ~plain).any():
            return _Leaf("int", np.where(present, v * 100, 0), present, 2)
    elif kind == "f" or (hasattr(s.dtype, "numpy_dtype") and s.dtype.numpy_dtype.kind == "f"):
        v = s.to_numpy(dtype=np.float64, na_value=np.nan)
        with np.errstate(invalid="ignore", over="ignore"):
            f = np.round(v * 100)
            exact = np.isfinite(v) & (v >= 0) & (v < 2**53 / 100) & (f / 100 == v)
        if not (present & ~exact).any():
            return _Leaf("int", np.where(exact, f, 0).astype(np.int64), present, 2)
    codes, uniques = factor(s)
    lut: list[np.ndarray] = []
    _, ok = _by_unique(path, codes, uniques, present, errors, _to_fen, lut, rows=False, plain=plain_fen(path))
    fen = _coded_ints(lut[0], codes, ok, 2**62)
    return _Leaf("int", fen, ok, 2) if fen is not None else _fen_leaf(lut[0][codes], ok)


def _coded_ints(table: np.ndarray, codes: np.ndarray, ok: np.ndarray, limit: int = 2**63) -> np.ndarray | None:
    """Per row (0 where not ``ok``) the int of its code in ``table`` (converted values per distinct
    input, None where unused or refused, then one for "none"): one int64 table, then one gather. None
    when a value's magnitude reaches ``limit``."""
    try:
        ints = np.array([0 if v is None else v for v in table.tolist()], dtype=np.int64)
    except OverflowError:
        return None
    if len(ints) and (ints.max() >= limit or ints.min() <= -limit):
        return None
    return np.where(ok, ints[codes], 0)


def _fen_leaf(obj: np.ndarray, ok: np.ndarray) -> _Leaf:
    """Validated amounts (int fen where ``ok``) as int64 fen, or as Decimal yuan when one is too large
    for int64 fen with headroom (such an amount is valid: it must not stop the batch)."""
    idx = np.flatnonzero(ok)
    try:
        ints = obj[idx].astype(np.int64)  # Python ints: one beyond int64 raises
        fits = bool(((ints < 2**62) & (ints > -(2**62))).all())
    except OverflowError:
        fits = False
    if fits:
        return _Leaf("int", _obj_int(obj, ok), ok, 2)
    fens = obj[idx].tolist()
    out = np.empty(len(obj), dtype=object)
    out[:] = [Decimal(0)] * len(obj)
    for i, f in zip(idx.tolist(), fens):
        out[i] = Decimal(f).scaleb(-2)
    return _Leaf("dec", out, ok)


def _to_fen(value: Any) -> Any:
    return None if value is None else int(Decimal(value).scaleb(2))


def _obj_int(obj: np.ndarray, ok: np.ndarray) -> np.ndarray:
    out = np.zeros(len(obj), np.int64)
    idx = np.flatnonzero(ok)
    if len(idx):
        out[idx] = np.array(obj[idx].tolist(), dtype=np.int64)
    return out


def _date(path: str, s: pd.Series, present: np.ndarray, errors: _Errors) -> _Leaf:
    chunked = _arrow(s)
    if chunked is not None and pa.types.is_date32(chunked.type):
        days = chunked.cast(pa.int32()).to_numpy(zero_copy_only=False)
        days = np.where(present, np.nan_to_num(days.astype(np.float64)), 0).astype(np.int64) \
            if days.dtype.kind == "f" else days.astype(np.int64)
        return _Leaf("date", days * present, present)
    codes, uniques = factor(s)
    lut: list[np.ndarray] = []
    _, ok = _by_unique(path, codes, uniques, present, errors,
                       lambda d: None if d is None else d.toordinal() - EPOCH_ORDINAL, lut, rows=False,
                       plain=plain_dates(path))
    days = _coded_ints(lut[0], codes, ok)  # days since 1970 always fit
    assert days is not None
    return _Leaf("date", days, ok)


def _arrow_bools(s: pd.Series) -> tuple[np.ndarray, np.ndarray] | None:
    """An Arrow boolean column as (where it has a value, its values with False elsewhere), read in
    Arrow without pandas' missing-value passes; None for any other column."""
    chunked = _arrow(s)
    if chunked is None or chunked.type != pa.bool_():
        return None
    arr = chunked.combine_chunks() if chunked.num_chunks != 1 else chunked.chunk(0)
    if not arr.null_count:
        return np.ones(len(arr), bool), arr.to_numpy(zero_copy_only=False)
    return arr.is_valid().to_numpy(zero_copy_only=False), pc.fill_null(arr, False).to_numpy(zero_copy_only=False)


def _bool_leaf(path: str, s: pd.Series, present: np.ndarray, errors: _Errors) -> _Leaf:
    bools = _arrow_bools(s)
    if bools is not None:
        return _Leaf("bool", bools[1] & present, present)
    if s.dtype == bool or str(s.dtype) in ("boolean", "bool[pyarrow]"):
        v = s.to_numpy(dtype=bool, na_value=False)
        return _Leaf("bool", v & present, present)
    codes, uniques = factor(s)
    lut: list[np.ndarray] = []
    _, ok = _by_unique(path, codes, uniques, present, errors, bool, lut, rows=False)
    truth = np.array([v is True for v in lut[0].tolist()], dtype=bool)
    return _Leaf("bool", truth[codes] & ok, ok)


def _int_leaf(path: str, s: pd.Series, present: np.ndarray, errors: _Errors) -> _Leaf:
    """Whole numbers (persons, years, counts, kVA): integer columns directly, anything else by the schema."""
    dtype = s.dtype.numpy_dtype if hasattr(s.dtype, "numpy_dtype") else s.dtype
    ints = _is_int_field(path)
    if ints and getattr(dtype, "kind", "O") in "iu":
        chunked = _arrow(s)
        if chunked is not None and chunked.type == pa.int64() and chunked.num_chunks == 1:  # the buffer as is
            chunk = chunked.chunk(0)
            v = np.frombuffer(chunk.buffers()[1], np.int64)[chunk.offset:chunk.offset + len(chunk)]
        else:
            v = s.to_numpy(dtype=np.int64, na_value=0)
        if not (present & ((v < 0) | (v >= 10**18))).any():  # a negative or huge one: the schema decides, below
            return _Leaf("int", v * present, present, 0)
    codes, uniques = factor(s)
    lut: list[np.ndarray] = []
    _, ok = _by_unique(path, codes, uniques, present, errors, lambda v: v, lut, rows=False)
    table = lut[0]  # the validated value per distinct input (None: unused or refused), then one for "none"
    values = [v for v in table[:-1].tolist() if v is not None]
    at = np.where(ok, codes, len(table) - 1)
    if all(_whole(v) for v in values):  # whole numbers (an integral Decimal too): exact int64
        ints = np.array([int(v) if v is not None else 0 for v in table.tolist()], dtype=np.int64)
        return _Leaf("int", ints[at], ok, 0)
    decimals = [Decimal(v) if v is not None else Decimal(0) for v in table.tolist()]
    scaled = _scaled_ints(decimals)
    if scaled is not None:  # rates and the like: exact int64 at the values' largest scale, no Decimal per row
        return _Leaf("int", scaled[0][at], ok, scaled[1])
    return _Leaf("dec", np.array(decimals, dtype=object)[at], ok)


def _scaled_ints(values: list[Decimal]) -> tuple[np.ndarray, int] | None:
    """Distinct numbers as int64 at their largest scale (``0.0345`` → 345 at scale 4), exactly; None
    when one is not finite or would not fit with the arithmetic's headroom (it stays a Decimal)."""
    if not all(v.is_finite() for v in values):
        return None
    scale = max((max(0, -int(v.as_tuple().exponent)) for v in values), default=0)
    ints = [int(v.scaleb(scale)) for v in values]
    if scale > 18 or any(abs(i) >= 2**62 for i in ints):
        return None
    return np.array(ints, dtype=np.int64), scale


def _whole(v: Any) -> bool:
    """An int, or a finite integral Decimal, that fits int64 comfortably."""
    if isinstance(v, bool) or not isinstance(v, int | Decimal):
        return False
    if isinstance(v, Decimal) and (not v.is_finite() or v != v.to_integral_value()):
        return False
    return abs(int(v)) < 2**62


@cache
def _is_int_field(path: str) -> bool:
    from typing import get_args

    model: Any = Profile
    parts = path.replace("[]", "").split(".")
    for part in parts[:-1]:
        model = _model_of(model.model_fields[part].annotation)
    annotation = model.model_fields[parts[-1]].annotation
    return int in (get_args(annotation) or (annotation,))


def _model_of(annotation: Any) -> Any:
    from typing import get_args

    for arg in (get_args(annotation) or (annotation,)):
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
        inner = _model_of(arg) if get_args(arg) else None
        if inner is not None:
            return inner
    return None


_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = np.array([pow(3, i, 31) for i in range(17)], dtype=np.int32)
_USCC_VALUE = np.full(256, -1, np.int8)
for _i, _c in enumerate(_USCC_CHARS):
    _USCC_VALUE[ord(_c)] = _i


_USCC_BAD = 1000  # a pair's entry when one of its characters is not a code character


@cache
def _uscc_pairs() -> np.ndarray:
    """Per pair of USCC positions (0-1, 2-3, ..., 16-17), indexed by the pair's two bytes read as one
    little-endian uint16: the two characters' weighted values mod 31 (the last pair: the 17th's weighted
    value plus the check character's own value), or _USCC_BAD or more when either is not a code
    character. The check character makes the weighted sum 0 mod 31 (GB 32100), so a USCC is valid
    when its nine entries sum below _USCC_BAD to a multiple of 31."""
    value = _USCC_VALUE.astype(np.int16)
    code = value >= 0
    weights = [*_USCC_WEIGHTS.tolist(), 1]  # the check character counts once
    tables = []
    for j in range(9):
        first = np.where(code, (value * weights[2 * j]) % 31, _USCC_BAD)
        second = np.where(code, (value * weights[2 * j + 1]) % 31, _USCC_BAD)
        tables.append((second[:, None] + first[None, :]).ravel())  # second byte high
    return np.stack(tables).astype(np.int16)


def _uscc_checked(data: np.ndarray) -> np.ndarray:
    """Which of ``rows`` USCCs of 18 bytes each (one contiguous uint8 array) are valid as written:
    nine look-ups of two characters each, instead of eighteen of one and a weighted sum."""
    pairs = data.view("<u2").reshape(-1, 9)
    tables = _uscc_pairs()
    total = np.take(tables[0], pairs[:, 0])
    for j in range(1, 9):
        total += np.take(tables[j], pairs[:, j])
    return (total < _USCC_BAD) & (total % 31 == 0)  # type: ignore[no-any-return]


def _uscc_valid(arr: pa.Array) -> np.ndarray:
    """Rows of an Arrow text column holding a USCC exactly as written: 18 upper-case code characters
    whose check character (GB 32100) is right, read from the Arrow bytes (remembered within one
    :func:`table_from_frame` call: the leaf and the entity ids both ask)."""
    held = _MEMO.uscc
    key = _identity(arr)
    if held is not None and held[0] == key:
        return held[2]
    n = len(arr)
    ok = np.zeros(n, bool)
    if n and arr.null_count < n:
        text = arr.cast(pa.string())
        offsets = np.frombuffer(text.buffers()[1], np.int32)[text.offset:text.offset + n + 1]
        length18 = np.diff(offsets) == 18
        if text.null_count:
            length18 &= _valid_of(text)
        idx = np.flatnonzero(length18)
        if len(idx) == n:  # every row 18 bytes: the data as it lies
            ok = _uscc_checked(np.frombuffer(text.buffers()[2], np.uint8)[offsets[0]:offsets[0] + 18 * n])
        elif len(idx):
            picked = text.take(pa.array(idx))
            start = np.frombuffer(picked.buffers()[1], np.int32)[picked.offset]
            ok[idx] = _uscc_checked(np.frombuffer(picked.buffers()[2], np.uint8)[start:start + 18 * len(idx)])
    _MEMO.uscc = (key, arr, ok)  # (the array held: no other data can take its addresses meanwhile)
    return ok


def _uscc_fast(s: pd.Series, present: np.ndarray) -> np.ndarray:
    """Rows whose USCC is exactly 18 upper-case code characters passing the GB 32100 check character
    (read from the Arrow bytes; anything else goes to the schema, which normalises or refuses)."""
    if not present.any():
        return np.zeros(len(present), bool)
    if _arrow(s) is not None:
        arr = _arrow_text(s)
        if arr is None:
            return np.zeros(len(present), bool)
    else:
        try:
            arr = pa.array(s.to_numpy(dtype=object), pa.string(), from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            return np.zeros(len(present), bool)
    return _uscc_valid(arr) & present


def _fast_uscc(path: str, arr: pa.Array, errors: _Errors) -> _Leaf | None:
    """An Arrow USCC column whose every row is a valid USCC as written: kept in Arrow as it is, as the
    Series path keeps it; None (the Series path normalises or refuses) when a row is anything else."""
    if not len(arr) or arr.null_count:
        return None
    ok = _uscc_valid(arr)
    if not ok.all():
        return None
    kept = arr.cast(pa.string())

    def build() -> np.ndarray:
        return kept.to_numpy(zero_copy_only=False).astype(object, copy=False)

    return _Leaf("str", Deferred(build, kept), ok)


def _text_leaf(path: str, s: pd.Series, present: np.ndarray, errors: _Errors, spec: FieldSpec) -> _Leaf:
    text = _arrow_text(s)
    if path == "uscc":
        fast = _uscc_fast(s, present)
        rest = present & ~fast  # lower case, spaces, wrong check character: the schema normalises or refuses
        if text is not None and not rest.any():  # every value is a valid USCC as written: kept in Arrow
            kept = pc.if_else(pa.array(fast), text.cast(pa.string()), "") if not fast.all() else \
                text.cast(pa.string())

            def build() -> np.ndarray:
                return kept.to_numpy(zero_copy_only=False).astype(object, copy=False)

            return _Leaf("str", Deferred(build, kept), fast)
        val = text.to_numpy(zero_copy_only=False) if text is not None else s.to_numpy(dtype=object, copy=True)
        val[~fast] = ""
        if rest.any():
            obj, ok = _by_unique(path, *factor(s), rest, errors, lambda v: v)
            val = np.where(rest & ok, obj, val)
            fast = fast | (rest & ok)
        return _Leaf("str", val, fast)
    if spec.type.kind == "enum" and spec.type.values and all(isinstance(v, int) for v in spec.type.values):
        return _int_leaf(path, s, present, errors)
    if spec.type.kind == "str" and text is not None:  # free text in Arrow: taken as given, built if read
        return _free_text(text, present.copy())
    codes_uniques = factor(s)
    codes, uniques = codes_uniques
    if spec.type.kind == "str" and all(isinstance(u, str) for u in uniques):  # free text: taken as given
        texts = np.empty(len(uniques), dtype=object)
        texts[:] = uniques
        return _Leaf("str", None, present.copy(), cats=(np.where(present, codes, np.int32(-1)), texts))
    lut: list[np.ndarray] = []
    _, ok = _by_unique(path, *codes_uniques, present, errors, lambda v: v, lut, rows=False)
    # codes and validated categories: code tests (under, ==) run once per category, and the values
    # are built from them only if something reads them as text
    return _Leaf("str", None, ok, cats=(np.where(ok, codes, np.int32(-1)), lut[0][:-1]))


def _free_text(text: pa.Array, given: np.ndarray) -> _Leaf:
    """Free text in Arrow, taken as given where ``given``: its values built only if read."""

    def build() -> np.ndarray:
        obj = text.to_numpy(zero_copy_only=False).astype(object)
        obj[~given] = ""
        return obj

    def in_arrow() -> pa.Array:  # the same values, in Arrow (for a test such as development_zone == …)
        return pc.if_else(pa.array(given), text.cast(pa.string()), "")

    return _Leaf("str", Deferred(build, in_arrow), given)


_SEED_ROWS = 4096  # rows whose distinct values seed a coded text column's categories
_SEED_MAX = 64  # more distinct values than this in the seed: the column is dictionary-encoded instead


def _seeded_text(path: str, text: pa.Array, errors: _Errors) -> _Leaf | None:
    """A coded text column (code or enum field) by categories seeded from its first rows.

    The distinct values of the first rows are validated by the profile schema, once each, exactly
    as :func:`_by_unique` would; every row equal to an accepted one takes its category through
    ``index_in`` (cheaper than dictionary-encoding the column). Only the other rows (blank, rarer,
    differently spelt or wrong values) are dictionary-encoded and validated per distinct value, so a
    row is accepted, normalised or refused exactly as by the whole-column path. None when the head
    holds too many distinct values for a small lookup set.
    """
    if len(text) <= _SEED_ROWS:  # the head is the whole column: one encoding gives the seed and the codes
        encoded = pc.dictionary_encode(text)
        seed = encoded.dictionary  # (its distinct values in the order they come, as unique gives them)
        if len(seed) > _SEED_MAX:
            return None
        got = _seed_categories(path, seed)
        if got is None:
            return None
        values, value_set, position = got
        at = np.array([*(position.get(u, -1) for u in seed.to_pylist()), -1], np.int32)
        codes = at[_indices(encoded.indices)]  # -1: null, or a value outside the lookup set (as index_in)
        every = np.count_nonzero(codes >= 0) == len(text) - text.null_count
    else:
        seed = pc.unique(text.slice(0, _SEED_ROWS))  # a null among them is passed over as a blank
        if len(seed) - seed.null_count > _SEED_MAX:
            return None
        got = _seed_categories(path, seed)
        if got is None:
            return None
        values, value_set, _ = got
        hits = pc.index_in(text, value_set=value_set)
        codes = _indices(hits)  # -1: null, or a value outside the seed
        every = hits.null_count == text.null_count
    categories = np.empty(len(values), dtype=object)
    categories[:] = values
    if every:  # every value is a seed value
        absent = codes < 0
        return _Leaf("str", None, ~absent, cats=(codes, categories), absent=absent)
    given = text.is_valid().to_numpy(zero_copy_only=False) if text.null_count else np.True_
    miss = np.flatnonzero((codes < 0) & given)
    encoded = pc.dictionary_encode(text.take(pa.array(miss)))
    sub_codes = _indices(encoded.indices)
    sub_blank = pc.equal(pc.utf8_trim_whitespace(encoded.dictionary), "").to_numpy(zero_copy_only=False)
    sub_codes = np.where(sub_blank[sub_codes], np.int32(-1), sub_codes) if sub_blank.any() else sub_codes
    sub_errors = _Errors(len(miss))
    lut: list[np.ndarray] = []
    _, sub_ok = _by_unique(path, sub_codes, encoded.dictionary.to_pylist(), sub_codes >= 0, sub_errors,
                           lambda v: v, lut, rows=False)
    errors.take_from(sub_errors, miss)
    codes = codes.copy()
    codes[miss] = np.where(sub_ok, sub_codes + np.int32(len(values)), np.int32(-1))
    absent = codes < 0  # then the refused rows, which have a value, are taken out
    absent[miss[~sub_ok & (sub_codes >= 0)]] = False
    return _Leaf("str", None, codes >= 0, cats=(codes, np.concatenate([categories, lut[0][:-1]])), absent=absent)


def _seed_categories(path: str, seed: pa.Array) -> tuple[list[Any], pa.Array, dict[str, int]] | None:
    """The seed's values the schema accepts, normalised, and as written (the lookup set, and each
    one's place in it); None when it accepts none. Remembered per thread for the same seed (a watch's
    frames repeat their codes)."""
    memo = _MEMO.seeds
    key = (path, seed.type, tuple(seed.to_pylist()))
    if key in memo:
        return memo[key]
    blank = pc.fill_null(pc.equal(pc.utf8_trim_whitespace(seed), ""), True).to_numpy(zero_copy_only=False)
    accepted: list[str] = []
    values: list[Any] = []
    for u, is_blank in zip(key[2], blank.tolist()):
        if is_blank:
            continue
        value, reason = _validated(path, u)
        if reason is None and isinstance(value, str) and value:
            accepted.append(u)
            values.append(value)
    got = (values, pa.array(accepted, seed.type), {u: i for i, u in enumerate(accepted)}) if accepted else None
    if len(memo) >= _SEEDS_KEPT:
        memo.clear()
    memo[key] = got
    return got


_SEEDS_KEPT = 1024  # seeds remembered per thread (forgotten all at once when full)


def _absent(path: str, s: pd.Series) -> np.ndarray:
    """Rows where field ``path`` has no value; coded fields (validated per distinct value) take it
    from their factor codes, which say what is there at no extra pass."""
    kind = registry()[path].type.kind
    if kind in ("code", "enum") and path != "uscc":
        return factor(s)[0] < 0
    if kind in ("money", "date", "bool", "number") and _arrow_text(s) is not None:  # read by factor next
        return factor(s)[0] < 0
    return _missing(s)


# -- Arrow-first conversion ----------------------------------------------------------------------
class _Input:
    """One input column: its Arrow data as one array when it has an Arrow type (else None), and its
    pandas Series, made only if a converter needs it (the Arrow-first converters read the array)."""

    __slots__ = ("arrow", "_make", "_series")

    def __init__(self, arrow: pa.Array | None, make: Callable[[], pd.Series]) -> None:
        self.arrow = arrow
        self._make = make
        self._series: pd.Series | None = None

    @property
    def series(self) -> pd.Series:
        if self._series is None:
            self._series = self._make()
        return self._series

    @staticmethod
    def of(s: pd.Series) -> _Input:
        """An input from a Series (indexed from 0)."""
        chunked = _arrow(s) if isinstance(s, pd.Series) else None
        got = _Input(_one(chunked) if chunked is not None else None, lambda: s)
        got._series = s
        return got


def _one(chunked: pa.ChunkedArray) -> pa.Array:
    """A chunked column as one array (its only chunk as it is: a reader's shared encoding knows it)."""
    if chunked.num_chunks == 1:
        return chunked.chunk(0)
    return chunked.combine_chunks() if chunked.num_chunks else pa.array([], chunked.type)


def _arrow_values(values: Any) -> pa.ChunkedArray | None:
    """:func:`_arrow` of a column's array (no Series made)."""
    dtype = getattr(values, "dtype", None)
    if isinstance(dtype, pd.ArrowDtype) or (isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow"):
        got = values.__arrow_array__()
        return got if isinstance(got, pa.ChunkedArray) else pa.chunked_array([got])
    return None


Fast = Callable[[str, pa.Array, _Errors], "_Leaf | None"]


def _fast_bool(path: str, arr: pa.Array, errors: _Errors) -> _Leaf:
    """An Arrow boolean column: its values and validity read from the bitmaps."""
    if arr.null_count == len(arr):  # no value (its data buffer may be absent)
        return _Leaf("bool", np.zeros(len(arr), bool), np.zeros(len(arr), bool))
    present = _valid_of(arr)
    return _Leaf("bool", _bits(arr.buffers()[1], arr.offset, len(arr)) & present, present)


def _fast_money(path: str, arr: pa.Array, errors: _Errors) -> _Leaf | None:
    """An Arrow decimal128 money column as int64 fen (see :func:`_decimal_money`)."""
    return _decimal_money(path, arr, _valid_of(arr), errors)


def _fast_date(path: str, arr: pa.Array, errors: _Errors) -> _Leaf:
    """An Arrow date32 column: days since 1970 read from its buffer (0 where none)."""
    if arr.null_count == len(arr):  # no value (its data buffer may be absent)
        return _Leaf("date", np.zeros(len(arr), np.int64), np.zeros(len(arr), bool))
    present = _valid_of(arr)
    days = np.frombuffer(arr.buffers()[1], np.int32)[arr.offset:arr.offset + len(arr)].astype(np.int64)
    return _Leaf("date", days * present, present)


def _fast_int(path: str, arr: pa.Array, errors: _Errors) -> _Leaf | None:
    """An Arrow int64 column of a whole-number field, read from its buffer; None (the schema reads
    it) when a value is negative or huge."""
    if arr.null_count == len(arr):
        return _no_number(len(arr))
    present = _valid_of(arr)
    v = np.frombuffer(arr.buffers()[1], np.int64)[arr.offset:arr.offset + len(arr)] * present
    if len(v) and (v.min() < 0 or v.max() >= 10**18):
        return None
    return _Leaf("int", v, present, 0)


_NARROW = 4096  # an int64 number column whose values span fewer than this is read by offsets


def _fast_number(path: str, arr: pa.Array, errors: _Errors) -> _Leaf | None:
    """A number column the schema reads value by value (decimals, integer enums): read here when it
    has no value at all, or when it is int64 or decimals of up to 18 digits with its (unscaled) values
    in a narrow range (a few tiers, years, kVA steps, rates), each distinct value then validated once
    as :func:`_int_leaf` does, by its offset from the smallest instead of a dictionary encoding."""
    if arr.null_count == len(arr):
        return _no_number(len(arr))
    typ = arr.type
    if typ == pa.int64() and not _is_int_field(path):  # (an int field's int64 column: read directly)
        spelt: Callable[[int], Any] = int
        v = np.frombuffer(arr.buffers()[1], np.int64)[arr.offset:arr.offset + len(arr)]
    elif pa.types.is_decimal128(typ) and 0 <= typ.scale and typ.precision <= 18:  # in the low word, unscaled
        places = typ.scale

        def spelt(unscaled: int) -> Decimal:  # as Arrow gives it: 345 at scale 4 is Decimal("0.0345")
            return Decimal(unscaled).scaleb(-places)

        v = np.frombuffer(arr.buffers()[1], "<i8").reshape(-1, 2)[arr.offset:arr.offset + len(arr), 0]
    else:
        return None
    present = _valid_of(arr)
    rows = np.flatnonzero(present)  # (such columns are mostly empty: the rows with a value are few)
    given = v[rows]
    low, high = int(given.min()), int(given.max())
    if high - low >= _NARROW:
        return None
    k = high - low + 1
    at = given - low  # each value's offset from the smallest
    bad = np.zeros(k, bool)
    msg = np.empty(k, dtype=object)
    accepted: dict[int, Any] = {}  # offset → its validated value
    for d in np.flatnonzero(np.bincount(at, minlength=k)).tolist():
        got, reason = _validated(path, spelt(low + d))  # as the column's values are spelt in Python
        if reason is not None:
            bad[d], msg[d] = True, reason
        else:
            accepted[d] = got
    value = np.zeros(k, np.int64)  # per offset (0 for a refused one, as for a row without a value)
    scale = 0
    if all(_whole(got) for got in accepted.values()):
        for d, got in accepted.items():
            value[d] = int(got)
    else:  # fractions (rates): exact int64 at their largest scale, as _int_leaf makes them
        scaled = _scaled_ints([Decimal(got) for got in accepted.values()])
        if scaled is None:  # a huge one, or too fine: the Series path makes Decimals
            return None
        value[list(accepted)] = scaled[0]
        scale = scaled[1]
    out = np.zeros(len(arr), np.int64)
    out[rows] = value[at]
    if not bad.any():
        return _Leaf("int", out, present, scale)
    refused = bad[at]
    for i, reason in zip(rows[refused].tolist(), msg[at[refused]].tolist()):
        errors.add_at(i, reason)
    ok = present.copy()
    ok[rows[refused]] = False
    return _Leaf("int", out, ok, scale)


def _no_number(n: int) -> _Leaf:
    """A number column without any value (as the Series path reads it)."""
    return _Leaf("int", np.zeros(n, np.int64), np.zeros(n, bool), 0)


def _fast_coded(path: str, arr: pa.Array, errors: _Errors) -> _Leaf | None:
    """An Arrow text column of a code or enum field by seeded categories (see :func:`_seeded_text`);
    a column whose encoding a reader handed on is read by its codes instead."""
    if arr.null_count == len(arr):  # no value at all (as the Series path reads it)
        return _Leaf("str", None, np.zeros(len(arr), bool), cats=(np.full(len(arr), -1, np.int32),
                                                                   np.empty(0, dtype=object)))
    return _seeded_text(path, arr, errors) if _identity(arr) not in _MEMO.encodings else None


def _fast_text(path: str, arr: pa.Array, errors: _Errors) -> _Leaf:
    """An Arrow column of free text: taken as given, its values built only if read."""
    given = ~_blank(arr)
    return _free_text(arr, given)


_FAST_LOCK = threading.Lock()
_FAST: dict[tuple[str, pa.DataType], Fast | None] = {}
_PLANS: dict[tuple[Any, ...], tuple[_Step, ...]] = {}
_PLANS_MAX = 256  # frame shapes remembered (forgotten all at once when full)


def _fast_for(path: str, typ: pa.DataType) -> Fast | None:
    """The Arrow-first converter of field ``path`` for Arrow type ``typ`` (None: the Series path),
    decided once per field and type (a lock guards the table: frames are ingested on many threads)."""
    key = (path, typ)
    with _FAST_LOCK:
        if key in _FAST:
            return _FAST[key]
    spec = registry()[path]
    kind = spec.type.kind
    fast: Fast | None = None
    if kind == "bool" and typ == pa.bool_():
        fast = _fast_bool
    elif kind == "money" and pa.types.is_decimal128(typ):
        fast = _fast_money
    elif kind == "date" and pa.types.is_date32(typ):
        fast = _fast_date
    elif kind == "number" and typ == pa.int64() and _is_int_field(path):
        fast = _fast_int
    elif (kind == "number" or (kind == "enum" and bool(spec.type.values)
                               and all(isinstance(v, int) for v in spec.type.values))) \
            and (typ == pa.int64() or pa.types.is_decimal128(typ)):
        fast = _fast_number
    elif kind in ("code", "enum") and path != "uscc" and _is_text(typ) \
            and all(isinstance(v, str) for v in spec.type.values or ()):
        fast = _fast_coded
    elif kind == "str" and _is_text(typ):
        fast = _fast_text
    elif path == "uscc" and _is_text(typ):
        fast = _fast_uscc
    with _FAST_LOCK:
        if len(_FAST) >= _PLANS_MAX * 8:
            _FAST.clear()
        _FAST[key] = fast
    return fast


@dataclass(frozen=True, slots=True)
class _Step:
    """What to do with one input column: its field (role ``ignored``: none), and its Arrow-first
    converter for a leaf of its Arrow type (None: the Series path)."""

    name: str
    role: str  # "leaf", "list", "record" or "ignored"
    fast: Fast | None


def _plan(inputs: dict[str, _Input]) -> tuple[_Step, ...]:
    """The steps for a frame's columns, decided once per frame shape (column names and Arrow types)."""
    key = tuple((name, inp.arrow.type if inp.arrow is not None else None) for name, inp in inputs.items())
    with _FAST_LOCK:
        plan = _PLANS.get(key)
    if plan is not None:
        return plan
    spec = registry()
    steps = []
    for name, typ in key:
        s = spec.get(name)
        if s is None or "[]" in name:
            steps.append(_Step(name, "ignored", None))
        elif s.type.kind in ("list", "record"):
            steps.append(_Step(name, s.type.kind, None))
        else:
            steps.append(_Step(name, "leaf", _fast_for(name, typ) if typ is not None else None))
    plan = tuple(steps)
    with _FAST_LOCK:
        if len(_PLANS) >= _PLANS_MAX:
            _PLANS.clear()
        _PLANS[key] = plan
    return plan


def _fast_flags(arr: pa.Array) -> np.ndarray:
    """An Arrow boolean record column as flags (1 true, 0 false, -1 not given), from its bitmaps."""
    if arr.null_count == len(arr):  # none given (its data buffer may be absent)
        return np.full(len(arr), -1, np.int8)
    values = _bits(arr.buffers()[1], arr.offset, len(arr))
    if not arr.null_count:
        return values.view(np.int8)
    valid = _valid_of(arr)
    return (values & valid).view(np.int8) - (~valid).view(np.int8)  # 1 true, 0 false, -1 where none


def convert_leaf(path: str, s: pd.Series | _Input, errors: _Errors) -> _Leaf:
    """One input column of field ``path``, converted and validated."""
    inp = s if isinstance(s, _Input) else _Input.of(s)
    fast = _fast_for(path, inp.arrow.type) if inp.arrow is not None else None
    return _leaf(path, inp, errors, fast)


def _leaf(path: str, inp: _Input, errors: _Errors, fast: Fast | None) -> _Leaf:
    """A leaf by its Arrow-first converter when it has one and that takes the column, else by the Series path."""
    if fast is not None:
        leaf = fast(path, inp.arrow, errors)  # type: ignore[arg-type]
        if leaf is not None:
            return leaf
    return _series_leaf(path, inp.series, errors, seed=fast is not _fast_coded)


def _series_leaf(path: str, s: pd.Series, errors: _Errors, seed: bool = True) -> _Leaf:
    """One input column of field ``path`` read through pandas (any dtype); ``seed=False``: its seeded
    categories were tried already."""
    spec = registry()[path]
    kind = spec.type.kind
    if seed and kind in ("code", "enum") and path != "uscc" and all(isinstance(v, str) for v in spec.type.values or ()):
        text = _arrow_text(s)
        # seeding costs a look-up per row; a column whose encoding a reader handed on is read by its codes
        seeded = _seeded_text(path, text, errors) if text is not None and _identity(text) not in _MEMO.encodings \
            else None
        if seeded is not None:
            return seeded
    present = ~_absent(path, s)
    if kind == "money":
        return _money(path, s, present, errors)
    if kind == "date":
        return _date(path, s, present, errors)
    if kind == "bool":
        return _bool_leaf(path, s, present, errors)
    if kind == "number":
        return _int_leaf(path, s, present, errors)
    return _text_leaf(path, s, present, errors, spec)


# -- lists ---------------------------------------------------------------------------------------
def _list_col(path: str, col: pd.Series | _Input, errors: _Errors) -> ListCol:
    inp = col if isinstance(col, _Input) else _Input.of(col)
    arr = inp.arrow
    if arr is not None and (pa.types.is_list(arr.type) or pa.types.is_large_list(arr.type)):
        known = _valid_of(arr)
        raw = arr.offsets.to_numpy()
        offsets = raw - np.int64(raw[0])  # int64, from 0
        lengths = np.diff(offsets)
        if arr.null_count and lengths[~known].any():  # a null list has items: left out (flatten), and of the offsets
            flat = arr.flatten()
            new_offsets = np.concatenate([[0], np.cumsum(np.where(known, lengths, 0))])
        else:  # the items as they lie (flatten would copy them past the null lists)
            flat = arr.values.slice(int(raw[0]), int(offsets[-1]))
            new_offsets = offsets
        item_cols = {f.name: _item_input(flat, f.name) for f in flat.type} if pa.types.is_struct(flat.type) else {}
        return _items(path, item_cols, new_offsets, known, errors)
    s = inp.series
    n = len(s)
    values = s.to_numpy(dtype=object)
    present = ~_missing(s)
    model = _item_model(path)
    names = [p.split("[].", 1)[1] for p in registry() if p.startswith(path + "[].")]
    if pd.api.types.infer_dtype(values, skipna=True) == "string":  # JSON texts: each distinct one read once
        codes, uniques = factor(s)
        if np.array_equal(codes >= 0, present):
            return _list_texts(path, codes, uniques, model, names, errors)
    known = np.zeros(n, bool)
    rows: list[list[dict[str, Any]]] = []
    for i in range(n):
        if not present[i]:
            rows.append([])
            continue
        items, message = _list_items(path, values[i], model)
        if items is None:
            errors.add_at(i, message)
            rows.append([])
            continue
        known[i] = True
        rows.append(items)
    lengths = np.array([len(r) for r in rows], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    flat = [item for r in rows for item in r]
    item_cols = {}
    for name in names:
        col = pd.Series([item.get(name) for item in flat], dtype=object)
        item_cols[name] = col
    return _items(path, item_cols, offsets, known, errors, validated=True)


def _item_input(flat: pa.StructArray, name: str) -> _Input:
    """One field of a list's items as an input (its Series made only if needed)."""
    arr = flat.field(name)
    return _Input(arr, lambda: pd.Series(arr, dtype=pd.ArrowDtype(arr.type)))


def _list_texts(path: str, codes: np.ndarray, uniques: list[Any], model: type[BaseModel], names: list[str],
                errors: _Errors) -> ListCol:
    """A list column of JSON texts (codes −1 where none): each distinct text parsed and validated once,
    its items then gathered per row in numpy (the same table as reading the cells one by one)."""
    parsed = [_list_text(path, u, model) for u in uniques]
    ok_u = np.array([items is not None for items, _ in parsed] + [False])
    len_u = np.array([len(items) if items is not None else 0 for items, _ in parsed] + [0], np.int64)
    known = ok_u[codes]
    lengths = len_u[codes]
    for i in np.flatnonzero((codes >= 0) & ~known).tolist():
        errors.add_at(i, parsed[codes[i]][1])
    typed = _typed_lists(path, names, [items for items, _ in parsed])
    if typed is not None:  # the distinct lists in Arrow, taken per row: read as an Arrow list column
        take = np.where(known, codes, -1)
        per_row = typed.take(pa.array(take, pa.int64(), mask=take < 0))
        return _list_col(path, pd.Series(pd.array(per_row, dtype=pd.ArrowDtype(per_row.type))), errors)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    start_u = np.concatenate([[0], np.cumsum(len_u)]).astype(np.int64)  # where each text's items start
    gather = np.repeat(start_u[codes] - offsets[:-1], lengths) + np.arange(int(offsets[-1]), dtype=np.int64)
    flat_u = [item for items, _ in parsed if items is not None for item in items]
    item_cols = {}
    for name in names:
        col = np.empty(len(flat_u), dtype=object)
        col[:] = [item.get(name) for item in flat_u]
        item_cols[name] = pd.Series(col[gather], dtype=object)
    return _items(path, item_cols, offsets, known, errors, validated=True)


_ITEM_TYPES: dict[str, tuple[pa.DataType, type]] = {
    "str": (pa.string(), str), "enum": (pa.string(), str), "code": (pa.string(), str), "date": (pa.date32(), date),
    "money": (pa.decimal128(20, 2), Decimal), "number": (pa.int64(), int), "bool": (pa.bool_(), bool)}


_LIST_MEMO_TEXTS, _LIST_MEMO_CHARS = 4096, 1000


def _list_text(path: str, text: Any, model: type[BaseModel]) -> tuple[list[dict[str, Any]] | None, str]:
    """:func:`_list_items` of one distinct cell, remembered per thread for short texts (at most
    _LIST_MEMO_TEXTS of them: forgotten all at once when full)."""
    if not isinstance(text, str) or len(text) > _LIST_MEMO_CHARS:
        return _list_items(path, text, model)
    memo = _MEMO.lists
    got = memo.get((path, text))
    if got is None:
        if len(memo) >= _LIST_MEMO_TEXTS:
            memo.clear()
        got = memo[(path, text)] = _list_items(path, text, model)
    return got


def _typed_lists(path: str, names: list[str], lists: list[list[dict[str, Any]] | None]) -> pa.Array | None:
    """Validated lists of items (None: refused) as an Arrow ``list<struct>`` array typed from the
    schema, or None when an item value is not of its type's Python type (a number with decimals:
    Arrow would truncate it) or a field is of another kind."""
    fields = []
    for name in names:
        got = _ITEM_TYPES.get(registry()[f"{path}[].{name}"].type.kind)
        if got is None or "." in name:
            return None
        typ, py = got
        if any(type(item.get(name)) not in (py, type(None)) for items in lists if items for item in items):
            return None
        fields.append((name, typ))
    try:
        return pa.array(lists, pa.list_(pa.struct(fields)))
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, OverflowError):
        return None


def _list_items(path: str, v: Any, model: type[BaseModel]) -> tuple[list[dict[str, Any]] | None, str]:
    """One list cell (JSON text or a sequence) as validated items, or None and why it is refused."""
    if isinstance(v, str):
        try:
            v = json.loads(v)
        except json.JSONDecodeError as exc:
            return None, (f"{path} must be a JSON list: {exc.msg} (at character {exc.pos})"
                          f" | {path} 应为 JSON 列表：{exc.msg}（第 {exc.pos} 个字符）")  # as row_to_profile words it
        except RecursionError:  # far deeper than MAX_DEPTH (a shallower one is refused by the profile)
            return None, f"{path}: nested deeper than {MAX_DEPTH} levels | {path}：嵌套超过 {MAX_DEPTH} 层"
    if isinstance(v, np.ndarray):
        v = v.tolist()
    if not isinstance(v, (list, tuple)):
        return None, f"{path}: must be a list | {path} 应为列表"
    try:
        return [model.model_validate(dict(item) if isinstance(item, dict) else item).model_dump(exclude_unset=True)
                for item in v], ""
    except (ValidationError, TypeError, ValueError):
        try:
            Profile.from_data({path: list(v)})
        except ProfileError as exc:
            return None, _message(exc)
        return [], ""


def _items(path: str, columns: dict[str, pd.Series] | dict[str, _Input], offsets: np.ndarray, known: np.ndarray,
           errors: _Errors, validated: bool = False) -> ListCol:
    """A list field's items (``columns``: one Series or input per item field, indexed from 0)
    validated and converted; an item's error goes to its firm's row."""
    m = int(offsets[-1])
    lst = ListCol(offsets, known, {})
    item_errors = _Errors(m)
    cols: dict[str, Col] = {}
    series: dict[str, _Input] = {}
    leaves: dict[str, _Leaf] = {}
    p_of: dict[str, str] = {}
    for p in _item_paths(path):
        name = p.split("[].", 1)[1]
        if name not in columns:
            continue
        p_of[name] = p
        col = columns[name]
        series[name] = col if isinstance(col, _Input) else _Input.of(col)
        leaf = leaves[name] = convert_leaf(p, series[name], item_errors)
        cols[name] = Col.coded(leaf.cats[0], leaf.cats[1], leaf.present) if leaf.val is None else \
            Col(leaf.kind, leaf.val, leaf.present, np.False_, leaf.scale, leaf.cats)
    required = [name for name, f in _item_model(path).model_fields.items() if f.is_required()]
    for name in required:
        have = cols[name].known if name in cols else np.zeros(m, bool)
        bad = ~have
        if name in series and bad.any():  # absent, not refused (a refused value already has its error)
            absent = leaves[name].absent
            bad &= absent if absent is not None else _absent(p_of[name], series[name].series)
        item_errors.add(bad, f"{path}[].{name}: required | {path}[].{name}：必填")
    if item_errors.rows:
        per_row: dict[int, list[str]] = {}
        parent = lst.parent
        for j, texts in item_errors.rows.items():
            per_row.setdefault(int(parent[j]), []).extend(texts)
        for i, texts in per_row.items():
            errors.add_at(i, "; ".join(dict.fromkeys(texts)))
    lst.items = cols
    return lst


@cache
def _item_paths(path: str) -> tuple[str, ...]:
    """The fields of list ``path``'s items (``path[].name``), in schema order."""
    return tuple(p for p in registry() if p.startswith(path + "[]."))


# -- the table -----------------------------------------------------------------------------------
@cache
def _records() -> tuple[str, ...]:
    return tuple(p for p, s in registry().items() if s.type.kind == "record")


@cache
def _shape() -> tuple[tuple[str, ...], tuple[str, ...], tuple[tuple[str, str, FieldSpec, str, int], ...]]:
    """The schema's shape as the table is assembled: records deepest first, records shallowest
    first, and each leaf (path, parent record, spec, kind and scale when no column gives it)."""
    records = _records()
    leaves = tuple((path, _parent(path), s, _default_kind(s), 2 if s.type.kind == "money" else 0)
                   for path, s in registry().items() if "[]" not in path and s.type.kind not in ("record", "list"))
    return (tuple(sorted(records, key=lambda p: -p.count("."))), tuple(sorted(records, key=lambda p: p.count("."))),
            leaves)


def _ancestors(path: str) -> list[str]:
    parts = path.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def _parent(path: str) -> str:
    return path.rsplit(".", 1)[0] if "." in path else ""


def table_from_frame(df: pd.DataFrame, start_row: int = 1) -> Table:
    """Validate and convert a frame of flat profiles. A value that cannot be read leaves its field
    unknown on that row and is kept in ``table.field_errors`` (per-field isolation); a row without a
    readable USCC becomes an error row (never dropped)."""
    n = len(df)
    errors = _Errors(n)
    field_errors: dict[str, _Errors] = {}
    series = _columns(df)
    _MEMO.forget_call()
    try:
        leaves, lists, record_flag, ignored = _convert(series, errors, field_errors)
        table = _assemble(n, leaves, lists, record_flag)
        table.has_entity = "uscc" in series
        entity = _entity(series["uscc"]) if table.has_entity else None
        if isinstance(entity, pa.Array):
            table.entity_arrow = entity  # the object array (Table.entity) only if something asks for it
            table.entity_values = None
        else:
            table.entity = entity if entity is not None else np.empty(n, dtype=object)  # all None
    finally:
        _MEMO.forget_call()
    table.row = np.arange(start_row, start_row + n, dtype=np.int64)
    table.set_errors(errors.array(), errors.rows)
    table.field_errors = _field_errors(field_errors)
    table.ignored = ignored
    return table


def _columns(df: pd.DataFrame) -> dict[str, _Input]:
    """The frame's columns by name, indexed from 0 (the frame is copied only when it is not). With
    unique names, an Arrow-typed column is taken as its Arrow data, without a pandas Series (making
    ~100 Series is most of a small frame's cost): from the frame's own column arrays, which pandas
    hands out without a Series only through its block manager (the public routes, ``pa.table(df)`` or
    ``pa.Table.from_pandas``, build a table per frame: ~70 times the cost; without one, Series are made)."""
    index = df.index
    if not (isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1):
        df = df.reset_index(drop=True)
    if not df.columns.is_unique:
        return {str(c): _Input.of(df[c]) for c in df.columns}
    column_values = getattr(getattr(df, "_mgr", None), "iget_values", None)
    if column_values is None:
        return {str(c): _Input.of(column) for c, column in df.items()}
    out = {}
    for i, c in enumerate(df.columns):
        values = column_values(i)
        chunked = _arrow_values(values)
        out[str(c)] = _Input(_one(chunked) if chunked is not None else None, _column_maker(values, c))
    return out


def _column_maker(values: Any, name: str) -> Callable[[], pd.Series]:
    return lambda: pd.Series(values, dtype=values.dtype, name=name, copy=False)


def frame_errors(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, dict[str, tuple[np.ndarray, np.ndarray]]]:
    """What :func:`table_from_frame` refuses in ``df`` without building the table (a dry run): the
    rows that cannot be scored and their error texts (0-based, ascending), and per field the rows and
    texts of its values refused (as ``Table.field_errors``)."""
    errors = _Errors(len(df))
    field_errors: dict[str, _Errors] = {}
    series = _columns(df)
    _MEMO.forget_call()
    try:
        _convert(series, errors, field_errors)
    finally:
        _MEMO.forget_call()
    failed = np.array(sorted(errors.rows), dtype=np.int64)
    return failed, errors.array()[failed], _field_errors(field_errors)


def _convert(series: dict[str, _Input], errors: _Errors, field_errors: dict[str, _Errors]
             ) -> tuple[dict[str, _Leaf], dict[str, ListCol], dict[str, np.ndarray], list[str]]:
    """Every column converted and validated (row errors into ``errors``, a field's into
    ``field_errors``): the leaves, lists and record flags, and the columns that are no field."""
    n = errors.n
    leaves: dict[str, _Leaf] = {}
    lists: dict[str, ListCol] = {}
    record_flag: dict[str, np.ndarray] = {}  # 1 true, 0 false, -1 not given
    ignored = []
    for step, column in zip(_plan(series), series.values(), strict=True):
        path = step.name
        if step.role == "ignored":
            ignored.append(path)
            continue
        mine = errors if path == "uscc" else field_errors.setdefault(path, _Errors(n))
        if step.role == "list":
            lists[path] = _list_col(path, column, mine)
        elif step.role == "record":
            arr = column.arrow
            record_flag[path] = _fast_flags(arr) if arr is not None and arr.type == pa.bool_() else \
                _record_flags(path, column.series, mine)
        else:
            leaves[path] = _leaf(path, column, mine, step.fast)
    return leaves, lists, record_flag, ignored


def _field_errors(field_errors: dict[str, _Errors]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    return {path: (np.fromiter(e.rows, np.int64, len(e.rows)),
                   np.array(["; ".join(dict.fromkeys(t)) for t in e.rows.values()], dtype=object))
            for path, e in field_errors.items() if e.rows}


def _entity(column: _Input | pd.Series) -> np.ndarray | pa.Array:
    """The USCC as given (trimmed), None where absent: the long table's ``entity_id``."""
    inp = column if isinstance(column, _Input) else _Input.of(column)
    arr = inp.arrow
    if arr is not None and arr.type == pa.string() and len(arr) and not arr.null_count and _uscc_valid(arr).all():
        return arr  # every row a USCC as written: nothing to trim or blank
    s = inp.series
    text = _arrow_text(s)
    if text is not None:  # trimmed in Arrow, blanks as None
        trimmed = pc.utf8_trim_whitespace(text)
        trimmed = pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.string()), trimmed)
        return trimmed  # type: ignore[no-any-return]
    codes, uniques = factor(s)
    table = np.empty(len(uniques) + 1, dtype=object)
    table[:-1] = [str(u).strip() for u in uniques]
    table[-1] = None
    return table[codes]


def _is_text(typ: pa.DataType) -> bool:
    return pa.types.is_string(typ) or pa.types.is_large_string(typ)


def _record_flags(path: str, s: pd.Series, errors: _Errors) -> np.ndarray:
    n = len(s)
    out = np.full(n, -1, np.int8)
    bools = _arrow_bools(s)
    if bools is not None or s.dtype == bool or str(s.dtype) in ("boolean", "bool[pyarrow]"):
        present, v = bools if bools is not None else \
            (~s.isna().to_numpy(dtype=bool), s.to_numpy(dtype=bool, na_value=False))
        out[present] = np.where(v[present], 1, 0)
        return out
    text = _arrow_text(s) is not None
    present = ~_missing(s) if not text else factor(s)[0] >= 0
    values = s.to_numpy(dtype=object) if not text else None
    if text or pd.api.types.infer_dtype(values, skipna=True) == "string":  # texts: each distinct one read once
        codes, uniques = factor(s)
        truth = np.array([-1 if t is None else int(t) for t in map(_truth, uniques)] + [-1], np.int8)
        got = truth[codes]
        read = present & (got >= 0)
        out[read] = got[read]
        unread = np.flatnonzero(present & (got < 0)).tolist()
        if values is None:
            values = np.empty(len(s), dtype=object)
            values[unread] = [uniques[codes[i]] for i in unread]
    else:
        unread = np.flatnonzero(present).tolist()
    for i in unread:
        t = _truth(values[i])
        if t is None:
            errors.add_at(i, f"{path}: expected true/false (record given or not), got {values[i]!r}"
                                   f" | {path}：应为 true/false，实际为 {values[i]!r}")
        else:
            out[i] = 1 if t else 0
    return out


def _assemble(n: int, leaves: dict[str, _Leaf], lists: dict[str, ListCol], flags: dict[str, np.ndarray]) -> Table:
    """Records, presumptions and leaves → Cols. Masks stay numpy scalars (np.False_, np.True_) where
    they are the same on every row, so fields no column gives cost nothing per row."""
    spec = registry()
    records = _records()
    deepest_first, shallowest_first, fields = _shape()
    no, yes = np.False_, np.True_
    given: dict[str, Any] = dict.fromkeys(records, no)
    for path, leaf in leaves.items():
        if _parent(path):
            given[_parent(path)] = given[_parent(path)] | leaf.present
    for path, lst in lists.items():
        if _parent(path):
            given[_parent(path)] = given[_parent(path)] | lst.known
    off = {r: _compact(f == 0) for r, f in flags.items()}  # rows where a record is removed by its flag
    # bottom-up: a record is given by its own flag, a value below it, or a child record's flag
    for r in deepest_first:
        if r in flags:
            given[r] = given[r] | (flags[r] >= 0)  # true ensures it; false ensures its parent
        parent = _parent(r)
        if parent:
            given[parent] = given[parent] | given[r] | off.get(r, no)
    state: dict[str, tuple[Any, Any]] = {}  # record → (given, null)
    for r in shallowest_first:
        parent = _parent(r)
        p_given, p_null = state[parent] if parent else (yes, no)
        g = and_not(and_(given[r], p_given), off.get(r, no))
        null = p_null | (p_given & ~g) if spec[r].absent_is_none and parent else p_null
        state[r] = (_compact(g), _compact(null))
    cols: dict[str, Col] = {r: Col("bool", g, _compact(g | null), null) for r, (g, null) in state.items()}
    # a value can stand on a row where its field is not known only under a record removed by its flag
    removed = {a for a, rows in off.items() if rows is not no}
    dropped_below = {r for r in records if removed and any(a in removed for a in (*_ancestors(r), r))}
    presumed: dict[str, np.ndarray] = {}
    for path, parent, s, default_kind, default_scale in fields:
        p_given, p_null = state[parent] if parent else (yes, no)
        leaf = leaves.get(path)
        if leaf is None and s.presume is None:  # no column, nothing presumed: unknown, or empty where its record is
            cols[path] = Col(default_kind, _typed_fill(default_kind), p_null, p_null, default_scale)
            continue
        kind = leaf.kind if leaf is not None else default_kind
        scale = leaf.scale if leaf is not None else default_scale
        coded = leaf is not None and leaf.val is None  # a text column kept as codes until read
        val = (_LAZY if coded else leaf.val) if leaf is not None else _typed_fill(kind)
        # converters leave the filler where a value is absent: only a value under a record removed by
        # its flag (a value there is unknown) needs blanking, and only if there is one
        stray = parent in dropped_below and leaf is not None and bool(and_not(leaf.present, p_given).any())
        if type(val) is Deferred and (s.presume is not None or stray):
            val = val.build()  # values to be filled in or blanked below: needed now
        present = and_(leaf.present, p_given) if leaf is not None else no
        known, null = or_(present, p_null), p_null  # (p_null is compact already)
        if s.presume is not None:
            use = _compact(p_given & ~present)
            if use.any():
                presumed[path] = np.broadcast_to(use, (n,))
                if s.presume.value is None:
                    null = null | use
                else:
                    kind, fill_val, scale, val = _presumed_fill(s.presume.value, kind, scale,
                                                                 _values(leaf) if coded else val, leaf is not None)
                    val = _kept(val, ~use, fill_val)
                known = known | use
                null = _compact(null)
        known = _compact(known)
        # only a value under a record removed by its flag (then unknown) or a presumption can make
        # other rows unknown or empty
        cats = leaf.cats if leaf is not None and path not in presumed else None  # codes still describe val
        if (coded or np.ndim(val)) and kind != "dec" and (stray or path in presumed) \
                and not (known is yes and null is no):
            if val is _LAZY:  # still coded: a row without a value takes no category (it reads "")
                cats = (np.where(known & ~null, cats[0], np.int32(-1)), cats[1])  # type: ignore[index]
            else:
                val = _kept(val, known & ~null, _fill_scalar(kind))
        if val is _LAZY:
            cols[path] = Col.coded(cats[0], cats[1], known, null)  # type: ignore[index]
        else:
            cols[path] = Col(kind, val, known, null, scale, cats)
    for path, lst in lists.items():
        parent = _parent(path)
        if parent:
            lst.known = lst.known & state[parent][0]
    nothing = np.empty(0, dtype=object)  # row numbers, entity ids and errors: the caller sets them
    return Table(n, nothing, nothing, nothing, cols, lists, presumed)


def _kept(val: Any, keep: Any, fill: Any) -> Any:
    """``np.where(keep, val, fill)``; a zero filler in a column of integers or booleans by a product
    (several times cheaper on a chunk's rows, and a result of the same type and values)."""
    if isinstance(val, np.ndarray) and val.dtype.kind in "iu" and type(fill) is int and fill == 0 \
            and np.shape(keep) in ((), val.shape):
        return val * keep
    if isinstance(val, np.ndarray) and val.dtype == np.bool_ and type(fill) is bool and not fill \
            and np.shape(keep) in ((), val.shape):
        return val & keep
    return np.where(keep, val, fill)


def _values(leaf: _Leaf) -> np.ndarray:
    """A coded text leaf's values per row ("" where it has none)."""
    assert leaf.cats is not None
    return Col.coded(leaf.cats[0], leaf.cats[1], leaf.present).val  # type: ignore[no-any-return]


def _presumed_fill(value: Any, kind: str, scale: int, val: Any, given: bool) -> tuple[str, Any, int, Any]:
    """A presumption beside the values given: (kind, filler, scale, values). A number presumed in a
    column of scaled integers takes the column's scale (the larger of the two: 3 years beside a
    presumed 1 stays 3, not 0.03); with no values given, the presumption's own form."""
    p_kind, p_val, p_scale = _presumed_value(value)
    if not given or p_kind != "int" or kind not in ("int", "dec"):
        return p_kind, p_val, p_scale, val
    if kind == "dec":
        return kind, Decimal(value), scale, val
    exp = -Decimal(value).normalize().as_tuple().exponent  # type: ignore[operator]
    target = max(scale, int(exp), 0)
    if target > scale:
        val = np.asarray(val, dtype=np.int64) * 10 ** (target - scale)
    return kind, int(Decimal(value).scaleb(target)), target, val


def _presumed_value(value: Any) -> tuple[str, Any, int]:
    """A presumption as (kind, value in column form, scale): money presumptions are fen."""
    if isinstance(value, bool):
        return "bool", value, 0
    if isinstance(value, Decimal | int):
        return "int", int(Decimal(value).scaleb(2)), 2
    if isinstance(value, date):
        return "date", value.toordinal() - EPOCH_ORDINAL, 0
    return "str", value, 0


def _compact(mask: Any) -> Any:
    """A mask as a numpy scalar when it is the same on every row (absent columns cost nothing per row)."""
    if not isinstance(mask, np.ndarray) or mask.ndim == 0:
        return np.bool_(mask)
    if not mask.any():
        return np.False_
    return np.True_ if mask.all() else mask


def _typed_fill(kind: str) -> Any:
    return {"str": "", "bool": np.False_, "dec": Decimal(0)}.get(kind, np.int64(0))


def _default_kind(s: FieldSpec) -> str:
    k = s.type.kind
    return {"money": "int", "number": "int", "date": "date", "bool": "bool"}.get(k, "str")


def _fill_scalar(kind: str) -> Any:
    return {"str": "", "bool": False}.get(kind, 0)
