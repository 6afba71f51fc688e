"""Make examples/register.csv: synthetic but plausible firms (fixed seed, so the file is reproducible).

    python examples/make_register.py [N] [-o examples/register.csv]

Firms sit in the five seed jurisdictions and elsewhere, with log-normal sizes, an industry mix,
register memberships, certifications and some missing values. USCCs carry valid check characters.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
from datetime import date, timedelta
from pathlib import Path

from eligibility.facts.codes import check_character

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
REGIONS = [("530802", 0.16), ("530821", 0.06), ("150523", 0.14), ("150502", 0.06), ("152921", 0.12),
           ("150602", 0.1), ("610431", 0.12), ("610402", 0.06), ("440305", 0.1), ("110105", 0.08)]
INDUSTRIES = [("C3011", 0.08), ("C1311", 0.08), ("C3572", 0.06), ("C2710", 0.04), ("B0610", 0.04),
              ("D4411", 0.03), ("E4710", 0.06), ("F5124", 0.1), ("F5211", 0.1), ("H6110", 0.05), ("H6210", 0.07),
              ("I6510", 0.07), ("K7010", 0.04), ("L7212", 0.06), ("M7320", 0.04), ("A0111", 0.04), ("J6620", 0.04)]
NAMES = ["茶业", "机械", "建材", "商贸", "餐饮", "酒店", "科技", "能源", "物流", "农业", "矿业", "软件"]


def uscc(rng: random.Random, region: str, individual: bool) -> str:
    body = ("92" if individual else "91") + region + "".join(rng.choice(ALPHABET) for _ in range(9))
    return body + check_character(body)


def pick(rng: random.Random, weighted: list[tuple[str, float]]) -> str:
    return rng.choices([v for v, _ in weighted], [w for _, w in weighted])[0]


def firm(rng: random.Random, i: int) -> dict[str, object]:
    region = pick(rng, REGIONS)
    industry = pick(rng, INDUSTRIES)
    individual = industry[0] in "FH" and rng.random() < 0.15
    employees = max(1, int(rng.lognormvariate(3.2, 1.3)))
    revenue = int(rng.lognormvariate(15.6, 1.7)) // 100 * 100
    row: dict[str, object] = {
        "uscc": uscc(rng, region, individual),
        "name": f"示例{NAMES[i % len(NAMES)]}{'个体户' if individual else '有限公司'}{i:05d}",
        "region_code": region,
        "industry_code": industry,
        "registered_on": (date(2005, 1, 1) + timedelta(days=rng.randint(0, 7000))).isoformat(),
        "employees": employees,
        "revenue": revenue,
        "total_assets": int(revenue * rng.uniform(0.4, 2.5)) // 100 * 100,
        "taxable_income": max(0, int(revenue * rng.uniform(-0.02, 0.12))) // 100 * 100,
        "vat_taxpayer": "small_scale" if revenue < 5_000_000 else "general",
        "monthly_sales": revenue // 12 // 100 * 100 if revenue < 5_000_000 else "",
        "development_zone": "腾格里经济技术开发区" if region == "152921" and rng.random() < 0.6 else "",
    }
    if industry[0] in "BCD":
        in_register = revenue >= 20_000_000 and rng.random() < 0.9
        row["registers.above_scale_industrial"] = "true" if in_register else "false"
        if in_register:
            entered = date(2024, 1, 1) - timedelta(days=rng.randint(-170, 1500))
            row["registers.above_scale_industrial.entered_on"] = entered.isoformat()
            row["registers.above_scale_industrial.first_entry"] = str(rng.random() < 0.7).lower()
            row["registers.above_scale_industrial.new_build"] = str(rng.random() < 0.3).lower()
    certs = []
    if rng.random() < 0.12:
        kind = rng.choice(["high_tech", "specialised_sme", "little_giant", "specialised_growth", "tech_sme"])
        level = {"little_giant": rng.choice(["national", "provincial"]), "specialised_growth": "provincial",
                 "specialised_sme": rng.choice(["provincial", "municipal"])}.get(kind, "national")
        certs.append({"kind": kind, "level": level,
                      "certified_on": (date(2024, 6, 30) - timedelta(days=rng.randint(0, 900))).isoformat()})
    row["certifications"] = json.dumps(certs, ensure_ascii=False)
    # data as governments have it: some figures are simply not known
    for key in ("employees", "revenue", "total_assets", "taxable_income", "certifications", "registered_on"):
        if rng.random() < 0.06:
            row[key] = ""
    return row


COLUMNS = ["uscc", "name", "region_code", "industry_code", "registered_on", "employees", "revenue", "total_assets",
           "taxable_income", "vat_taxpayer", "monthly_sales", "development_zone", "registers.above_scale_industrial",
           "registers.above_scale_industrial.entered_on", "registers.above_scale_industrial.first_entry",
           "registers.above_scale_industrial.new_build", "certifications"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("n", nargs="?", type=int, default=300, help="number of firms (default 300)")
    parser.add_argument("-o", "--output", type=Path, default=Path(__file__).with_name("register.csv"))
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with args.output.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        for i in range(args.n):
            writer.writerow(firm(rng, i))
    print(f"wrote {args.n} firms to {args.output}")


if __name__ == "__main__":
    main()
