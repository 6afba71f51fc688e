"""Excel workbooks as departments export them (.xlsx and Excel 97 .xls), read with python-calamine.

Per sheet: the header row is found among the first rows (the row naming the most recognised
fields, :func:`find_header`); title rows above it (``2024年规模以上工业企业名录``, ``填报单位：…``)
are skipped and reported, and so are total rows (``合计``, ``总计``, ``小计``) and notes rows
(``注：…``, ``填表人``) below it. Formula cells that carry no cached value (a workbook written by a
program and never opened in Excel) and merged cells cannot give a value for each row: they are
counted and named in the report, never dropped without a word. Sheets are chosen by 1-based
number, by name, or all (:func:`select_sheets`).
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

__all__ = [
    "EXCEL_SUFFIXES", "SheetReport", "cell_ref", "find_header", "formula_cells_without_value", "iter_sheet",
    "open_workbook", "select_sheets",
]

EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls")
#: rows looked at for the header
HEADER_SEARCH = 30
_TOTAL = re.compile(r"^(合\s*计|总\s*计|小\s*计|共\s*计|全\s*县|全\s*市)[:：]?")
_MARKERS = frozenset("合总小共全注备说附填制审单统报")  # first characters of total and notes rows
_NOTE = re.compile(r"^(注|备注|说明|附注|填表人|制表人|制表|审核人|单位负责人|统计负责人|填报日期|报出日期)\s*[:：0-9１-９、.]")


@dataclass
class SheetReport:
    """What was skipped or could not be read in one sheet (sheet rows and cells as Excel names them)."""

    sheet: str
    header_row: int = 0
    title_rows: list[int] = field(default_factory=list)
    total_rows: list[int] = field(default_factory=list)
    note_rows: list[int] = field(default_factory=list)
    formula_cells: list[str] = field(default_factory=list)
    merged_cells: list[str] = field(default_factory=list)
    blank_rows: int = 0

    def messages(self, file: str, part: str = "head") -> list[tuple[str, str]]:
        """Bilingual lines for the run's report (only what happened): ``head`` what is known when
        the sheet is opened (title rows, formula and merged cells), ``tail`` what is known once it
        has been read (total and notes rows)."""
        out: list[tuple[str, str]] = []
        at = f"{file} [{self.sheet}]"

        if part == "tail":
            return self._tail(at)
        if self.title_rows:
            out.append((f"{at}: 表头在第 {self.header_row} 行；其上 {len(self.title_rows)} 行（标题等）已跳过：第 "
                        f"{_first_ten(self.title_rows, '、')} 行",
                        f"{at}: header on row {self.header_row}; {len(self.title_rows)} row(s) above it (titles) "
                        f"skipped: rows {_first_ten(self.title_rows, ', ')}"))
        if self.formula_cells:
            cells = _first_ten(self.formula_cells, ", ")
            out.append((f"{at}: {len(self.formula_cells)} 个公式单元格没有计算结果（请在 Excel 中打开并保存后再导出），"
                        f"按缺失处理：{cells}",
                        f"{at}: {len(self.formula_cells)} formula cell(s) have no computed value (open and save the "
                        f"workbook in Excel first); read as missing: {cells}"))
        if self.merged_cells:
            cells = _first_ten(self.merged_cells, ", ")
            out.append((f"{at}: {len(self.merged_cells)} 处合并单元格，只有左上角单元格有值：{cells}",
                        f"{at}: {len(self.merged_cells)} merged cell range(s); only the top-left cell holds the "
                        f"value: {cells}"))
        return out

    def _tail(self, at: str) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        for xs, zh, en in ((self.total_rows, "合计行", "total row(s)"), (self.note_rows, "注释行", "notes row(s)")):
            if xs:
                shown = xs[:10]
                more = "…" if len(xs) > 10 else ""
                out.append((f"{at}: {zh}已跳过：第 {'、'.join(map(str, shown))}{more} 行",
                            f"{at}: {en} skipped: rows {', '.join(map(str, shown))}{more}"))
        return out


def cell_ref(row: int, col: int) -> str:
    """``(0, 0)`` → ``A1``."""
    letters = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return f"{letters}{row + 1}"


def open_workbook(path: Path) -> Any:
    """The workbook through python-calamine (.xlsx, .xlsm, .xls)."""
    from python_calamine import CalamineWorkbook

    return CalamineWorkbook.from_path(str(path))


def select_sheets(names: list[str], sheet: str | int | None) -> list[str]:
    """The sheets to read: the first (``None``), the N-th (1-based int or digits), by name, or
    ``"all"``. Raises ``LookupError`` (bilingual) naming the sheets there are."""
    if sheet is None:
        return names[:1]
    if isinstance(sheet, str) and sheet.strip().lower() == "all":
        return list(names)
    if isinstance(sheet, str) and sheet in names:
        return [sheet]
    if isinstance(sheet, int) or (isinstance(sheet, str) and sheet.strip().isdigit()):
        n = int(sheet)
        if 1 <= n <= len(names):
            return [names[n - 1]]
    there = "、".join(names)
    raise LookupError(f"工作簿中没有工作表 {sheet!r}（共 {len(names)} 个：{there}；可写名称、从 1 起的序号或 all）",
                      f"no sheet {sheet!r} in the workbook ({len(names)}: {', '.join(names)}; give a name, a 1-based "
                      "number or all)")


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ("" if value is None else str(value))


def find_header(rows: list[list[Any]], recognised: Callable[[str], bool]) -> int:
    """Index of the header among ``rows`` (the first rows of a sheet): the first row with the most
    recognised headers (at least two, or the USCC alone); else the first row with two or more text
    cells and nothing but text; else 0."""
    best, best_score = -1, 0
    for i, row in enumerate(rows):
        score = sum(1 for v in row if isinstance(v, str) and v.strip() and recognised(v))
        if score > best_score:
            best, best_score = i, score
    if best >= 0 and best_score >= 2:
        return best
    for i, row in enumerate(rows):
        cells = [v for v in row if _text(v)]
        if len(cells) >= 2 and all(isinstance(v, str) for v in cells):
            return i
    return max(best, 0)


def row_kind(row: list[Any]) -> str | None:
    """``"total"``, ``"note"`` or ``"blank"`` for a row that is not a firm; None for data. Looks at
    the first non-empty cell only (a firm's row starts with its code or name: one test per row)."""
    for v in row:
        if v is None or v == "":
            continue
        if not isinstance(v, str):
            return None
        first = v.strip()
        if not first:
            continue
        if first[0] not in _MARKERS:
            return None
        if _TOTAL.match(first):
            return "total"
        if _NOTE.match(first) and sum(1 for c in row if _text(c)) <= 2:
            return "note"
        return None
    return "blank"


def iter_sheet(workbook: Any, name: str, path: Path, recognised: Callable[[str], bool]
               ) -> tuple[list[str], Iterator[tuple[int, list[Any]]], SheetReport]:
    """A sheet's headers, its data rows as ``(sheet row, cells)`` (1-based sheet rows; title, total,
    notes and blank rows left out) and the report of what was skipped (rows below the header are
    added while iterating)."""
    sheet = workbook.get_sheet_by_name(name)
    report = SheetReport(name)
    top = int(sheet.start[0]) if sheet.start else 0
    rows = sheet.iter_rows()
    head: list[list[Any]] = []
    for row in rows:
        head.append(list(row))
        if len(head) >= HEADER_SEARCH:
            break
    at = find_header(head, recognised) if head else 0
    report.header_row = top + at + 1
    report.title_rows = [top + i + 1 for i in range(at) if any(_text(v) for v in head[i])]
    headers = [_text(v) for v in head[at]] if head else []
    report.merged_cells = [f"{cell_ref(a[0], a[1])}:{cell_ref(b[0], b[1])}" for a, b in (sheet.merged_cell_ranges or [])
                           if a[0] >= top + at]
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        report.formula_cells = formula_cells_without_value(path, name)

    def data() -> Iterator[tuple[int, list[Any]]]:
        pending = head[at + 1:]
        no = top + at + 1
        for source in (pending, rows):
            for row in source:
                no += 1
                kind = row_kind(row)
                if kind is None:
                    yield no, row  # cells as calamine gives them ('' empty): values are read per column
                elif kind == "total":
                    report.total_rows.append(no)
                elif kind == "note":
                    report.note_rows.append(no)
                else:
                    report.blank_rows += 1

    return headers, data(), report


_NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
       "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships"}
