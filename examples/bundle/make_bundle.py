"""Make examples/bundle/: a synthetic county bundle (思茅区 2024) as a county platform receives it.

    python examples/bundle/make_bundle.py [-o examples/bundle] [--seed 2024] [--firms 300]

The main register (Excel, a title row, Chinese headers with units, 12-digit statistical region codes and
county names, 4-digit industry codes, several date spellings, placeholders, a few bad values, a 合计 row) and one
file of each kind of department list: certifications (a complete municipal 专精特新 list as GBK CSV,
a partial 小巨人 list), register entries (规上入库, and the 限上名录 as GBK CSV), benefits already received (Excel, amounts in
万元), the 失信 list, tax records by period (GBK CSV) and caseworker attestations; with manifest.yaml.

:func:`make` also returns the same firms as clean profiles (what the files mean), so a test can
check that scoring the bundle equals scoring the clean profiles. Fixed seed: the files are reproducible.
"""

from __future__ import annotations

import argparse
import csv
import random
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from eligibility.facts.codes import REGION_NAMES, check_character

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
BUNDLE = "思茅区 2024"
REGIONS = [("530802", 0.8), ("530821", 0.15), ("530102", 0.05)]  # 思茅区, 宁洱县, elsewhere (昆明)
INDUSTRIES = ["C3011", "C1311", "C1530", "C2710", "F5124", "F5211", "H6210", "I6510", "E4710"]
NAMES = ["茶业", "机械", "建材", "商贸", "餐饮", "科技", "食品", "咖啡"]
RULE_TITLES = {"puer.specialised-municipal": "市级专精特新企业一次性补助",
               "puer.new-industrial-above-scale": "新建投产纳规工业企业补助"}
LIST_2024 = (date(2024, 1, 1), date(2024, 12, 31))
BAD_EMPLOYEES = ("约50", "五十人")
ENTRIES_FROM = date(2019, 1, 1)  # register entries from 2019 to November 2024


def _uscc(rng: random.Random, region: str) -> str:
    body = "91" + region + "".join(rng.choice(ALPHABET) for _ in range(9))
    return body + check_character(body)


def _date_text(rng: random.Random, d: date) -> Any:
    """A date as departments write it: ISO, 年月日, slashes, compact digits, or an Excel date cell."""
    form = rng.randrange(5)
    return [d.isoformat(), f"{d.year}年{d.month}月{d.day}日", f"{d.year}/{d.month}/{d.day}",
            d.strftime("%Y%m%d"), d][form]


