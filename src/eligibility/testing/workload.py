"""A deterministic reactive workload: many firms, then a stream of updates, as a platform sees them.

Firms sit mostly where the bundled packs apply (普洱, 鄂尔多斯, 腾格里, 开鲁, 武功) and elsewhere;
updates are what data feeds bring: revenue and headcount revised, taxes filed, a register entered
or left, a certification granted, a benefit paid, a firm moving, removed, coming back, a
profile re-sent unchanged — and one date advance. The firms include USCCs that collide under
32-bit FNV-1a (the hash durable_rules finds fact ids by): the pair known to collide, and pairs
found by hashing random valid USCCs. Used by the event-stream equivalence test and
``benchmarks/reactive.py``; the same arguments always give the same workload.
"""

from __future__ import annotations

import copy
import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import numpy as np

from ..facts.codes.uscc import ALPHABET, WEIGHTS, check_character, org_code_check_character

KNOWN_COLLISION = ("91150602RLG8477809", "91150602CMPFQYT30W")
"""Two valid USCCs with the same 32-bit FNV-1a hash (durable_rules' fact-id hash)."""

FNV_OFFSET, FNV_PRIME = 0x811C9DC5, 0x01000193

# region → share of firms; zones only for 腾格里 (152921)
REGIONS = {"530802": 12, "530821": 6, "530825": 5, "530828": 4, "150602": 7, "150603": 4, "150621": 3,
           "152921": 14, "150523": 8, "610431": 7, "330106": 8, "110105": 6, "440305": 6, "152922": 3, "150502": 3}
ZONES = ("腾格里经济技术开发区", "腾格里经济技术开发区", "腾格里经济技术开发区", "其他园区")
INDUSTRIES = ("C", "C30", "C3011", "C13", "C3921", "B", "B06", "D", "D4411", "F", "F51", "F5212", "H", "H62",
              "H6210", "I", "I65", "M", "M73", "E", "E47", "G", "A", "K", "L")
CERT_KINDS = (("high_tech", "national"), ("tech_sme", "provincial"), ("specialised_sme", "municipal"),
              ("specialised_sme", "provincial"), ("specialised_growth", "provincial"), ("little_giant", "national"),
              ("little_giant", "provincial"), ("single_champion", "national"))
RECEIVABLE = ("puer.new-industrial-above-scale", "puer.small-to-above-scale", "puer.little-giant-national",
              "puer.specialised-municipal", "puer.trade-monthly-upgrade", "tengger.tech-transfer-award")
UPDATE_KINDS = {"revenue": 20, "taxes": 15, "enter_register": 14, "leave_register": 7, "certified": 12,
                "benefit": 5, "move": 3, "unchanged": 4, "remove": 6, "new_firm": 6, "return": 4,
                "drop_field": 4}


def fnv1a_32(text: str) -> int:
    """32-bit FNV-1a of the text's UTF-8 bytes."""
    h = FNV_OFFSET
    for byte in text.encode():
        h = ((h ^ byte) * FNV_PRIME) & 0xFFFFFFFF
    return h


def colliding_usccs(pairs: int, seed: int = 7, candidates: int = 400_000) -> list[tuple[str, str]]:
    """The known colliding pair and up to ``pairs - 1`` more, found among random valid USCCs
    (enterprise codes "91" in the workload's regions) by their FNV-1a hashes."""
    rng = np.random.default_rng(seed)
    alphabet = np.frombuffer(ALPHABET.encode(), dtype=np.uint8)
    regions = np.array([list(r.encode()) for r in REGIONS], dtype=np.uint8)
    body = rng.integers(0, len(ALPHABET), size=(candidates, 8))
    org_values = np.where(body < 10, body, np.array([int(ch, 36) for ch in ALPHABET])[body])
    remainder = 11 - (org_values * np.array((3, 7, 9, 10, 5, 8, 4, 2))).sum(axis=1) % 11
    org_check = np.where(remainder == 10, ALPHABET.index("X"), np.where(remainder == 11, 0, remainder))
    head = np.tile(np.array([9, 1]), (candidates, 1))
    region_digits = (regions[rng.integers(0, len(regions), size=candidates)] - ord("0")).astype(np.int64)
    values = np.hstack([head, region_digits, body, org_check[:, None]])
    check = (31 - (values * np.array(WEIGHTS)).sum(axis=1) % 31) % 31
    codes = alphabet[np.hstack([values, check[:, None]])]
    h = np.full(candidates, FNV_OFFSET, dtype=np.uint32)
    for col in codes.T:
        h = (h ^ col.astype(np.uint32)) * np.uint32(FNV_PRIME)
    order = np.argsort(h, kind="stable")
    sorted_h = h[order]
    same = np.flatnonzero(sorted_h[1:] == sorted_h[:-1])
    found = [KNOWN_COLLISION]
    for i in same:
        a, b = (codes[order[i]].tobytes().decode(), codes[order[i + 1]].tobytes().decode())
        if a != b and len(found) < pairs:
            found.append((a, b))
    return found