_CELL = re.compile(rb"<c\b([^>]*[^/>])>(.*?)</c>", re.S)
_REF = re.compile(rb'\br="([A-Z]+[0-9]+)"')
_VALUE = re.compile(rb"<v>[^<]+</v>")


def formula_cells_without_value(path: Path, sheet: str) -> list[str]:
    """Cells of an .xlsx sheet holding a formula but no cached value (read from the sheet's XML)."""
    try:
        with zipfile.ZipFile(path) as z:
            book = ElementTree.fromstring(z.read("xl/workbook.xml"))
            rels = ElementTree.fromstring(z.read("xl/_rels/workbook.xml.rels"))
            rid = next((s.get(f"{{{_NS['r']}}}id") for s in book.iter(f"{{{_NS['m']}}}sheet") if s.get("name") == sheet),
                       None)
            target = next((r.get("Target") for r in rels if r.get("Id") == rid), None)
            if target is None:
                return []
            target = target.lstrip("/")
            xml = z.read(target if target.startswith("xl/") else f"xl/{target}")
    except (KeyError, zipfile.BadZipFile, ElementTree.ParseError):
        return []
    if b"<f" not in xml:
        return []
    out = []
    for m in _CELL.finditer(xml):
        body = m.group(2)
        if b"<f" in body and not _VALUE.search(body):
            ref = _REF.search(m.group(1))
            if ref:
                out.append(ref.group(1).decode())
    return out


def _first_ten(items: list[Any], sep: str) -> str:
    """The first ten items joined by ``sep``, with "…" when there are more."""
    return sep.join(map(str, items[:10])) + ("…" if len(items) > 10 else "")
