"""Make examples/register.csv: synthetic but plausible firms (fixed seed, so the file is reproducible).

    python examples/make_register.py [N] [-o examples/register.csv] [--seed 2024]

Firms sit in the five seed jurisdictions (with their counties) and elsewhere, with log-normal sizes,
an industry mix, statistics registers, certifications, tax data, vehicles and difficulty flags —
the facts the bundled packs read — and some values simply missing, as in government data.
USCCs carry valid check characters; dates are set around the reference date 2025-06-30.
Scenario data (a procurement, a loan) belongs to a matter, not to a register row, and is left out.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from eligibility.facts.codes import check_character

REFERENCE = date(2025, 6, 30)
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
# (region code, weight): the five seed jurisdictions and their counties first, then elsewhere
REGIONS = [
    ("530802", 0.10), ("530821", 0.03), ("530822", 0.02), ("530827", 0.02),  # 普洱
    ("150523", 0.10), ("150502", 0.03), ("150521", 0.02),  # 开鲁, 通辽
    ("152921", 0.10), ("152922", 0.02),  # 阿拉善左旗 (腾格里), 右旗
    ("150602", 0.06), ("150621", 0.03), ("150627", 0.03),  # 鄂尔多斯
    ("610431", 0.10), ("610402", 0.03),  # 武功, 咸阳
    ("440305", 0.05), ("110105", 0.04), ("530102", 0.03), ("150102", 0.03),  # elsewhere
]
INDUSTRIES = [
    ("C3011", 0.06), ("C1311", 0.06), ("C3572", 0.05), ("C2710", 0.03), ("C1530", 0.03), ("B0610", 0.04),
    ("D4411", 0.02), ("E4710", 0.05), ("F5124", 0.07), ("F5211", 0.08), ("F5261", 0.03), ("H6110", 0.04),
    ("H6210", 0.06), ("I6510", 0.06), ("I6420", 0.02), ("K7010", 0.03), ("K7020", 0.02), ("L7212", 0.05),
    ("M7320", 0.04), ("A0111", 0.04), ("G5430", 0.04), ("J6620", 0.03), ("O8011", 0.05),
]
NAMES = ["茶业", "机械", "建材", "商贸", "餐饮", "酒店", "科技", "能源", "物流", "农业", "矿业", "软件", "服装", "食品"]
TAXES = ["resource", "urban_maintenance", "property", "urban_land_use", "stamp", "farmland_occupation",
         "education_surcharge", "local_education_surcharge"]
COLUMNS = [
    "uscc", "name", "region_code", "industry_code", "registered_on", "employees", "revenue", "total_assets",
    "taxable_income", "vat_taxpayer", "vat_filing_period", "monthly_sales", "quarterly_sales", "ownership",
    "tax_credit_rating", "dishonest_record", "development_zone", "restricted_industry",
    "registers", "registers.above_scale_industrial", "registers.above_scale_industrial.entered_on",
    "registers.above_scale_industrial.left_on", "registers.above_scale_industrial.first_entry",
    "registers.above_scale_industrial.new_build", "registers.above_quota_trade",
    "registers.above_quota_trade.entered_on", "registers.above_quota_trade.left_on", "registers.above_quota_trade.basis",
    "certifications", "benefits_received", "taxes_due", *(f"taxes_due.{t}" for t in TAXES), "vehicles",
    "vat_credit.stock", "vat_credit.increment", "social_insurance.deferred", "social_insurance.deferred_amount",
    "operations.never_operated", "operations.debts_outstanding", "operations.debts_settled",
    "tech_transfer.recognised", "tech_transfer.evaluation_tier",
    "difficulty.stopped_production", "difficulty.low_capacity_utilisation", "difficulty.loss_making",
    "difficulty.output_value_down", "exclusions.seasonal_stop", "exclusions.deregistering", "exclusions.bankrupt",
    "exclusions.planned_exit", "exclusions.in_litigation",
    "hires.new_qualifying_hires_this_year", "hires.graduates_hired_this_year", "hires.min_contract_years",
    "hires.pays_social_insurance", "hires.graduates_employer_contribution_monthly",
    "power.user_type", "power.transformer_kva",
]
QUOTA = {"F51": 20_000_000, "F52": 5_000_000, "H": 2_000_000}  # 限额以上 thresholds (STANDARDS §4)


def uscc(rng: random.Random, region: str, individual: bool) -> str:
    body = ("92" if individual else "91") + region + "".join(rng.choice(ALPHABET) for _ in range(9))
    return body + check_character(body)


def pick(rng: random.Random, weighted: list[tuple[str, float]]) -> str:
    return rng.choices([v for v, _ in weighted], [w for _, w in weighted])[0]


def day(rng: random.Random, back: int, forward: int = 0) -> str:
    return (REFERENCE + timedelta(days=rng.randint(-back, forward))).isoformat()


def yuan(value: float) -> int:
    return int(value) // 100 * 100


def flag(rng: random.Random, p: float) -> str:
    return "true" if rng.random() < p else "false"


def firm(rng: random.Random, i: int) -> dict[str, Any]:
    region = pick(rng, REGIONS)
    industry = pick(rng, INDUSTRIES)
    section = industry[0]
    individual = section in "FHO" and rng.random() < 0.2
    employees = max(1, int(rng.lognormvariate(3.0, 1.3)))
    revenue = yuan(rng.lognormvariate(15.4, 1.8))
    small_scale = revenue < 5_000_000 and rng.random() < 0.85
    quarterly = small_scale and rng.random() < 0.3
    row: dict[str, Any] = {
        "uscc": uscc(rng, region, individual),
        "name": f"示例{NAMES[i % len(NAMES)]}{'经营部' if individual else '有限公司'}{i:05d}",
        "region_code": region,
        "industry_code": industry,
        "registered_on": day(rng, 7000, 150),
        "employees": employees,
        "revenue": revenue,
        "total_assets": yuan(revenue * rng.uniform(0.3, 2.5)),
        "taxable_income": yuan(max(0.0, revenue * rng.uniform(-0.03, 0.12))),
        "vat_taxpayer": "small_scale" if small_scale else "general",
        "vat_filing_period": ("quarter" if quarterly else "month") if small_scale else "month",
        "monthly_sales": yuan(revenue / 12 * rng.uniform(0.6, 1.4)) if small_scale and not quarterly else "",
        "quarterly_sales": yuan(revenue / 4 * rng.uniform(0.6, 1.4)) if quarterly else "",
        "ownership": rng.choices(["private", "state", "foreign", "collective"], [0.85, 0.07, 0.05, 0.03])[0],
        "tax_credit_rating": rng.choices(["A", "B", "M", "C", "D"], [0.3, 0.4, 0.2, 0.07, 0.03])[0],
        "dishonest_record": flag(rng, 0.02),
        "development_zone": "腾格里经济技术开发区" if region == "152921" and rng.random() < 0.7 else "",
        "restricted_industry": "true" if rng.random() < 0.01 else "",
        "registers": "true",
        "certifications": "[]",
        "benefits_received": "[]",
    }
    if section in "BCD":
        member = revenue >= 20_000_000 and rng.random() < 0.92
        row["registers.above_scale_industrial"] = str(member).lower()
        if member:
            row["registers.above_scale_industrial.entered_on"] = day(rng, 1800, 60)
            row["registers.above_scale_industrial.left_on"] = day(rng, 60, 120) if rng.random() < 0.05 else ""
            row["registers.above_scale_industrial.first_entry"] = flag(rng, 0.7)
            row["registers.above_scale_industrial.new_build"] = flag(rng, 0.3)
            for key, p in (("stopped_production", 0.04), ("low_capacity_utilisation", 0.08), ("loss_making", 0.12),
                           ("output_value_down", 0.15)):
                row[f"difficulty.{key}"] = flag(rng, p)
            for key, p in (("seasonal_stop", 0.03), ("deregistering", 0.01), ("bankrupt", 0.005),
                           ("planned_exit", 0.01), ("in_litigation", 0.03)):
                row[f"exclusions.{key}"] = flag(rng, p)
        row["power.user_type"] = "large_industry" if revenue > 50_000_000 else "general_commercial_industrial"
        row["power.transformer_kva"] = rng.choice([80, 160, 250, 315, 400, 630, 1000])
    else:
        row["registers.above_scale_industrial"] = "false"
    if section in "FH":
        key = "H" if section == "H" else industry[:3]
        member = revenue >= QUOTA[key] and rng.random() < 0.85
        row["registers.above_quota_trade"] = str(member).lower()
        if member:
            row["registers.above_quota_trade.entered_on"] = day(rng, 900, 30)
            row["registers.above_quota_trade.basis"] = rng.choice(["month", "year"])
            row["registers.above_quota_trade.left_on"] = day(rng, 100, 100) if rng.random() < 0.06 else ""
    else:
        row["registers.above_quota_trade"] = "false"
    if rng.random() < 0.14:
        kind = rng.choice(["high_tech", "specialised_sme", "little_giant", "specialised_growth", "tech_sme",
                           "single_champion"])
        level = {"little_giant": rng.choice(["national", "provincial"]), "specialised_growth": "provincial",
                 "specialised_sme": rng.choice(["provincial", "municipal"])}.get(kind, "national")
        certs = [{"kind": kind, "level": level, "certified_on": day(rng, 800)}]
        row["certifications"] = json.dumps(certs, ensure_ascii=False)
    if small_scale or rng.random() < 0.2:
        row["taxes_due"] = "true"
        for t in TAXES:
            if rng.random() < 0.6:
                row[f"taxes_due.{t}"] = yuan(rng.lognormvariate(8.5, 1.2))
    if rng.random() < 0.25:
        vehicles = [{"type": rng.choice(["truck", "trailer", "special_work", "wheeled_special_machinery", "other"]),
                     "annual_tax": yuan(rng.uniform(300, 3000))} for _ in range(rng.randint(1, 4))]
        row["vehicles"] = json.dumps(vehicles, ensure_ascii=False)
    if not small_scale and rng.random() < 0.3:
        row["vat_credit.stock"] = yuan(rng.lognormvariate(11, 1.2))
        row["vat_credit.increment"] = yuan(rng.lognormvariate(10, 1.2))
    if rng.random() < 0.1:
        row["social_insurance.deferred"] = "true"
        row["social_insurance.deferred_amount"] = yuan(rng.lognormvariate(10.5, 1))
    if employees <= 3 and rng.random() < 0.3:
        row["operations.never_operated"] = flag(rng, 0.6)
        row["operations.debts_outstanding"] = flag(rng, 0.3)
        row["operations.debts_settled"] = flag(rng, 0.5)
    if section in "CIM" and rng.random() < 0.05:
        row["tech_transfer.recognised"] = "true"
        row["tech_transfer.evaluation_tier"] = rng.choice([1, 2, 3])
    if rng.random() < 0.3:
        row["hires.new_qualifying_hires_this_year"] = int(employees * rng.uniform(0, 0.4))
        row["hires.graduates_hired_this_year"] = rng.randint(0, 3)
        row["hires.min_contract_years"] = rng.choice([1, 2, 3])
        row["hires.pays_social_insurance"] = flag(rng, 0.9)
        row["hires.graduates_employer_contribution_monthly"] = yuan(rng.uniform(800, 2500))
    # data as governments have it: some facts are simply not known
    for key in ("employees", "revenue", "total_assets", "taxable_income", "registered_on", "certifications",
                "tax_credit_rating", "registers", "benefits_received"):
        if rng.random() < 0.05:
            row[key] = ""
    if row["registers"] == "":
        for key in [k for k in row if k.startswith("registers.")]:
            row[key] = ""
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("n", nargs="?", type=int, default=2400, help="number of firms (default 2400)")
    parser.add_argument("-o", "--output", type=Path, default=Path(__file__).with_name("register.csv"))
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with args.output.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS, restval="")
        writer.writeheader()
        for i in range(args.n):
            writer.writerow(firm(rng, i))
    print(f"wrote {args.n} firms to {args.output}")


if __name__ == "__main__":
    main()
