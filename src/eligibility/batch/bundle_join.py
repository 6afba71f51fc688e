"""Reading a bundle: the main register in chunks, each department list joined to it by USCC.

Every file is read by :class:`~eligibility.batch.readers.RegisterReader` (Chinese headers with units,
value spellings, placeholders, encodings, Excel title rows), a department list with the header
spellings of its kind (:data:`~eligibility.batch.bundle.LIST_FIELDS`). USCCs are compared as the readers normalise them
(full-width folded to half-width, spaces removed, upper case). What each kind of list gives a firm:

- ``certifications``: ``certifications_listed`` (what the lists hold) and ``certification_coverage``
  (the kinds × levels × period a complete list states for the firm's region; see
  :mod:`eligibility.facts.coverage`) — set for every firm once the bundle has a certifications list;
- ``register_events``: ``registers.<register>`` (入库/退库, the latest entry per firm); a complete list
  makes a firm of its regions that is not on it known not to be a member;
- ``benefits_received``: the receipts; a complete ledger gives a firm of its regions that is not on it
  an empty list (known: none received);
- ``dishonest``: ``dishonest_record`` true while listed (no 移出日期); a complete list: false for others;
- ``tax_records``: the profile fields of the latest period (销售额 → ``monthly_sales`` for a month,
  ``quarterly_sales`` for a quarter);
- ``attestations``: a caseworker's confirmed value of a field, applied last, and recorded in
  ``attestations`` (shown in explanations as 人工核实).

A list row whose USCC is not in the register is counted and reported (:class:`JoinReport`), never
lost; a list row that cannot be read (no USCC, a kind it cannot tell) is reported with its row.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from datetime import date
from pathlib import Path
from typing import Any, Self

import pandas as pd

from ..facts.codes.uscc import is_registration_number
from .bundle import CERT, GOT, LIST_FIELDS, REG, REGISTER_KINDS, SALES, BundleFile, Manifest, load_manifest
from .errors import RegisterError, RegisterWarning
from .headers import Recognised, normalise_header, recognise
from .mapping import ColumnMapping
from .readers import RegisterReader
from .spellings import UNREAD, kind_of, normalise_value, parse_date, parse_period

_IGNORED = ("序号", "证书编号", "批次", "备注", "说明", "编号")
_HOW = {"新建投产": {"new_build": True}, "新建": {"new_build": True}, "小升规": {"new_build": False},
        "成长": {"new_build": False}, "月度": {"basis": "month"}, "年度": {"basis": "year"}}


@dataclass
class FileReport:
    """What one list gave: rows read, rows joined to a firm of the register, rows whose USCC the
    register does not have (with examples), rows refused (with the reason)."""

    path: str
    kind: str
    rows: int = 0
    joined: int = 0
    unmatched: int = 0
    unmatched_examples: list[tuple[int, str]] = field(default_factory=list)
    refused: list[tuple[int, str, str]] = field(default_factory=list)
    undated: int = 0  # certifications with no date (of them, ``year_only`` with only 认定年度)
    year_only: int = 0

    def messages(self) -> list[tuple[str, str]]:
        out = []
        if self.undated:
            out.append((f"{self.path}：{self.undated} 项认定没有认定日期（其中 {self.year_only} 项只有认定年度，年度不是日期）："
                        "其认定日期未知，读认定日期的政策对这些企业待定",
                        f"{self.path}: {self.undated} certification(s) have no date ({self.year_only} with only a year, "
                        "认定年度, which is not a date): their date is unknown, and rules that read it stay undetermined "
                        "for those firms"))
        if self.unmatched:
            shown = "、".join(f"第{r}行 {u}" for r, u in self.unmatched_examples)
            shown_en = ", ".join(f"row {r} {u}" for r, u in self.unmatched_examples)
            out.append((f"{self.path}：{self.unmatched} 行的统一社会信用代码不在企业名录中（未并入）：{shown}",
                        f"{self.path}: {self.unmatched} row(s) have a USCC not in the register (not joined): {shown_en}"))
        if self.refused:
            out.append((f"{self.path}：{len(self.refused)} 行无法读取：" + "；".join(f"第{r}行 {zh}" for r, zh, _ in self.refused[:5]),
                        f"{self.path}: {len(self.refused)} row(s) could not be read: "
                        + "; ".join(f"row {r} {en}" for r, _, en in self.refused[:5])))
        return out


@dataclass
class JoinReport:
    """The join of a bundle: its name and, per department list, what it gave (:class:`FileReport`)."""

    bundle: str
    files: list[FileReport] = field(default_factory=list)
    register_rows: int = 0

    def messages(self) -> list[tuple[str, str]]:
        """Bilingual lines, one per list: rows read = joined + not in the register + refused."""
        return [(f"{f.path}（{f.kind}）：读入 {f.rows} 行 = 并入 {f.joined} + 不在名录中 {f.unmatched} + 无法读取 "
                 f"{len(f.refused)}",
                 f"{f.path} ({f.kind}): {f.rows} row(s) read = {f.joined} joined + {f.unmatched} not in the register"
                 f" + {len(f.refused)} refused") for f in self.files]


@dataclass
class _Listed:
    """What the lists say about one USCC."""

    certifications: list[dict[str, Any]] = field(default_factory=list)
    registers: dict[str, dict[str, Any]] = field(default_factory=dict)
    benefits: list[dict[str, Any]] = field(default_factory=list)
    dishonest: bool | None = None
    tax: tuple[date, dict[str, Any]] | None = None
    attested: list[dict[str, Any]] = field(default_factory=list)
    rows: dict[str, list[int]] = field(default_factory=dict)  # file → rows of it for this USCC
    seen: dict[tuple[Any, ...], dict[str, int]] = field(default_factory=dict)  # certification → file → times


def _mapping(f: BundleFile) -> ColumnMapping:
    """The reading of one file: the manifest's columns and values, the spellings of its kind."""
    spec = LIST_FIELDS.get(f.kind, {})
    aliases = {normalise_header(a): path for path, names in spec.values() for a in names}
    columns = {h: spec[t][0] if t in spec else t for h, t in f.columns.items()}
    values = {spec[t][0] if t in spec else t: v for t, v in f.values.items()}
    ignore = frozenset(h for h in _IGNORED if f.kind != "register" and normalise_header(h) not in aliases)
    return ColumnMapping(columns, ignore=ignore, source=str(f.path), values=values, aliases=aliases)