def make(out: Path, seed: int = 2024, firms: int = 300) -> list[dict[str, Any]]:
    """Write the bundle into ``out``; return the firms as clean profiles, in register order."""
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    clean: list[dict[str, Any]] = []
    register_rows: list[list[Any]] = []
    specialised, giants, entries, quota, received, dishonest, taxes, attested = [], [], [], [], [], [], [], []
    for i in range(firms):
        region = rng.choices([r for r, _ in REGIONS], [w for _, w in REGIONS])[0]
        uscc = _uscc(rng, region)
        industry = rng.choice(INDUSTRIES)
        founded = date(2005, 1, 1) + timedelta(days=rng.randrange(6500))
        employees = rng.randint(3, 400)
        revenue_k = rng.randint(500, 900_000)  # 千元
        assets_w = rng.randint(50, 80_000)  # 万元
        name = f"普洱{rng.choice(NAMES)}有限公司{i:03d}"
        p: dict[str, Any] = {"uscc": uscc, "name": name, "region_code": region, "industry_code": industry,
                             "registered_on": founded.isoformat(), "employees": employees,
                             "revenue": revenue_k * 1000, "total_assets": assets_w * 10_000}
        form = rng.random()  # a 12-digit statistical code, 530802.0, or the county by name (普洱市思茅区)
        region_cell: Any = (region + "000000" if form < 0.45 else float(region) if form < 0.9
                            else REGION_NAMES[region[:4] + "00"][0] + REGION_NAMES[region][0])
        employees_cell: Any = employees
        if i % 97 == 5:  # a bad value: that field is unknown-with-error, the firm's other rules are decided
            employees_cell = BAD_EMPLOYEES[i % 2]
            del p["employees"]
        elif i % 41 == 7:  # a placeholder: unknown
            employees_cell = rng.choice(["-", "暂无", "NULL"])
            del p["employees"]
        elif i % 13 == 0:
            employees_cell = str(employees).translate(str.maketrans("0123456789", "０１２３４５６７８９"))
        register_rows.append([uscc.lower() if i % 29 == 3 else uscc, name, region_cell, industry[1:],
                              _date_text(rng, founded), employees_cell, revenue_k, assets_w])
        certified_listed: list[dict[str, Any]] = []
        if rng.random() < 0.12:
            on = date(2024, 1, 1) + timedelta(days=rng.randrange(300))
            specialised.append([uscc, name, "市级", f"{on.year}年{on.month}月{on.day}日", f"{on.year}年度"])
            certified_listed.append({"kind": "specialised_sme", "level": "municipal", "certified_on": on.isoformat()})
        if rng.random() < 0.04:
            on = date(2024, 3, 1) + timedelta(days=rng.randrange(200))
            giants.append([name, uscc, "国家级", on.isoformat()])
            certified_listed.append({"kind": "little_giant", "level": "national", "certified_on": on.isoformat()})
        p["certifications_listed"] = certified_listed
        p["certification_coverage"] = (
            [{"kind": "specialised_sme", "level": "municipal", "certified_from": "2024-01-01",
              "certified_to": "2024-12-31", "source": f"{BUNDLE} 专精特新名单"}] if region == "530802" else [])
        if industry.startswith("C") and rng.random() < 0.3:
            entered = ENTRIES_FROM + timedelta(days=rng.randrange(2150))
            new_build = rng.random() < 0.5
            entries.append([uscc, name, entered.strftime("%Y%m%d"), "新建投产" if new_build else "小升规",
                            "是" if rng.random() < 0.8 else "否"])
            p["registers"] = {"above_scale_industrial": {"entered_on": entered.isoformat(), "new_build": new_build,
                                                         "first_entry": entries[-1][-1] == "是"}}
        elif industry[0] in "FH" and rng.random() < 0.3:
            entered = ENTRIES_FROM + timedelta(days=rng.randrange(2150))
            monthly = rng.random() < 0.5
            quota.append([uscc, name, _date_text(rng, entered), "月度" if monthly else "年度"])
            p["registers"] = {"above_quota_trade": {"entered_on": entered.isoformat(),
                                                    "basis": "month" if monthly else "year"}}
        elif region == "530802":
            p["registers"] = {}  # both registers' lists are complete for 思茅区 up to 2024: on neither, in neither
        if region == "530802":
            p["benefits_received"] = []
        if rng.random() < 0.06:
            rule = rng.choice(list(RULE_TITLES))
            amount_w = 10 if rule == "puer.specialised-municipal" else 50
            received.append([uscc, RULE_TITLES[rule], amount_w, date(2023, rng.randint(3, 11), 15)])
            p["benefits_received"] = [{"rule_id": rule, "year": 2023, "amount": amount_w * 10_000}]
        p["dishonest_record"] = False
        if rng.random() < 0.03:
            removed = rng.random() < 0.3
            dishonest.append([uscc, name, "2023-05-10", "2024-02-01" if removed else "-"])
            p["dishonest_record"] = not removed
        if rng.random() < 0.7:
            taxpayer = rng.choice(["一般纳税人", "小规模纳税人", "小规模"])
            p["vat_taxpayer"] = "general" if taxpayer == "一般纳税人" else "small_scale"
            monthly = p["vat_taxpayer"] == "general" or rng.random() < 0.5
            p["vat_filing_period"] = "month" if monthly else "quarter"
            for month in (10, 11, 12) if monthly else (10,):
                sales = rng.randint(20_000, 900_000)
                start, end = ((f"{2024}年{month}月", f"{2024}年{month}月") if monthly
                              else ("2024-10-01", "2024-12-31"))
                taxes.append([uscc, start, end, f"{sales:,}", taxpayer, "按月" if monthly else "按季"])
            p["monthly_sales" if monthly else "quarterly_sales"] = sales
        if "employees" not in p and rng.random() < 0.5 and employees_cell not in BAD_EMPLOYEES:
            attested.append([uscc, "从业人员", str(employees), "王芳", "2024-11-20"])
            p["employees"] = employees
            p["attestations"] = [{"field": "employees", "value": str(employees), "by": "王芳", "on": "2024-11-20"}]
        clean.append(p)
    ghost = _uscc(rng, "530802")  # on a list, not in the register: counted and reported, never lost
    specialised.append([ghost, "名录外企业", "市级", "2024年6月1日", "2024年度"])
    _register(out / "名录.xlsx", register_rows)
    _csv(out / "专精特新名单.csv", ["统一社会信用代码", "企业名称", "级别", "认定日期", "认定年度"], specialised, "gbk")
    _csv(out / "小巨人名单.csv", ["企业名称", "统一社会信用代码", "级别", "认定日期"], giants, "utf-8")
    _csv(out / "规上入库.csv", ["统一社会信用代码", "单位详细名称", "入库时间", "入库方式", "首次纳规"], entries, "utf-8")
    _csv(out / "限上名录.csv", ["统一社会信用代码", "单位详细名称", "纳入时间", "入库方式"], quota, "gbk")
    _xlsx(out / "已享受政策台账.xlsx", "已享受政策台账（2023年）",
          ["统一社会信用代码", "政策名称", "金额（万元）", "拨付日期"], received)
    _csv(out / "失信名单.csv", ["统一社会信用代码", "名称", "列入日期", "移出日期"], dishonest, "utf-8")
    _csv(out / "纳税申报.csv", ["纳税人识别号", "所属期起", "所属期止", "销售额（元）", "纳税人资格", "申报方式"], taxes, "gbk")
    _csv(out / "人工核实.csv", ["统一社会信用代码", "核实字段", "核实值", "核实人", "核实日期"], attested, "utf-8")
    (out / "manifest.yaml").write_text(MANIFEST, encoding="utf-8")
    return clean


