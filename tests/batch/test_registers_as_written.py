"""The failures of a register as a county platform receives it, each now scored as its clean twin.

Each test writes the example register's firms the way departments write them (Chinese headers with
units, title rows, value spellings, placeholders, mixed encodings, Excel) and requires the same
long table and summary as the clean file — or a clear exit 2 where the file cannot be read safely.
"""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from eligibility.cli import app

ROOT = Path(__file__).resolve().parents[2]
REGISTER = ROOT / "examples" / "register.csv"
SCORE = ["-r", "examples", "--as-of", "2024-06-30"]
runner = CliRunner()
FULL = str.maketrans("0123456789", "０１２３４５６７８９")

HEADERS = {"uscc": "统一社会信用代码", "name": "单位详细名称", "region_code": "行政区划代码", "industry_code": "行业代码",
           "registered_on": "成立日期", "employees": "从业人员期末人数（人）", "revenue": "营业收入（千元）",
           "total_assets": "资产总计(万元)", "vat_taxpayer": "纳税人资格", "vat_filing_period": "申报方式",
           "tax_credit_rating": "纳税信用级别", "dishonest_record": "是否失信", "development_zone": "所在开发区"}


def _clean(limit: int = 400) -> tuple[list[str], list[list[str]]]:
    with open(REGISTER, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:limit + 1]


def _as_written(header: list[str], rows: list[list[str]]) -> tuple[list[str], list[list[str]]]:
    """The same firms as a department writes them."""
    col = {h: i for i, h in enumerate(header)}
    out = []
    for n, row in enumerate(rows):
        r = list(row)

        def put(field: str, fn: object) -> None:
            v = r[col[field]]
            r[col[field]] = ("-", "NULL", "", "暂无")[n % 4] if v == "" else fn(v)  # type: ignore[operator]

        put("uscc", lambda v: v.lower() if n % 2 else v.translate(FULL))
        put("region_code", lambda v: v + "000000" if n % 2 else v + ".0")
        put("industry_code", lambda v: v[1:] if len(v) == 5 else v)
        put("registered_on", lambda v: (f"{int(v[:4])}年{int(v[5:7])}月{int(v[8:])}日", v.replace("-", "/"),
                                        v.replace("-", ""))[n % 3])
        put("employees", lambda v: v.translate(FULL))
        put("revenue", lambda v: format(Decimal(v) / 1000, "f"))
        put("total_assets", lambda v: f"{Decimal(v) / 10_000:,f}")
        put("vat_taxpayer", lambda v: {"general": "一般纳税人", "small_scale": "小规模纳税人"}[v])
        put("vat_filing_period", lambda v: {"month": "按月", "quarter": "按季"}[v])
        put("tax_credit_rating", lambda v: v + "级")
        put("dishonest_record", lambda v: {"true": "是", "false": "否"}[v])
        out.append(r)
    return [HEADERS.get(h, h) for h in header], out


def _csv(path: Path, header: list[str], rows: list[list[str]], encoding: str = "utf-8") -> Path:
    with open(path, "w", encoding=encoding, newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)
    return path


def _xlsx(path: Path, header: list[str], rows: list[list[str]], titles: int = 0, first_sheet: bool = False) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    if first_sheet:
        ws.title = "填报说明"
        ws.append(["本表由统计局导出"])
        ws = wb.create_sheet("名录")
    for i in range(titles):
        ws.append(["2024年规模以上工业企业名录" if i == 0 else "填报单位：思茅区统计局（盖章）"])
    ws.append(header)
    for r in rows:
        ws.append([v if v != "" else None for v in r])
    ws.append(["合计"] + [None] * (len(header) - 1))
    wb.save(path)
    return path


def _score(path: Path, out: Path, *extra: str) -> tuple[int, str, bytes, bytes]:
    result = runner.invoke(app, ["score", str(path), "-o", str(out), *SCORE, "--lang", "en", *extra])
    if result.exit_code:
        return result.exit_code, result.output, b"", b""
    summary = out.with_name(out.stem + ".summary.csv")
    return 0, result.output, out.read_bytes(), summary.read_bytes()


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, bytes]:
    tmp = tmp_path_factory.mktemp("clean")
    code, output, table, summary = _score(_csv(tmp / "clean.csv", *_clean()), tmp / "clean.scored.csv")
    assert code == 0, output
    assert b",error," not in table  # the clean twin has no error row: equality below is meaningful
    return table, summary