@dataclass(frozen=True, slots=True)
class Step:
    """One update: ``upsert`` a profile, ``remove`` a USCC, or ``advance`` as_of to ``day``."""

    kind: str
    profile: dict[str, Any] | None = None
    uscc: str | None = None
    day: date | None = None
    why: str = ""


@dataclass(frozen=True, slots=True)
class Workload:
    """Firms to load at ``as_of``, then ``steps``; ``collisions`` are the colliding USCC pairs in it."""

    as_of: date
    firms: list[dict[str, Any]]
    steps: list[Step]
    collisions: list[tuple[str, str]]


class _Maker:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.used: set[str] = set()

    def uscc(self, region: str) -> str:
        rng = self.rng
        while True:
            body = "".join(rng.choice(ALPHABET) for _ in range(8))
            first17 = ("92" if rng.random() < 0.08 else "91") + region + body + org_code_check_character(body)
            code = first17 + check_character(first17)
            if code not in self.used:
                self.used.add(code)
                return code

    def money(self, median: float, sigma: float = 1.2) -> Decimal:
        return Decimal(int(self.rng.lognormvariate(0, sigma) * median))

    def day(self, latest: date, back_days: int) -> date:
        return latest - timedelta(days=self.rng.randint(0, back_days))

    def firm(self, uscc: str | None, as_of: date) -> dict[str, Any]:
        rng = self.rng
        region = uscc[2:8] if uscc else rng.choices(list(REGIONS), weights=list(REGIONS.values()))[0]
        uscc = uscc or self.uscc(region)
        industry = rng.choice(INDUSTRIES)
        employees = max(1, int(rng.lognormvariate(3.2, 1.1)))
        revenue = self.money(employees * 600_000, 0.9)
        p: dict[str, Any] = {
            "uscc": uscc, "region_code": region, "industry_code": industry, "employees": employees,
            "revenue": revenue, "total_assets": self.money(float(revenue) or 1.0, 0.8),
            "taxable_income": Decimal(int(float(revenue) * rng.uniform(-0.05, 0.15))),
            "registered_on": self.day(as_of, 8000), "tax_credit_rating": rng.choice("ABBBMMCD"),
            "dishonest_record": rng.random() < 0.03, "ownership": rng.choice(("private",) * 5 + ("state", "foreign")),
        }
        small = revenue <= 5_000_000
        p["vat_taxpayer"] = rng.choice(("small_scale", "small_scale", "general")) if small else "general"
        p["vat_filing_period"] = rng.choice(("month", "quarter"))
        p["monthly_sales"] = self.money(float(revenue) / 12 or 1.0, 0.4)
        p["quarterly_sales"] = self.money(float(revenue) / 4 or 1.0, 0.3)
        if region == "152921" and rng.random() < 0.8:
            p["development_zone"] = rng.choice(ZONES)
        if rng.random() < 0.5:
            p["taxes_due"] = {k: self.money(8_000, 1.3) for k in ("urban_maintenance", "property", "urban_land_use",
                                                                 "stamp", "education_surcharge")}
        registers = self._registers(industry, revenue, as_of)
        if registers is not None:
            p["registers"] = registers
        if rng.random() < 0.25:
            p["certifications"] = [self.certification(as_of) for _ in range(rng.randint(1, 2))]
        elif rng.random() < 0.5:
            p["certifications"] = []
        if rng.random() < 0.1:
            p["benefits_received"] = [{"rule_id": rng.choice(RECEIVABLE), "year": rng.choice((as_of.year - 1, as_of.year))}]
        if rng.random() < 0.2:
            p["vat_credit"] = {"stock": self.money(60_000), "increment": self.money(40_000)}
        if rng.random() < 0.15:
            p["social_insurance"] = {"deferred": rng.random() < 0.4}
        if rng.random() < 0.2:
            p["difficulty"] = {k: rng.random() < 0.3 for k in ("stopped_production", "low_capacity_utilisation",
                                                              "loss_making", "output_value_down")}
            p["exclusions"] = {k: rng.random() < 0.05 for k in ("seasonal_stop", "deregistering", "bankrupt",
                                                               "planned_exit", "in_litigation")}
        if rng.random() < 0.15:
            p["tech_transfer"] = {"recognised": rng.random() < 0.6, "evaluation_tier": rng.randint(1, 3)}
        if rng.random() < 0.15:
            p["power"] = {"user_type": rng.choice(("general_commercial_industrial", "large_industry")),
                          "transformer_kva": rng.choice((100, 315, 630, 1000, 2000))}
        if rng.random() < 0.2:
            p["hires"] = {"new_qualifying_hires_this_year": rng.randint(0, 20), "graduates_hired_this_year": rng.randint(0, 5),
                          "min_contract_years": rng.choice((1, 2, 3)), "pays_social_insurance": rng.random() < 0.8,
                          "graduates_employer_contribution_monthly": self.money(1_200, 0.4)}
        if rng.random() < 0.1:
            p["operations"] = {"never_operated": rng.random() < 0.3, "debts_outstanding": False, "debts_settled": True}
        if rng.random() < 0.08:
            p["vehicles"] = [{"type": rng.choice(("truck", "other")), "annual_tax": self.money(600, 0.5)}]
        scenario = self._scenario(as_of)
        if scenario:
            p["scenario"] = scenario
        for key in [k for k in p if k not in ("uscc", "region_code")]:
            if rng.random() < 0.06:
                del p[key]
        return p

    def _registers(self, industry: str, revenue: Decimal, as_of: date) -> dict[str, Any] | None:
        rng = self.rng
        if rng.random() < 0.3:
            return None
        share = 0.6 if revenue >= 20_000_000 else 0.25
        out: dict[str, Any] = {}
        if industry[0] in "BCD" and rng.random() < share:
            out["above_scale_industrial"] = self.industrial_entry(as_of, 1500)
        if industry[0] in "FH" and rng.random() < share:
            out["above_quota_trade"] = self.trade_entry(as_of, 1500)
        return out

    def industrial_entry(self, as_of: date, back_days: int) -> dict[str, Any]:
        rng = self.rng
        entered = self.day(as_of, back_days)
        return {"entered_on": entered, "first_entry": rng.random() < 0.7, "new_build": rng.random() < 0.3,
                "left_on": None if rng.random() < 0.85 else entered + timedelta(days=rng.randint(30, 400))}

    def trade_entry(self, as_of: date, back_days: int) -> dict[str, Any]:
        rng = self.rng
        return {"entered_on": self.day(as_of, back_days), "basis": rng.choice(("month", "year")), "left_on": None}

    def certification(self, as_of: date) -> dict[str, Any]:
        kind, level = self.rng.choice(CERT_KINDS)
        certified = self.day(as_of, 900)
        return {"kind": kind, "level": level, "certified_on": certified,
                "expires_on": certified + timedelta(days=3 * 365)}

    def _scenario(self, as_of: date) -> dict[str, Any]:
        rng = self.rng
        out: dict[str, Any] = {}
        if rng.random() < 0.05:
            out["guarantee"] = {"amount": self.money(3_000_000, 1.0)}
        if rng.random() < 0.04:
            out["grid_connection"] = {"capacity_kva": rng.choice((50, 100, 160, 315)), "low_voltage": rng.random() < 0.6}
        if rng.random() < 0.04:
            budget = self.money(1_500_000, 1.0)
            out["procurement"] = {"kind": rng.choice(("goods", "services", "works")), "budget": budget,
                                  "reserved_for_sme": rng.random() < 0.5, "above_purchase_threshold": rng.random() < 0.7,
                                  "government_invested": rng.random() < 0.5,
                                  "bid_price": Decimal(int(budget * Decimal(rng.randint(70, 100)) / 100)),
                                  "region_code": rng.choice(("150523", "150523", "330106"))}
        if rng.random() < 0.04:
            out["loan"] = {"amount": self.money(2_000_000, 0.8), "term_years": rng.choice((1, 2, 3)),
                           "contract_on": self.day(as_of, 400), "lpr": Decimal("0.0345"),
                           "extended_or_overdue": rng.random() < 0.1, "subsidised_loans_before": rng.randint(0, 2)}
        return out

    def update(self, kind: str, p: dict[str, Any], as_of: date) -> dict[str, Any]:
        """A changed copy of profile ``p`` (``kind`` from UPDATE_KINDS, except removals and returns)."""
        rng = self.rng
        p = copy.deepcopy(p)
        if kind == "revenue":
            p["revenue"] = self.money(float(p.get("revenue") or 5_000_000), 0.3)
            p["employees"] = max(1, int((p.get("employees") or 20) * rng.uniform(0.8, 1.25)))
            p["total_assets"] = self.money(float(p.get("total_assets") or 5_000_000), 0.2)
        elif kind == "taxes":
            p["taxable_income"] = Decimal(int(float(p.get("revenue") or 2_000_000) * rng.uniform(-0.02, 0.15)))
            p["monthly_sales"] = self.money(float(p.get("revenue") or 1_200_000) / 12 or 1.0, 0.4)
            p["taxes_due"] = {k: self.money(8_000, 1.3) for k in ("urban_maintenance", "property", "stamp")}
        elif kind == "enter_register":
            registers = p.setdefault("registers", {})
            if p.get("industry_code", "C")[0] in "FH":
                registers["above_quota_trade"] = self.trade_entry(as_of, 60)
            else:
                p["industry_code"] = rng.choice(("C", "C30", "C3011", "B06", "D"))
                registers["above_scale_industrial"] = self.industrial_entry(as_of, 60) | {"left_on": None}
        elif kind == "leave_register":
            for entry in (p.get("registers") or {}).values():
                entry["left_on"] = self.day(as_of, 20)
        elif kind == "certified":
            p["certifications"] = [*(p.get("certifications") or []), self.certification(as_of)
                                   | {"certified_on": self.day(as_of, 30)}]
        elif kind == "benefit":
            p["benefits_received"] = [*(p.get("benefits_received") or []),
                                      {"rule_id": rng.choice(RECEIVABLE), "year": as_of.year}]
        elif kind == "move":
            p["region_code"] = rng.choice(list(REGIONS))
            p.pop("development_zone", None)
            if p["region_code"] == "152921":
                p["development_zone"] = rng.choice(ZONES)
        elif kind == "drop_field":
            keys = [k for k in p if k not in ("uscc", "region_code")]
            if keys:
                del p[rng.choice(keys)]
        return p