def _read_all(f: BundleFile, strict: bool) -> tuple[pd.DataFrame, RegisterReader]:
    """A department list whole (lists are small beside a register), its malformed records kept in
    ``attrs["invalid_rows"]`` as a register chunk keeps them."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RegisterWarning)
        reader = RegisterReader(f.path, 100_000, _mapping(f), strict=strict, sheet=f.sheet)
        frames = [chunk for _, chunk in reader]
    frame = pd.concat(frames) if frames else pd.DataFrame(columns=reader.columns)
    frame.attrs = {"invalid_rows": [bad for chunk in frames for bad in chunk.attrs.get("invalid_rows", ())]}
    return frame, reader


def _text(value: Any) -> str | None:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    text = str(value).strip()
    return text or None


def _day(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    text = _text(value)
    return _parse_date(text) if text else None


@lru_cache(maxsize=4096)
def _parse_date(text: str) -> date | None:
    return parse_date(text)  # a list repeats its dates and periods: each spelling read once


class BundleReader(Iterator[tuple[int, pd.DataFrame]]):
    """The register of a bundle in ``(start_row, chunk)`` pairs, each chunk with the department lists'
    columns joined by USCC; the attributes of :class:`RegisterReader` (``recognised``, ``warnings``,
    ``column_counts`` …) describe the register and every list. ``report``: the join (complete once the
    register is read: rows of a list whose USCC the register lacks are known only then)."""

    def __init__(self, path: str | Path | Manifest, chunk_size: int = 100_000,
                 mapping: ColumnMapping | str | Path | None = None, *, strict: bool = False,
                 sheet: str | int | None = None, keep: Sequence[str] = ()) -> None:
        self.manifest = path if isinstance(path, Manifest) else load_manifest(path)
        self.path = Path(self.manifest.source)
        reg = self.manifest.register
        reg_mapping = _mapping(reg) if (reg.columns or reg.values or mapping is None) else mapping
        self.register = RegisterReader(reg.path, chunk_size, reg_mapping, strict=strict,
                                       sheet=reg.sheet if reg.sheet is not None else sheet, keep=keep)
        self.report = JoinReport(self.manifest.name)
        self.recognised = [Recognised(f"{reg.label}: {r.header}", r.field, r.unit, r.factor, r.how)
                           for r in self.register.recognised]
        self.warnings = list(self.register.warnings)
        self.column_counts = self.register.column_counts
        self.count_keys: dict[str, str] = {r.header: r.field for r in self.recognised}  # header → column_counts key
        self._by_uscc: dict[str, _Listed] = {}
        self._seen: set[str] = set()
        self._cells_of: dict[str | None, list[dict[str, Any]]] = {}
        self._absent_of: dict[str | None, bool] = {}
        self._has = {k: False for k in ("certifications", "register_events", "benefits_received", "dishonest")}
        self._reports: dict[str, FileReport] = {}
        for f in self.manifest.lists:
            self._load_list(f, strict)
        self.warnings.extend(_register_notes(self.manifest))
        self.format = self.register.format

    # -- what RegisterReader offers -------------------------------------------------------------
    def __getattr__(self, name: str) -> Any:
        if name == "register":  # not set yet (a failed __init__): nothing to delegate to
            raise AttributeError(name)
        return getattr(self.register, name)  # progress, row counts, sheets, carried columns: the register's

    @property
    def columns(self) -> list[str]:
        return self.register.columns

    def __iter__(self) -> BundleReader:
        return self

    def __next__(self) -> tuple[int, pd.DataFrame]:
        try:
            start, chunk = next(self.register)
        except StopIteration:
            self._finish()
            raise
        return start, self._join(chunk)

    def close(self) -> None:
        self.register.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def notes_as_of(self, as_of: date) -> list[tuple[str, str]]:
        """For an evaluation date after a complete list's period: the list is read as it stood at the
        period's end (entries, listings and payments after it are not on it). Certification lists need no
        note: their coverage counts only up to the period's end."""
        return [(f"{f.label}：完整名单截至 {f.coverage.period_to}，评估日 {as_of} 在其后；此后的入库、列入或拨付不在名单上，"
                 f"不在名单上按 {f.coverage.period_to} 的状况读",
                 f"{f.label}: complete up to {f.coverage.period_to}, before the evaluation date {as_of}; entries, "
                 f"listings or payments after it are not on it, and absence is read as it stood on {f.coverage.period_to}")
                for f in self.manifest.lists
                if f.kind in ("register_events", "dishonest", "benefits_received") and f.coverage.complete
                and f.coverage.period_to is not None and f.coverage.period_to < as_of]

    # -- the lists ------------------------------------------------------------------------------
    def _load_list(self, f: BundleFile, strict: bool) -> None:
        frame, reader = _read_all(f, strict)
        report = FileReport(f.label, f.kind, rows=len(frame) + len(frame.attrs.get("invalid_rows", ())))
        self._reports[f.label] = report
        self.report.files.append(report)
        names = {path: f"{f.kind}.{target}" for target, (path, _) in LIST_FIELDS.get(f.kind, {}).items()}
        for r in reader.recognised:
            header = f"{f.label}: {r.header}"
            self.recognised.append(Recognised(header, names.get(r.field, r.field), r.unit, r.factor, r.how))
            self.count_keys[header] = f"{f.label}: {r.field}"
        self.warnings.extend(reader.warnings)
        for path, counts in reader.column_counts.items():
            self.column_counts[f"{f.label}: {path}"] = counts
        for row, zh, en, _ in frame.attrs.get("invalid_rows", ()):
            report.refused.append((row, zh, en))
        if f.kind in self._has:
            self._has[f.kind] = True
        if f.kind == "register_events" and len(f.coverage.kinds) != 1:
            raise RegisterError(f"{f.label}：入库/退库名单须在 coverage.kinds 中写明一个名录"
                                "（above_scale_industrial 或 above_quota_trade）",
                                f"{f.label}: a register_events list names one register in coverage.kinds "
                                "(above_scale_industrial or above_quota_trade)", file=f.label)
        add = getattr(self, f"_add_{f.kind}")
        for row, rec in zip(frame.index.tolist(), frame.to_dict("records"), strict=True):
            uscc = _text(rec.get("uscc"))
            if uscc is None:
                report.refused.append((row, "没有统一社会信用代码", "no USCC"))
                continue
            if is_registration_number(uscc):
                report.refused.append((row, f"{uscc} 是 15 位旧工商注册号，不是统一社会信用代码",
                                       f"{uscc} is a 15-digit old registration number (注册号), not a USCC"))
                continue
            why = add(f, self._by_uscc.setdefault(uscc, _Listed()), rec)
            if why is not None:
                report.refused.append((row, *why))
                continue
            self._by_uscc[uscc].rows.setdefault(f.label, []).append(row)

    def _add_certifications(self, f: BundleFile, got: _Listed, rec: dict[str, Any]) -> tuple[str, str] | None:
        kind, level = _text(rec.get(CERT + "kind")), _text(rec.get(CERT + "level"))
        if kind is None and len(f.coverage.kinds) == 1:
            kind = f.coverage.kinds[0]
        if level is None and len(f.coverage.levels) == 1:
            level = f.coverage.levels[0]
        from ..facts.profile import Certification

        try:
            item = Certification.model_validate({"kind": kind, "level": level, "certified_on": _day(rec.get(CERT + "certified_on")),
                                                 "expires_on": _day(rec.get(CERT + "expires_on"))})
        except ValueError:
            return (f"认定类型或级别无法识别（{kind}，{level}）", f"kind or level not recognised ({kind}, {level})")
        if item.certified_on is None:
            report = self._reports[f.label]
            report.undated += 1
            report.year_only += _year(rec.get("@year")) is not None
        # one certification on two lists is one certification; one list may hold two alike (two product
        # champions certified the same day), so a file adds what the other files have not already given
        per_file = got.seen.setdefault((item.kind, item.level, item.certified_on), {})
        before = max(per_file.values(), default=0)
        per_file[f.label] = per_file.get(f.label, 0) + 1
        if per_file[f.label] > before:
            got.certifications.append(item.model_dump())
        return None

    def _add_register_events(self, f: BundleFile, got: _Listed, rec: dict[str, Any]) -> tuple[str, str] | None:
        register = f.coverage.kinds[0]
        entry: dict[str, Any] = {"entered_on": _day(rec.get(REG + "entered_on")), "left_on": _day(rec.get(REG + "left_on"))}
        first = _text(rec.get(REG + "first_entry"))
        if first in ("true", "false") and register == "above_scale_industrial":
            entry["first_entry"] = first == "true"
        how = _HOW.get(_text(rec.get("@how")) or "", {})
        entry.update({k: v for k, v in how.items() if (k == "basis") == (register == "above_quota_trade")})
        before = got.registers.get(register)
        if before is None or (entry["entered_on"] or date.min) >= (before["entered_on"] or date.min):
            got.registers[register] = entry
        return None

    def _add_benefits_received(self, f: BundleFile, got: _Listed, rec: dict[str, Any]) -> tuple[str, str] | None:
        rule_id = _text(rec.get(GOT + "rule_id"))
        year_text = _text(rec.get(GOT + "year"))
        paid = _day(rec.get("@paid_on"))
        year = int(float(year_text)) if year_text and year_text.replace(".", "", 1).isdigit() else paid.year if paid else None
        if rule_id is None or year is None:
            return ("缺少政策或年度", "no policy or year")
        amount = _text(rec.get(GOT + "amount"))
        got.benefits.append({"rule_id": rule_id, "year": year, "amount": amount})
        return None

    def _add_dishonest(self, f: BundleFile, got: _Listed, rec: dict[str, Any]) -> tuple[str, str] | None:
        removed = _day(rec.get("@removed_on"))
        end = f.coverage.period_to
        listed = removed is None or (end is not None and removed > end)
        got.dishonest = bool(got.dishonest) or listed
        return None

    def _add_tax_records(self, f: BundleFile, got: _Listed, rec: dict[str, Any]) -> tuple[str, str] | None:
        start, end = _period(rec.get("@period_from")), _period(rec.get("@period_to"))
        if start is None and end is None:
            return ("所属期无法识别", "tax period not recognised")
        first, last = (start or end)[0], (end or start)[1]  # type: ignore[index]
        values = {k: v for k, v in rec.items() if not k.startswith("@") and k not in ("uscc", "name", SALES) and _text(v)}
        sales = _text(rec.get(SALES))
        if sales is not None:
            days = (last - first).days + 1
            target = "monthly_sales" if days <= 31 else "quarterly_sales" if 80 <= days <= 92 else None
            if target is not None:
                values[target] = sales
        if got.tax is None or last >= got.tax[0]:
            got.tax = (last, values)
        return None

    def _add_attestations(self, f: BundleFile, got: _Listed, rec: dict[str, Any]) -> tuple[str, str] | None:
        name, value = _text(rec.get("@field")), _text(rec.get("@value"))
        from ..facts.profile import field_names

        path = name if name in field_names() else (recognise(name).field if name and recognise(name) else None)
        if path is None or kind_of(path) == "other":
            return (f"核实字段无法识别：{name}", f"attested field not recognised: {name}")
        canonical = normalise_value(kind_of(path), path, value)
        if canonical is UNREAD:
            return (f"{path} 的核实值无法读取：{value}", f"attested value of {path} cannot be read: {value}")
        got.attested.append({"field": path, "value": canonical, "by": _text(rec.get("@by")), "on": _day(rec.get("@on"))})
        return None

    # -- the join -------------------------------------------------------------------------------
    def _join(self, chunk: pd.DataFrame) -> pd.DataFrame:
        """The chunk with the lists' columns: per row, what the lists say of its USCC and its region."""
        usccs = [_text(u) for u in (chunk["uscc"] if "uscc" in chunk else [None] * len(chunk))]
        regions = [_text(r) for r in (chunk["region_code"] if "region_code" in chunk else [None] * len(chunk))]
        self._seen.update(u for u in usccs if u)
        cols: dict[str, list[Any]] = {}

        def put(col: str, i: int, value: Any) -> None:
            if col not in cols:
                cols[col] = [pd.NA] * len(chunk)
            cols[col][i] = value

        lists = self.manifest.lists
        for i, (uscc, region) in enumerate(zip(usccs, regions, strict=True)):
            got = self._by_uscc.get(uscc) if uscc else None
            if self._has["certifications"]:
                put("certifications_listed", i, list(got.certifications) if got else [])
                put("certification_coverage", i, self._cells(region))
            if self._has["register_events"]:
                entries = got.registers if got else {}
                if entries:  # a given registers record lists every register the firm is in
                    put("registers", i, True)
                    for register, entry in entries.items():
                        put(f"registers.{register}", i, True)
                        for k, v in entry.items():
                            put(f"registers.{register}.{k}", i, v.isoformat() if isinstance(v, date) else
                                ("true" if v else "false") if isinstance(v, bool) else v)
                elif self._absent_from_every_register(region):
                    put("registers", i, True)
            for f in lists:
                if f.kind == "benefits_received" and (got is None or not got.benefits):
                    if f.coverage.complete and f.coverage.covers_region(region):
                        put("benefits_received", i, [])
                elif f.kind == "dishonest" and (got is None or got.dishonest is None):
                    if f.coverage.complete and f.coverage.covers_region(region):
                        put("dishonest_record", i, "false")
            if got is None:
                continue
            if got.benefits:
                put("benefits_received", i, list(got.benefits))
            if got.dishonest is not None:
                put("dishonest_record", i, "true" if got.dishonest else "false")
            if got.tax is not None:
                for k, v in got.tax[1].items():
                    put(k, i, v)
            for a in got.attested:
                put(a["field"], i, a["value"])
            if got.attested:
                put("attestations", i, list(got.attested))
        for col, values in cols.items():
            if col in chunk.columns:
                old = chunk[col].astype(object).tolist()
                values = [o if v is pd.NA else v for v, o in zip(values, old, strict=True)]
            chunk[col] = pd.Series(values, index=chunk.index, dtype=object)
        return chunk

    def _absent_from_every_register(self, region: str | None) -> bool:
        """Whether a firm of ``region`` on no register_events list is known to be in no register: every
        register has a complete list reaching the firm's region whose period has no start (it lists every
        entry up to its end). A list from a start date says nothing about entries before it, and the
        profile states register memberships as a whole, so one register unknown leaves them all unknown."""
        cached = self._absent_of.get(region)
        if cached is None:
            cached = self._absent_of[region] = all(
                any(f.kind == "register_events" and f.coverage.kinds == (register,) and f.coverage.complete
                    and f.coverage.period_from is None and f.coverage.covers_region(region)
                    for f in self.manifest.lists)
                for register in REGISTER_KINDS)
        return cached

    def _cells(self, region: str | None) -> list[dict[str, Any]]:
        """The coverage cells of the complete certifications lists that reach a firm of ``region``
        (one list per region, shared by its rows: nothing changes it)."""
        cached = self._cells_of.get(region)
        if cached is None:
            cached = self._cells_of[region] = self._cells_for(region)
        return cached

    def _cells_for(self, region: str | None) -> list[dict[str, Any]]:
        cells = []
        for f in self.manifest.lists:
            c = f.coverage
            if f.kind != "certifications" or not c.complete or not c.covers_region(region):
                continue
            for kind in c.kinds:
                for level in c.levels or (None,):
                    cells.append({"kind": kind, "level": level, "certified_from": c.period_from,
                                  "certified_to": c.period_to, "source": f"{self.manifest.name} {f.path.stem}"})
        return cells

    def _finish(self) -> None:
        """Once the register is read: per list, rows joined and rows whose USCC it lacks."""
        for uscc, got in self._by_uscc.items():
            for label, rows in got.rows.items():
                report = self._reports[label]
                if uscc in self._seen:
                    report.joined += len(rows)
                else:
                    report.unmatched += len(rows)
                    report.unmatched_examples.extend((r, uscc) for r in rows[: 5 - len(report.unmatched_examples)])
        self.report.register_rows = self.register.rows_read
        self.warnings.extend(w for w in self.register.warnings if w not in self.warnings)  # rows below the header
        for f in self.report.files:
            self.warnings.extend(f.messages())
        self._by_uscc = {}


