"""Single-profile throughput (issue 2): decision path and explanation path vs a hand-written function.

Run: python benchmarks/single_profile.py [N]. Profiles are validated before the timed loops; the
validation cost is reported separately. Prints profiles/s and ratios; best of 5 runs each. The
explanation path on the bundled packs is timed twice: keeping all N/10 explanations (the cyclic
collector then walks every kept trace again and again) and one at a time, as a service answers —
the latter also by this process's CPU time, which the neighbours on a shared machine move less than
the wall clock (the load average is printed with the figures).
"""

from __future__ import annotations

import gc
import os
import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import eligibility as el
from eligibility.facts.flatten import UNKNOWN as U

sys.path.insert(0, str(Path(__file__).parent))
from common import best_of, machine, random_profiles  # noqa: E402

AS_OF = date(2024, 6, 30)
T_REVENUE, T_ASSETS, T_INCOME = Decimal(20_000_000), Decimal(50_000_000), Decimal(3_000_000)
GRANT_A, GRANT_C = Decimal(500_000), Decimal(100_000)


def hand_written(values: dict[str, Any]) -> list[tuple[str, str, Decimal | None]]:
    """R3 by hand, with the same three-valued semantics (UNKNOWN propagates; known-empty is false)."""
    g = values.get
    out = []
    code = g("industry_code", U)
    a1 = U if code is U else code is not None and code.startswith("C")
    rev = g("revenue", U)
    a2 = U if rev is U else rev is not None and rev >= T_REVENUE
    a = False if a1 is False or a2 is False else U if a1 is U or a2 is U else True
    out.append(("r3.manufacturing-revenue-grant", "ineligible" if a is False else "undetermined" if a is U else "eligible",
                None if a is False else GRANT_A))
    emp, assets, income = g("employees", U), g("total_assets", U), g("taxable_income", U)
    b1 = U if emp is U else emp is not None and emp <= 300
    b2 = U if assets is U else assets is not None and assets <= T_ASSETS
    b3 = U if income is U else income is not None and income <= T_INCOME
    b = False if False in (b1, b2, b3) else U if U in (b1, b2, b3) else True
    out.append(("r3.small-low-profit-like", "ineligible" if b is False else "undetermined" if b is U else "eligible",
                None))
    certs = g("certifications", U)
    if certs is U:
        c: Any = U
    else:
        c = False
        for cert in certs or ():
            kind = cert.get("kind", U)
            if kind is U:
                c = U
            elif kind == "high_tech":
                c = True
                break
    out.append(("r3.high-tech-grant", "ineligible" if c is False else "undetermined" if c is U else "eligible",
                None if c is False else GRANT_C))
    return out


def main(n: int = 100_000) -> None:
    here = Path(__file__).parent
    engine = el.Engine(el.load_rules(here / "r3.yaml"))
    raw = random_profiles(n)
    t0 = time.perf_counter()
    profiles = [el.Profile.from_data(p) for p in raw]
    for p in profiles:
        p.facts()
    validation = time.perf_counter() - t0
    # the profiles live for the whole run: keep the cyclic GC from rescanning them (same for every contender)
    gc.collect()
    gc.freeze()
    engine.decide(profiles[0], AS_OF)  # compile once, outside the timed loops

    # the two paths must agree before they are timed
    for p in profiles[:2000]:
        mine = [(d.rule_id, d.status.value, d.amount) for d in engine.decide(p, AS_OF)]
        assert mine == hand_written(p.facts().values), (mine, hand_written(p.facts().values))

    t_hand = best_of(lambda: [hand_written(p.facts().values) for p in profiles])
    t_decide = best_of(lambda: [engine.decide(p, AS_OF) for p in profiles])
    decide = engine.decider(AS_OF)
    t_decider = best_of(lambda: [decide(p) for p in profiles])
    m = max(1, n // 10)
    t_explain = best_of(lambda: [engine.evaluate(p, AS_OF) for p in profiles[:m]], repeat=7) * (n / m)
    packs = el.Engine(el.load_rules())
    packs.decide(profiles[0], AS_OF)
    t_packs = best_of(lambda: [packs.decide(p, AS_OF) for p in profiles], repeat=3)
    t_packs_explain = best_of(lambda: [packs.evaluate(p, AS_OF) for p in profiles[:m]], repeat=3) * (n / m)

    def one_at_a_time() -> None:  # a service's check-up: each explanation is used, then dropped
        for p in profiles[:m]:
            packs.evaluate(p, AS_OF)

    t_packs_each = best_of(one_at_a_time, repeat=3) * (n / m)
    t_packs_each_cpu = best_of(one_at_a_time, repeat=3, clock=time.process_time) * (n / m)

    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    print(f"single_profile benchmark · {date.today()} · {machine()} · load average {load} · {n:,} random profiles"
          " (best of N)")
    print(f"  validation from dicts          {n / validation:>12,.0f} profiles/s  (not in the loops below)")
    print(f"  hand-written Python, R3        {n / t_hand:>12,.0f} profiles/s")
    print(f"  engine.decide(p, as_of), R3    {n / t_decide:>12,.0f} profiles/s   ratio to hand-written {t_decide / t_hand:.2f}x")
    print(f"  engine.decider(as_of)(p), R3   {n / t_decider:>12,.0f} profiles/s   ratio to hand-written {t_decider / t_hand:.2f}x")
    print(f"  explanation path, R3           {n / t_explain:>12,.0f} profiles/s   ratio to hand-written {t_explain / t_hand:.2f}x")
    print(f"  decision path, bundled packs   {n / t_packs:>12,.0f} profiles/s   ({len(packs.rules)} rules)")
    print(f"  explanation path, bundled packs{n / t_packs_explain:>12,.0f} profiles/s   (all {m:,} explanations kept)")
    print(f"  ... one at a time, bundled packs{n / t_packs_each:>11,.0f} profiles/s   (each dropped after use)")
    print(f"  ... the same by CPU time        {n / t_packs_each_cpu:>12,.0f} profiles/s   "
          f"({t_packs_each_cpu / n * 1000:.3f} CPU ms each; goal ≥ 5,000/s)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