def make_workload(firms: int = 100_000, updates: int = 10_000, seed: int = 20241130,
                  as_of: date = date(2024, 11, 30), advance_to: date = date(2025, 4, 15),
                  collision_pairs: int = 6) -> Workload:
    """``firms`` firms loaded at ``as_of``, then ``updates`` steps (one of them moving as_of to
    ``advance_to``, halfway), with ``collision_pairs`` colliding USCC pairs among the firms."""
    maker = _Maker(seed)
    rng = maker.rng
    collisions = colliding_usccs(collision_pairs)
    colliding = [code for pair in collisions for code in pair]
    maker.used.update(colliding)
    loaded = [maker.firm(code, as_of) for code in colliding]
    loaded += [maker.firm(None, as_of) for _ in range(firms - len(loaded))]
    current = {p["uscc"]: p for p in loaded}
    live, gone = list(current), []
    kinds, weights = list(UPDATE_KINDS), list(UPDATE_KINDS.values())
    steps: list[Step] = []
    day = as_of
    # colliding ids get their own updates, spread over the stream: the second of each pair
    # updated, removed and brought back; the first updated after that
    scripted: dict[int, tuple[str, str]] = {}
    for n, (first, second) in enumerate(collisions):
        base = 1 + n * (updates // (len(collisions) + 1))
        for offset, (kind, code) in enumerate((("taxes", second), ("remove", second), ("return", second),
                                               ("certified", first))):
            scripted[base + offset * 7] = (kind, code)
    for i in range(updates):
        if i == updates // 2:
            day = advance_to
            steps.append(Step("advance", day=day, why="advance"))
            continue
        kind, code = scripted.get(i, (rng.choices(kinds, weights)[0], ""))
        if kind == "remove":
            code = code or live[rng.randrange(len(live))]
            if code in current:
                live.remove(code)
                gone.append(code)
                steps.append(Step("remove", uscc=code, why="remove"))
                del current[code]
                continue
            kind = "taxes"
        if kind == "return" and gone:
            code = code if code in gone else gone[rng.randrange(len(gone))]
            gone.remove(code)
            p = maker.firm(code, day)
        elif kind == "new_firm" or (kind == "return" and not gone):
            p = maker.firm(None, day)
        else:
            code = code if code in current else live[rng.randrange(len(live))]
            p = maker.update(kind, current[code], day)
        if p["uscc"] not in current:
            live.append(p["uscc"])
        current[p["uscc"]] = p
        steps.append(Step("upsert", profile=p, why=kind))
    return Workload(as_of, loaded, steps, collisions)
