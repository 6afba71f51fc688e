"""Register bundles: the manifest, department lists joined by USCC with their coverage, attestations,
the zip form, and the example bundle scored equal to the same firms as clean profiles."""

from __future__ import annotations

import importlib.util
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import eligibility as el
from eligibility.batch import read_register
from eligibility.batch.bundle import load_manifest
from eligibility.batch.bundle_join import BundleReader, read_bundle
from eligibility.errors import RuleSetError

ROOT = Path(__file__).resolve().parents[2]
AS_OF = date(2024, 12, 31)


def _make_bundle_module() -> Any:
    spec = importlib.util.spec_from_file_location("make_bundle", ROOT / "examples" / "bundle" / "make_bundle.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, Any]]]:
    out = tmp_path_factory.mktemp("bundle")
    return out, _make_bundle_module().make(out)


@pytest.fixture(scope="module")
def engine() -> el.Engine:
    return el.Engine(el.load_rules())


def _uscc(body17: str) -> str:
    from eligibility.facts.codes import check_character

    return body17 + check_character(body17)


FIRM_A, FIRM_B, FIRM_C = _uscc("91530802MA6K0X1T2"), _uscc("91530802MA6K0X1T3"), _uscc("91530821MA6K0X1T4")


def _write(folder: Path, manifest: str, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    path = folder / "bundle.yaml"
    path.write_text(manifest, encoding="utf-8")
    return path


REGISTER = f"统一社会信用代码,企业名称,行政区划代码\n{FIRM_A},甲,530802\n{FIRM_B.lower()},乙,530802\n{FIRM_C},丙,530821\n"
SPECIALISED = "统一社会信用代码,企业名称,级别,认定日期\n" + f"{FIRM_A.translate(str.maketrans('0123456789', '０１２３４５６７８９'))},甲,市级,2024年5月20日\n" \
    + f"{_uscc('91530802MA6K0X1T9')},名录外,市级,2024-06-01\n"


def _manifest(complete: bool) -> str:
    return f"""bundle: 测试 2024
files:
  - path: register.csv
    kind: register
  - path: specialised.csv
    kind: certifications
    coverage:
      regions: ["530802"]
      period: {{from: 2024-01-01, to: 2024-12-31}}
      complete: {str(complete).lower()}
      kinds: [specialised_sme]
      levels: [municipal]
"""


def _statuses(engine: el.Engine, frame: pd.DataFrame, rule: str) -> dict[int, str]:
    scored = engine.score(frame, as_of=AS_OF)
    return {int(r.row): r.status for r in scored[scored["rule_id"] == rule].itertuples()}


@pytest.mark.parametrize("complete", [True, False])
def test_a_complete_list_makes_absence_known_a_partial_one_does_not(tmp_path: Path, engine: el.Engine,
                                                                  complete: bool) -> None:
    path = _write(tmp_path, _manifest(complete), {"register.csv": REGISTER, "specialised.csv": SPECIALISED})
    bundle = read_bundle(path)
    got = _statuses(engine, bundle.frame, "puer.specialised-municipal")
    # A is on the list (a full-width USCC); B is not (its register USCC in lower case); C is in 宁洱县,
    # outside the list's regions: its absence says nothing either way
    assert got[1] == "eligible"
    assert got[2] == ("ineligible" if complete else "undetermined")
    assert got[3] == "undetermined"
    assert _statuses(engine, bundle.frame, "puer.little-giant-national")[2] == "undetermined"


def test_a_list_row_not_in_the_register_is_counted_and_reported(tmp_path: Path) -> None:
    path = _write(tmp_path, _manifest(True), {"register.csv": REGISTER, "specialised.csv": SPECIALISED})
    bundle = read_bundle(path)
    report = bundle.report.files[0]
    assert (report.rows, report.joined, report.unmatched) == (2, 1, 1)
    assert report.unmatched_examples == [(2, _uscc("91530802MA6K0X1T9"))]
    assert any("not in the register" in en for _, en in bundle.warnings)


def test_explanation_names_the_list_that_made_absence_known(tmp_path: Path, engine: el.Engine) -> None:
    path = _write(tmp_path, _manifest(True), {"register.csv": REGISTER, "specialised.csv": SPECIALISED})
    frame = read_bundle(path).frame
    profile = {k: v for k, v in frame.iloc[1].items() if v is not None and v is not pd.NA}
    ev = engine.evaluate(profile, as_of=AS_OF)
    text_zh, text_en = ev.explain(lang="zh"), ev.explain(lang="en")
    assert "据 测试 2024 specialised（专精特新中小企业，市级，2024-01-01至2024-12-31） 未列入" in text_zh
    assert "not on 测试 2024 specialised (" in text_en


def test_two_lists_of_different_kinds_each_decide_their_own_rules(tmp_path: Path, engine: el.Engine) -> None:
    giants = "统一社会信用代码,名称,级别,认定日期\n"
    manifest = _manifest(True) + """  - path: giants.csv
    kind: certifications
    coverage: {regions: ["530800"], period: {from: 2024-01-01, to: 2024-12-31}, complete: true,
               kinds: [little_giant], levels: [national]}
"""
    path = _write(tmp_path, manifest, {"register.csv": REGISTER, "specialised.csv": SPECIALISED, "giants.csv": giants})
    frame = read_bundle(path).frame
    assert _statuses(engine, frame, "puer.little-giant-national") == {1: "ineligible", 2: "ineligible", 3: "ineligible"}
    assert _statuses(engine, frame, "puer.little-giant-provincial")[2] == "undetermined"
    assert _statuses(engine, frame, "puer.specialised-municipal")[3] == "undetermined"


def test_attestations_are_applied_and_recorded(tmp_path: Path, engine: el.Engine) -> None:
    manifest = _manifest(True) + "  - path: attested.csv\n    kind: attestations\n"
    attested = f"统一社会信用代码,核实字段,核实值,核实人,核实日期\n{FIRM_B},从业人员,45,王芳,2024年11月20日\n" \
               f"{FIRM_C},不存在的字段,1,王芳,2024-11-20\n"
    path = _write(tmp_path, manifest, {"register.csv": REGISTER, "specialised.csv": SPECIALISED, "attested.csv": attested})
    bundle = read_bundle(path)
    row = bundle.frame.loc[2]
    assert row["employees"] == "45"
    assert row["attestations"] == [{"field": "employees", "value": "45", "by": "王芳", "on": date(2024, 11, 20)}]
    report = bundle.report.files[-1]
    assert report.refused and report.refused[0][0] == 2 and "不存在的字段" in report.refused[0][2]
    profile = el.Profile.from_data({k: v for k, v in row.items() if v is not None and v is not pd.NA})
    assert profile.employees == 45 and profile.attestations[0].by == "王芳"


def test_a_zip_is_the_same_bundle(tmp_path: Path, engine: el.Engine) -> None:
    path = _write(tmp_path, _manifest(True), {"register.csv": REGISTER, "specialised.csv": SPECIALISED})
    packed = tmp_path / "bundle.zip"
    with zipfile.ZipFile(packed, "w") as zf:
        zf.write(path, "manifest.yaml")
        zf.write(tmp_path / "register.csv", "register.csv")
        zf.write(tmp_path / "specialised.csv", "specialised.csv")
    a, b = read_bundle(path).frame, read_bundle(packed).frame
    assert _statuses(engine, a, "puer.specialised-municipal") == _statuses(engine, b, "puer.specialised-municipal")
    assert [c for _, c in read_register(packed)][0].shape == a.shape


def test_a_zip_member_outside_its_folder_is_refused(tmp_path: Path) -> None:
    packed = tmp_path / "evil.zip"
    with zipfile.ZipFile(packed, "w") as zf:
        zf.writestr("manifest.yaml", "bundle: x\nfiles: []\n")
        zf.writestr("../escape.csv", "a\n")
    with pytest.raises(el.EligibilityError, match="unsafe path"):
        load_manifest(packed)


@pytest.mark.parametrize(("text", "line", "words"), [
    ("bundle: x\nfiles:\n  - path: register.csv\n    kind: registr\n", 4, "did you mean 'register'"),
    ("bundle: x\nfiles:\n  - path: register.csv\n    kind: register\n  - path: missing.csv\n    kind: dishonest\n", 5,
     "no such file"),
    ("bundle: x\nfiles:\n  - path: register.csv\n    kind: register\n    coverage: {complete: yes please}\n", 5,
     "complete: must be true or false"),
    ("bundle: x\nfiles:\n  - path: register.csv\n    kind: register\n  - path: register.csv\n    kind: certifications\n"
     "    coverage: {complete: true, kinds: [specialised_sme]}\n", 7, "must declare period"),
    ("bundle: x\nfiles:\n  - path: ../register.csv\n    kind: register\n", 3, "inside the manifest's folder"),
    ("bundle: x\nfiles:\n  - path: register.csv\n    kind: register\n  - path: register.csv\n    kind: tax_records\n"
     "    coverage:\n      regions: [\"530802\"]\n      complete: true\n", 9, "a firm not on a tax list has unknown sales"),
    ("bundle: x\nfiles:\n  - path: register.csv\n    kind: register\n  - path: register.csv\n    kind: certifications\n"
     "    columns: {认定时间: certifed_on}\n", 7, "did you mean 'certified_on'"),
])
def test_manifest_errors_name_file_and_line(tmp_path: Path, text: str, line: int, words: str) -> None:
    (tmp_path / "register.csv").write_text(REGISTER, encoding="utf-8")
    path = tmp_path / "bundle.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RuleSetError) as info:
        load_manifest(path)
    err = next(e for e in info.value.errors if words in e.en)
    assert err.details["file"] == str(path) and err.details["line"] == line


def test_a_manifest_tag_cannot_run_code(tmp_path: Path) -> None:
    path = tmp_path / "bundle.yaml"
    path.write_text("bundle: !!python/object/apply:os.system ['true']\nfiles: []\n", encoding="utf-8")
    with pytest.raises(RuleSetError, match="tag"):
        load_manifest(path)


def test_the_example_bundle_scores_as_its_clean_profiles(example: tuple[Path, list[dict[str, Any]]],
                                                         engine: el.Engine) -> None:
    folder, clean = example
    bundle = read_bundle(folder / "manifest.yaml")
    assert len(bundle.frame) == len(clean)
    got = engine.score(bundle.frame, as_of=AS_OF)
    want = engine.score(el.to_frame(clean), as_of=AS_OF)
    merged = got.merge(want, on=["row", "rule_id"], how="outer", suffixes=("", "_clean"), indicator=True)
    assert (merged["_merge"] == "both").all()
    errors = merged[merged["status"] == "error"]
    # the bad head counts: only the rules that read employees are in error, each saying field and row
    assert len(errors) and errors["reason"].str.contains("field employees, row").all()
    bad_rows = set(errors["row"])
    assert bad_rows == {i + 1 for i, p in enumerate(clean) if "employees" not in p and i % 97 == 5}
    decided = merged[merged["status"] != "error"]
    assert (decided["status"] == decided["status_clean"]).all(), decided[decided["status"] != decided["status_clean"]]
    same_amount = decided["amount"].isna() & decided["amount_clean"].isna() | (decided["amount"] == decided["amount_clean"])
    assert same_amount.all()
    statuses = set(got["status"])
    assert {"eligible", "ineligible", "undetermined"} <= statuses
    assert (got[got["rule_id"] == "puer.specialised-municipal"]["status"] == "eligible").any()


def test_the_example_bundle_reports_its_join(example: tuple[Path, list[dict[str, Any]]]) -> None:
    folder, _ = example
    bundle = read_bundle(folder / "manifest.yaml")
    by_kind = {f.kind: f for f in bundle.report.files}
    assert set(by_kind) == {"certifications", "register_events", "benefits_received", "dishonest", "tax_records",
                            "attestations"}
    specialised = next(f for f in bundle.report.files if f.path == "专精特新名单.csv")
    assert specialised.unmatched == 1 and specialised.joined == specialised.rows - 1
    assert all(f.joined == f.rows for f in bundle.report.files if f is not specialised)
    skipped = " ".join(en for _, en in bundle.warnings)
    assert "titles" in skipped and "total" in skipped.lower()


def test_the_committed_example_is_what_the_script_makes(tmp_path: Path) -> None:
    _make_bundle_module().make(tmp_path)
    committed = ROOT / "examples" / "bundle"
    for path in tmp_path.iterdir():
        if path.suffix in (".csv", ".yaml"):
            assert path.read_bytes() == (committed / path.name).read_bytes(), path.name


def test_score_and_check_take_a_bundle_on_the_command_line(tmp_path: Path,
                                                           example: tuple[Path, list[dict[str, Any]]]) -> None:
    from typer.testing import CliRunner

    from eligibility.cli import app

    folder, clean = example
    runner = CliRunner()
    out = tmp_path / "scored.csv"
    result = runner.invoke(app, ["score", str(folder / "manifest.yaml"), "-o", str(out), "--as-of", "2024-12-31",
                                 "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert "专精特新名单.csv: 级别 → certifications.level" in result.output
    listed = sum(c["kind"] == "specialised_sme" for p in clean for c in p["certifications_listed"])
    assert (f"专精特新名单.csv (certifications): {listed + 1} row(s) read = {listed} joined + 1 not in the register"
            in result.output)
    scored = pd.read_csv(out)
    assert scored["row"].nunique() == len(clean)
    checked = runner.invoke(app, ["check", str(folder / "manifest.yaml"), "--lang", "en"])
    assert checked.exit_code == 0, checked.output
    assert "纳税申报.csv (tax_records)" in checked.output and "rows read 300" in checked.output


def test_a_bad_manifest_exits_2_naming_file_and_line(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from eligibility.cli import app

    (tmp_path / "register.csv").write_text(REGISTER, encoding="utf-8")
    path = tmp_path / "bundle.yaml"
    path.write_text("bundle: x\nfiles:\n  - path: register.csv\n    kind: regster\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["score", str(path), "-o", str(tmp_path / "o.csv"), "--lang", "en"])
    assert result.exit_code == 2
    assert f"{path}:4" in result.output and "did you mean 'register'" in result.output


def test_an_attested_value_is_explained_as_confirmed_by_caseworker(tmp_path: Path, engine: el.Engine) -> None:
    manifest = _manifest(True) + "  - path: attested.csv\n    kind: attestations\n"
    attested = f"统一社会信用代码,核实字段,核实值,核实人,核实日期\n{FIRM_B},月销售额,8万,王芳,2024-11-20\n"
    path = _write(tmp_path, manifest, {"register.csv": REGISTER, "specialised.csv": SPECIALISED, "attested.csv": attested})
    row = read_bundle(path).frame.loc[2]
    profile = {k: v for k, v in row.items() if v is not None and v is not pd.NA}
    ev = engine.evaluate({**profile, "vat_taxpayer": "small_scale", "vat_filing_period": "month"}, as_of=AS_OF)
    zh = ev["cn.small-scale-vat-exemption"].explanation
    en = engine.evaluate({**profile, "vat_taxpayer": "small_scale", "vat_filing_period": "month"}, as_of=AS_OF
                         ).explain(lang="en")
    assert "月销售额 8万元（人工核实：王芳，2024-11-20）" in zh, zh
    assert "(confirmed by caseworker: 王芳, 2024-11-20)" in en


def test_a_list_without_its_key_column_is_an_error_naming_the_file(tmp_path: Path) -> None:
    from eligibility.batch import RegisterError

    path = _write(tmp_path, _manifest(True), {"register.csv": REGISTER, "specialised.csv": "企业名称,级别\n甲,市级\n"})
    with pytest.raises(RegisterError, match="no USCC column") as info:
        read_bundle(path)
    assert info.value.details["file"].endswith("specialised.csv")
    lenient = read_bundle(path, strict=False)  # --lenient: the list's rows are reported, not joined
    assert lenient.report.files[0].refused == [(1, "没有统一社会信用代码", "no USCC")]


def test_a_bundle_with_dask_is_refused_clearly(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from eligibility.cli import app

    path = _write(tmp_path, _manifest(True), {"register.csv": REGISTER, "specialised.csv": SPECIALISED})
    result = CliRunner().invoke(app, ["score", str(path), "-o", str(tmp_path / "out"), "--dask", "local"])
    assert result.exit_code == 2 and "a bundle cannot be read with --dask" in result.output


def test_a_malformed_list_row_is_reported_not_lost(tmp_path: Path) -> None:
    broken = SPECIALISED + "a,b,c,d,e,f\n"  # six fields where the header has four
    path = _write(tmp_path, _manifest(True), {"register.csv": REGISTER, "specialised.csv": broken})
    report = read_bundle(path).report.files[0]
    assert report.rows == 3 and report.joined + report.unmatched + len(report.refused) == report.rows
    assert report.refused[0][0] == 3


FIRM_T = _uscc("91530802MA6K0X1T5")
INDUSTRIAL = (f"统一社会信用代码,企业名称,行政区划代码,行业代码\n{FIRM_A},甲,530802,C3011\n{FIRM_B},乙,530802,C3011\n"
              f"{FIRM_T},丁,530802,F5211\n")


def _registers_manifest(scale_period: str, quota: bool) -> str:
    text = f"""bundle: 测试 2024
files:
  - path: register.csv
    kind: register
  - path: scale.csv
    kind: register_events
    coverage: {{regions: ["530802"], period: {scale_period}, complete: true, kinds: [above_scale_industrial]}}
"""
    if quota:
        text += """  - path: quota.csv
    kind: register_events
    coverage: {regions: ["530802"], period: {to: 2024-12-31}, complete: true, kinds: [above_quota_trade]}
"""
    return text


@pytest.mark.parametrize(("scale_period", "quota", "absent"), [
    ("{from: 2024-01-01, to: 2024-12-31}", True, "undetermined"),  # says nothing about entries before 2024
    ("{to: 2024-12-31}", False, "undetermined"),  # 限上 unknown: the firm's memberships stay unknown as a whole
    ("{to: 2024-12-31}", True, "ineligible"),  # every entry of both registers up to 2024: in neither
])
def test_register_lists_make_absence_known_only_for_every_register_and_from_the_start(
        tmp_path: Path, engine: el.Engine, scale_period: str, quota: bool, absent: str) -> None:
    scale = f"统一社会信用代码,入库时间,入库方式\n{FIRM_A},2024-03-01,新建投产\n"
    path = _write(tmp_path, _registers_manifest(scale_period, quota),
                  {"register.csv": INDUSTRIAL, "scale.csv": scale, "quota.csv": "统一社会信用代码,纳入时间,入库方式\n"})
    bundle = read_bundle(path)
    industrial = _statuses(engine, bundle.frame, "puer.new-industrial-above-scale")
    assert industrial[1] == "eligible"  # on the list
    assert industrial[2] == absent
    assert _statuses(engine, bundle.frame, "puer.trade-monthly-upgrade")[3] == absent
    notes = " ".join(en for _, en in bundle.warnings)
    assert ("says nothing about entries before" in notes) == ("from" in scale_period)
    assert ("no complete list of above_quota_trade" in notes) == (not quota)


def test_a_register_entry_dated_after_as_of_does_not_count(tmp_path: Path, engine: el.Engine) -> None:
    scale = f"统一社会信用代码,入库时间,入库方式,首次纳规\n{FIRM_A},2025-02-01,新建投产,是\n{FIRM_B},2024-03-01,小升规,是\n"
    path = _write(tmp_path, _registers_manifest("{to: 2025-12-31}", True),
                  {"register.csv": INDUSTRIAL, "scale.csv": scale, "quota.csv": "统一社会信用代码,纳入时间,入库方式\n"})
    frame = read_bundle(path).frame
    assert _statuses(engine, frame, "puer.new-industrial-above-scale")[1] == "ineligible"
    assert _statuses(engine, frame, "puer.small-to-above-scale") == {1: "ineligible", 2: "eligible", 3: "ineligible"}


def test_a_year_of_certification_is_read_but_is_not_a_date(tmp_path: Path, engine: el.Engine) -> None:
    # a list as 工信 publishes it: 认定年度 and 批次, no day; one row also gives its 公示日期
    listed = ("统一社会信用代码,企业名称,级别,认定年度,批次\n"
              f"{FIRM_A},甲,市级,2024年度,第一批\n{FIRM_B},乙,市级,２０２４,第二批\n")
    path = _write(tmp_path, _manifest(True), {"register.csv": REGISTER, "specialised.csv": listed})
    bundle = read_bundle(path)
    assert any(r.header.endswith("认定年度") and r.field == "certifications.year" for r in BundleReader(path).recognised)
    report = bundle.report.files[0]
    assert (report.joined, report.undated, report.year_only) == (2, 2, 2)
    assert any("2 certification(s) have no date (2 with only a year" in en for _, en in bundle.warnings)
    # on a complete list but with no date: within 12 months cannot be told — not eligible, not ineligible
    assert _statuses(engine, bundle.frame, "puer.specialised-municipal") == {1: "undetermined", 2: "undetermined",
                                                                             3: "undetermined"}


def test_old_registration_numbers_are_refused_by_row_naming_them(tmp_path: Path, engine: el.Engine) -> None:
    register = REGISTER + "５３０８０２０００ ０１２３４５,戊,思茅区\n"
    listed = SPECIALISED + "530802000012345,戊,市级,2024-03-01\n"
    path = _write(tmp_path, _manifest(True), {"register.csv": register, "specialised.csv": listed})
    bundle = read_bundle(path, strict=False)
    report = bundle.report.files[0]
    assert report.refused == [(3, "530802000012345 是 15 位旧工商注册号，不是统一社会信用代码",
                               "530802000012345 is a 15-digit old registration number (注册号), not a USCC")]
    scored = engine.score(bundle.frame, as_of=AS_OF)
    failed = scored[scored["row"] == 4]
    assert len(failed) == 1 and failed["rule_id"].isna().all()  # a row-level error: no readable USCC
    assert "15-digit old business registration number" in failed["reason"].iloc[0]


def test_a_county_written_by_name_is_its_code(tmp_path: Path) -> None:
    register = f"统一社会信用代码,企业名称,行政区划\n{FIRM_A},甲,普洱市思茅区\n{FIRM_B},乙,思茅区\n{FIRM_C},丙,火星区\n"
    path = _write(tmp_path, _manifest(True), {"register.csv": register, "specialised.csv": SPECIALISED})
    frame = read_bundle(path, strict=False).frame
    assert frame["region_code"].tolist()[:2] == ["530802", "530802"]
    assert frame["certification_coverage"].map(len).tolist()[:2] == [1, 1]  # inside the list's regions


@pytest.mark.parametrize("complete", [True, False])
def test_every_quantifier_over_certifications_follows_the_lists(tmp_path: Path, complete: bool) -> None:
    """all / count / not any / sum (the conformance suite's test rules) read a bundle's lists as any does:
    the 专精特新 list declared complete, then partial, beside a complete 小巨人 list of another kind."""
    engine = el.Engine(el.load_rules(ROOT / "tests" / "conformance" / "rules"))
    giants = f"统一社会信用代码,名称,级别,认定日期\n{FIRM_A},甲,国家级,2024-03-01\n"
    forwarded = f"统一社会信用代码,企业名称,认定类型,级别,认定日期\n{FIRM_A},甲,专精特新,市级,2024年5月20日\n"
    manifest = _manifest(complete) + """  - path: giants.csv
    kind: certifications
    coverage: {regions: ["530800"], period: {from: 2024-01-01, to: 2024-12-31}, complete: true,
               kinds: [little_giant]}
  - path: forwarded.csv
    kind: certifications
"""
    path = _write(tmp_path, manifest, {"register.csv": REGISTER, "specialised.csv": SPECIALISED, "giants.csv": giants,
                                       "forwarded.csv": forwarded})
    frame = read_bundle(path).frame
    # the 专精特新 certification on two lists is one certification
    assert sorted(c["kind"] for c in frame["certifications_listed"].iloc[0]) == ["little_giant", "specialised_sme"]
    got = {rule: _statuses(engine, frame, rule) for rule in ("conf.cert-all", "conf.cert-count", "conf.cert-none",
                                                             "conf.cert-sum")}
    unknown_if_partial = "eligible" if complete else "undetermined"
    # A: on both lists; B: on none, inside both lists' regions; C: in 宁洱县, inside the 小巨人 list's only
    assert got["conf.cert-all"] == {1: "ineligible", 2: unknown_if_partial, 3: "undetermined"}
    assert got["conf.cert-count"] == {1: "ineligible" if complete else "undetermined", 2: unknown_if_partial,
                                      3: "undetermined"}
    assert got["conf.cert-none"] == {1: unknown_if_partial, 2: unknown_if_partial, 3: "undetermined"}
    assert got["conf.cert-sum"] == {1: "eligible", 2: "ineligible", 3: "ineligible"}


def test_explanations_name_the_complete_lists_for_all_and_count(tmp_path: Path) -> None:
    engine = el.Engine(el.load_rules(ROOT / "tests" / "conformance" / "rules"))
    manifest = _manifest(True) + """  - path: giants.csv
    kind: certifications
    coverage: {regions: ["530800"], period: {from: 2024-01-01, to: 2024-12-31}, complete: true,
               kinds: [little_giant]}
"""
    path = _write(tmp_path, manifest, {"register.csv": REGISTER, "specialised.csv": SPECIALISED,
                                       "giants.csv": "统一社会信用代码,名称,级别,认定日期\n"})
    frame = read_bundle(path).frame
    profile = {k: v for k, v in frame.iloc[1].items() if v is not None and v is not pd.NA}
    ev = engine.evaluate(profile, as_of=AS_OF)
    by_rule = {r.rule_id: r for r in ev.results}
    assert by_rule["conf.cert-all"].status.value == by_rule["conf.cert-count"].status.value == "eligible"
    text_zh, text_en = ev.explain(lang="zh"), ev.explain(lang="en")
    specialised = "测试 2024 specialised（专精特新中小企业，市级，2024-01-01至2024-12-31）"
    assert f"各项均须满足；据 {specialised} 无其他" in text_zh
    giants = "测试 2024 giants（专精特新“小巨人”企业，各级，2024-01-01至2024-12-31）"
    assert f"名单所列资质认定中满足条件的 0个；据 {giants}、{specialised} 无其他" in text_zh  # count: both lists
    assert f"名单所列资质认定合计 0；据 {giants} 无其他" in text_zh  # sum: the 小巨人 list
    assert "no other on 测试 2024 specialised (" in text_en


@pytest.mark.parametrize(("as_of", "noted"), [("2024-12-31", set()), ("2025-06-30", {"规上入库.csv", "限上名录.csv", "失信名单.csv"})])
def test_scoring_after_a_complete_lists_period_says_it_reads_the_list_as_it_stood(
        tmp_path: Path, example: tuple[Path, list[dict[str, Any]]], as_of: str, noted: set[str]) -> None:
    from typer.testing import CliRunner

    from eligibility.cli import app

    folder, _ = example
    result = CliRunner().invoke(app, ["score", str(folder / "manifest.yaml"), "-o", str(tmp_path / "s.csv"),
                                      "--as-of", as_of, "--lang", "en"])
    assert result.exit_code == 0, result.output
    said = {line.split(": ")[1] for line in result.output.splitlines()
            if "complete up to 2024-12-31, before the evaluation date" in line}
    assert said == noted