def test_chinese_headers_units_and_value_spellings_in_csv(tmp_path: Path, baseline: tuple[bytes, bytes]) -> None:
    code, output, table, summary = _score(_csv(tmp_path / "d.csv", *_as_written(*_clean())), tmp_path / "d.csv.out.csv")
    assert code == 0, output
    assert "营业收入（千元） → revenue (千元)" in output and "资产总计(万元) → total_assets (万元)" in output
    assert "纳税人资格 → vat_taxpayer" in output
    assert (table, summary) == baseline


def test_xlsx_with_title_rows_and_a_total_row_without_a_mapping(tmp_path: Path, baseline: tuple[bytes, bytes]) -> None:
    path = _xlsx(tmp_path / "d.xlsx", *_as_written(*_clean()), titles=2)
    code, output, table, summary = _score(path, tmp_path / "d.scored.csv")
    assert code == 0, output
    assert "header on row 3; 2 row(s) above it (titles) skipped: rows 1, 2" in output
    assert "total row(s) skipped: rows 404" in output
    assert (table, summary) == baseline


def test_mapping_key_with_full_width_brackets_matches_half_width_header(tmp_path: Path,
                                                                        baseline: tuple[bytes, bytes]) -> None:
    header, rows = _as_written(*_clean())
    header = [("收入(千元)" if h == "营业收入（千元）" else h) for h in header]
    mapping = tmp_path / "m.yaml"
    mapping.write_text("columns:\n  收入（千元）: revenue\n", encoding="utf-8")
    code, output, table, summary = _score(_csv(tmp_path / "d.csv", header, rows), tmp_path / "o.csv",
                                          "--columns", str(mapping))
    assert code == 0, output
    assert "收入(千元) → revenue (千元)" in output and "not found" not in output
    assert (table, summary) == baseline


def test_mixed_encodings_keep_zone_names(tmp_path: Path, baseline: tuple[bytes, bytes]) -> None:
    header, rows = _clean()
    zone = header.index("development_zone")
    assert any(r[zone] for r in rows)  # the zone rules are in play
    lines = [(",".join(header) + "\n").encode("utf-8")]
    for i, r in enumerate(rows):
        buf = []
        csv.writer(_Sink(buf), lineterminator="\n").writerow(r)
        lines.append(buf[0].encode("gb18030" if i % 2 else "utf-8"))  # alternate: neither is "the" encoding
    path = tmp_path / "mixed.csv"
    path.write_bytes(b"".join(lines))
    code, output, table, summary = _score(path, tmp_path / "o.csv")
    assert code == 0, output
    assert (table, summary) == baseline


class _Sink:
    def __init__(self, buf: list[str]) -> None:
        self.buf = buf

    def write(self, s: str) -> None:
        self.buf.append(s)


def test_missing_uscc_column_exits_2_before_scoring_and_lenient_scores(tmp_path: Path) -> None:
    header, rows = _clean(20)
    keep = [i for i, h in enumerate(header) if h != "uscc"]
    path = _csv(tmp_path / "r.csv", [header[i] for i in keep], [[r[i] for i in keep] for r in rows])
    code, output, _, _ = _score(path, tmp_path / "o.csv")
    assert code == 2 and "no USCC column found" in output and not (tmp_path / "o.csv").exists()
    code, output, table, _ = _score(path, tmp_path / "o.csv", "--lenient")
    assert code == 0 and table


def test_mapped_header_not_found_exits_2(tmp_path: Path) -> None:
    mapping = tmp_path / "m.yaml"
    mapping.write_text("columns:\n  营业收入（万元）: revenue\n", encoding="utf-8")
    code, output, _, _ = _score(_csv(tmp_path / "r.csv", *_clean(5)), tmp_path / "o.csv", "--columns", str(mapping))
    assert code == 2 and "mapped header(s) not found in the file: '营业收入（万元）'" in output


def test_data_on_a_second_sheet(tmp_path: Path, baseline: tuple[bytes, bytes]) -> None:
    path = _xlsx(tmp_path / "d.xlsx", *_as_written(*_clean()), first_sheet=True)
    code, output, _, _ = _score(path, tmp_path / "o.csv")
    assert code == 2 and "no USCC column found" in output  # never "0 rows read", exit 0
    code, output, table, summary = _score(path, tmp_path / "o.csv", "--sheet", "2")
    assert code == 0, output
    assert (table, summary) == baseline