MANIFEST = """\
bundle: 思茅区 2024
files:
  - path: 名录.xlsx
    kind: register
  - path: 专精特新名单.csv
    kind: certifications
    coverage:            # 思茅区 2024 年市级专精特新名单：完整 / complete
      regions: ["530802"]
      period: {from: 2024-01-01, to: 2024-12-31}
      complete: true
      kinds: [specialised_sme]
      levels: [municipal]
  - path: 小巨人名单.csv
    kind: certifications
    coverage:            # 转来的部分名单：不完整 / partial: absence says nothing
      kinds: [little_giant]
      complete: false
  - path: 规上入库.csv
    kind: register_events
    coverage:            # 思茅区规上工业名录，截至 2024 年底的全部入库：完整 / every entry up to 2024: complete
      regions: ["530802"]
      period: {to: 2024-12-31}
      complete: true
      kinds: [above_scale_industrial]
  - path: 限上名录.csv
    kind: register_events
    coverage:            # 思茅区限上批零住餐名录，同上 / the same for the above-quota trade register
      regions: ["530802"]
      period: {to: 2024-12-31}
      complete: true
      kinds: [above_quota_trade]
  - path: 已享受政策台账.xlsx
    kind: benefits_received
    values:
      rule_id: {市级专精特新企业一次性补助: puer.specialised-municipal,
                新建投产纳规工业企业补助: puer.new-industrial-above-scale}
    coverage: {regions: ["530802"], complete: true}
  - path: 失信名单.csv
    kind: dishonest
    coverage: {period: {from: 2024-01-01, to: 2024-12-31}, complete: true}
  - path: 纳税申报.csv
    kind: tax_records
  - path: 人工核实.csv
    kind: attestations
"""


def _csv(path: Path, header: list[str], rows: list[list[Any]], encoding: str) -> None:
    with path.open("w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows([[c.isoformat() if isinstance(c, date) else c for c in r] for r in rows])


def _xlsx(path: Path, title: str, header: list[str], rows: list[list[Any]]) -> None:
    wb = Workbook()
    ws = wb.active
    ws.append([title])
    ws.append(header)
    for r in rows:
        ws.append(r)
    wb.save(path)


def _register(path: Path, rows: list[list[Any]]) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "企业名录"
    ws.append(["2024年思茅区企业名录"])
    ws.append(["填报单位：思茅区营商环境服务中心"])
    ws.append(["统一社会信用代码", "企业名称", "行政区划代码", "行业代码", "成立日期", "从业人员期末人数（人）",
               "营业收入（千元）", "资产总计（万元）"])
    for r in rows:
        ws.append(r)
    ws.append(["合计", None, None, None, None, None, sum(r[6] for r in rows), sum(r[7] for r in rows)])
    wb.save(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--out", type=Path, default=Path(__file__).parent)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--firms", type=int, default=300)
    args = parser.parse_args()
    clean = make(args.out, args.seed, args.firms)
    print(f"wrote {args.out} ({len(clean)} firms)")


if __name__ == "__main__":
    main()