def _register_notes(manifest: Manifest) -> list[tuple[str, str]]:
    """What the complete register_events lists cannot say: absence before a list's start, and
    absence while another register has no complete list (the firm's memberships stay unknown)."""
    lists = [f for f in manifest.lists if f.kind == "register_events" and f.coverage.complete]
    out = []
    for f in lists:
        if f.coverage.period_from is not None:
            out.append((f"{f.label}：完整名单自 {f.coverage.period_from} 起，未列入只说明此后未入库，不说明此前是否在库；"
                        "不在名单上的企业是否在库仍未知",
                        f"{f.label}: a complete list from {f.coverage.period_from} says nothing about entries before "
                        "it; a firm not on it stays unknown as to membership"))
    open_ended = {f.coverage.kinds[0] for f in lists if f.coverage.period_from is None and f.coverage.kinds}
    missing = [r for r in REGISTER_KINDS if r not in open_ended]
    if open_ended and missing:
        out.append((f"没有 {'、'.join(missing)} 的完整名单：企业画像整体记录所在名录，未列入任何名单的企业是否在库仍未知",
                    f"no complete list of {', '.join(missing)}: a profile states register membership as a whole, so a "
                    "firm on no list stays unknown as to membership"))
    return out


def _year(value: Any) -> int | None:
    """A year as lists write it (``2024``, ``2024年``, ``2024年度``, ``2024.0``), else None."""
    text = _text(value)
    m = re.fullmatch(r"(\d{4})(?:年度?|\.0+)?", text) if text else None
    return int(m.group(1)) if m else None


def _period(value: Any) -> tuple[date, date] | None:
    if isinstance(value, date):
        return value, value
    text = _text(value)
    return _parse_period(text) if text is not None else None


@lru_cache(maxsize=4096)
def _parse_period(text: str) -> tuple[date, date] | None:
    got = parse_period(text)
    if got is not None:
        return got
    d = parse_date(text)
    return (d, d) if d else None


@dataclass
class Bundle:
    """A bundle read whole: the joined profile columns (what ``Engine.score`` takes; the index is the
    register's row numbers) and the report of the join."""

    frame: pd.DataFrame
    report: JoinReport
    warnings: list[tuple[str, str]]


def read_bundle(path: str | Path, *, strict: bool = True) -> Bundle:
    """Read a bundle (manifest .yaml or .zip) whole: its register joined with every department list.

    >>> b = read_bundle("examples/bundle/manifest.yaml")  # doctest: +SKIP
    >>> engine.score(b.frame, as_of=date(2024, 12, 31))  # doctest: +SKIP
    """
    reader = BundleReader(path, strict=strict)
    chunks = [chunk for _, chunk in reader]
    frame = pd.concat(chunks) if chunks else pd.DataFrame(columns=reader.columns)
    return Bundle(frame, reader.report, reader.warnings)
