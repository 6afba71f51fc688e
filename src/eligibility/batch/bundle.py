"""A register bundle's manifest: the main register and the department lists joined to it by USCC.

A bundle is a YAML manifest (``bundle.yaml``), or a zip holding the files and a ``manifest.yaml``
(the same bundle in one file, for uploads)::

    bundle: 思茅区 2024
    files:
      - path: 名录.xlsx
        kind: register        # register | certifications | register_events | benefits_received
                              # | dishonest | tax_records | attestations
        sheet: 1              # optional: 1-based number or name
        columns: {}           # optional header → field overrides (as --columns)
        values: {}            # optional value spellings per field
        coverage:             # what absence from this file means
          regions: ["530802"]
          period: {from: 2024-01-01, to: 2024-12-31}
          complete: true      # absent → "no" within regions × period × the kinds/levels below
          kinds: [specialised_sme]
          levels: [municipal]

The manifest is loaded safely with line numbers (:mod:`eligibility.io.yamlload`); every problem is
reported at once with the file and line. Paths are relative to the manifest and stay inside its folder.
"""

from __future__ import annotations

import hashlib
import tempfile
import weakref
import zipfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path, PurePosixPath
from typing import Any

from ..errors import RuleDefinitionError, RuleSetError, suggest
from ..io.yamlload import Located, LocatedList, Mark, load_yaml, read_rule_text
from .errors import RegisterError


KINDS = ("register", "certifications", "register_events", "benefits_received", "dishonest", "tax_records",
         "attestations")
MANIFEST_IN_ZIP = "manifest.yaml"
CERTIFICATION_KINDS = ("high_tech", "tech_sme", "specialised_sme", "specialised_growth", "little_giant",
                       "single_champion")
REGISTER_KINDS = ("above_scale_industrial", "above_quota_trade")
LEVELS = ("national", "provincial", "municipal")

#: kinds whose absence gives no value even from a complete file: why (zh, en)
NO_ABSENCE = {
    "tax_records": ("不在纳税申报名单上的企业，销售额等数值仍是未知（不是 0，也不是“否”；零申报本身就是一行）",
                    "a firm not on a tax list has unknown sales and other values (not zero and not \"no\"; a nil "
                    "return is itself a row)"),
    "attestations": ("人工核实只确认所列事项，未列入的事项仍按其他文件",
                     "an attestation confirms what it lists; for anything else the other files decide"),
}

CERT = "certifications[]."
REG = "registers.above_scale_industrial."
GOT = "benefits_received[]."
SALES = "monthly_sales"  # a period's sales, read as money; the period's length says monthly or quarterly

#: per kind of list: target name → (column path, header spellings); "@name" paths are read as text
LIST_FIELDS: dict[str, dict[str, tuple[str, tuple[str, ...]]]] = {
    "certifications": {
        "kind": (CERT + "kind", ("认定类型", "类型", "资质类型", "认定类别", "名单类型", "称号")),
        "level": (CERT + "level", ("级别", "认定级别", "层级", "等级")),
        "certified_on": (CERT + "certified_on", ("认定日期", "发证日期", "认定时间", "公示日期", "批准日期")),
        "expires_on": (CERT + "expires_on", ("有效期至", "有效期", "到期日期", "有效期截止日期", "证书有效期")),
        "year": ("@year", ("认定年度", "认定年份", "认定批次年度")),  # a year, no day: the date stays unknown
    },
    "register_events": {
        "entered_on": (REG + "entered_on", ("入库时间", "纳入时间", "入库日期", "纳入日期")),
        "left_on": (REG + "left_on", ("退库时间", "退库日期", "移出时间")),
        "first_entry": (REG + "first_entry", ("首次纳规", "是否首次入库", "首次入库")),
        "how": ("@how", ("入库方式", "纳入方式", "入库类型")),
    },
    "benefits_received": {
        "rule_id": (GOT + "rule_id", ("政策编号", "规则编号", "政策名称", "政策", "项目", "项目名称", "政策项目")),
        "amount": (GOT + "amount", ("金额", "拨付金额", "兑现金额", "补助金额", "奖补金额")),
        "year": (GOT + "year", ("年度", "兑现年度", "拨付年度")),
        "paid_on": ("@paid_on", ("拨付日期", "兑现日期", "发放日期")),
    },
    "dishonest": {
        "listed_on": ("@listed_on", ("列入日期", "列入时间", "认定日期")),
        "removed_on": ("@removed_on", ("移出日期", "移出时间", "删除日期")),
    },
    "tax_records": {
        "period_from": ("@period_from", ("所属期起", "税款所属期起", "所属期", "税款所属期")),
        "period_to": ("@period_to", ("所属期止", "税款所属期止")),
        "sales": (SALES, ("销售额", "应税销售额", "申报销售额", "销售收入")),  # money: read (and scaled) as money
    },
    "attestations": {
        "field": ("@field", ("字段", "核实字段", "核实事项", "事项")),
        "value": ("@value", ("核实值", "取值", "核实结果", "值")),
        "by": ("@by", ("核实人", "经办人", "核实单位")),
        "on": ("@on", ("核实日期", "核实时间", "日期")),
    },
}


@dataclass(frozen=True)
class Coverage:
    """What absence from a file means: within ``regions`` (GB/T 2260 codes, a firm under one of them;
    none: every firm), the period and the kinds/levels, ``complete`` makes absence "no"."""

    regions: tuple[str, ...] = ()
    period_from: date | None = None
    period_to: date | None = None
    complete: bool = False
    kinds: tuple[str, ...] = ()
    levels: tuple[str, ...] = ()

    def covers_region(self, region: Any) -> bool:
        """Whether a firm of ``region`` (a 6-digit code, or unknown) is inside the coverage."""
        if not self.regions:
            return True
        if not isinstance(region, str):
            return False
        return any(region.startswith(r.rstrip("0") if r.endswith("00") else r) for r in self.regions)


@dataclass(frozen=True)
class BundleFile:
    """One file of a bundle, as the manifest declares it (``line``: where its entry starts)."""

    path: Path
    kind: str
    sheet: str | int | None = None
    columns: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, Any]] = field(default_factory=dict)
    coverage: Coverage = Coverage()
    line: int | None = None

    @property
    def label(self) -> str:
        return self.path.name


@dataclass(frozen=True)
class Manifest:
    """A loaded manifest: the bundle's name, its files (the register first), where it was read from."""

    name: str
    files: tuple[BundleFile, ...]
    source: str
    keep: Any = None  # the folder a zip was unpacked into (removed when the manifest is dropped)

    @property
    def register(self) -> BundleFile:
        return next(f for f in self.files if f.kind == "register")

    @property
    def lists(self) -> tuple[BundleFile, ...]:
        return tuple(f for f in self.files if f.kind != "register")


def load_manifest(path: str | Path) -> Manifest:
    """Read a bundle manifest (.yaml/.yml) or a bundle zip (its ``manifest.yaml``); problems are a
    :class:`~eligibility.errors.RuleSetError` naming file and line, a missing file a :class:`RegisterError`."""
    path = Path(path)
    if not path.is_file():
        raise RegisterError(f"找不到文件 {path}", f"no such file: {path}", file=str(path))
    if path.suffix.lower() == ".zip":
        return _load_zip(path)
    try:
        text = read_rule_text(path)
        data = load_yaml(text, str(path))
    except RuleDefinitionError as exc:
        raise RuleSetError([exc]) from None
    return parse_manifest(data, path.parent, str(path), text.splitlines())


def _load_zip(path: Path) -> Manifest:
    """Unpack a bundle zip into a private folder (members must stay inside it) and read its manifest."""
    folder = tempfile.TemporaryDirectory(prefix="bundle-")
    root = Path(folder.name)
    try:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
            for name in names:
                parts = PurePosixPath(name).parts
                if name.startswith("/") or ".." in parts or (parts and ":" in parts[0]):
                    raise RegisterError(f"压缩包中的路径不安全：{name}", f"unsafe path in the zip: {name}",
                                        file=str(path))
            if MANIFEST_IN_ZIP not in names:
                raise RegisterError(f"压缩包中没有 {MANIFEST_IN_ZIP}", f"the zip holds no {MANIFEST_IN_ZIP}",
                                    file=str(path))
            zf.extractall(root)
    except zipfile.BadZipFile as exc:
        folder.cleanup()
        raise RegisterError(f"不是有效的 zip 文件：{exc}", f"not a valid zip file: {exc}", file=str(path)) from None
    except RegisterError:
        folder.cleanup()
        raise
    manifest_path = root / MANIFEST_IN_ZIP
    shown = f"{path}:{MANIFEST_IN_ZIP}"
    try:
        text = read_rule_text(manifest_path)
        data = load_yaml(text, shown)
    except RuleDefinitionError as exc:
        folder.cleanup()
        raise RuleSetError([exc]) from None
    manifest = parse_manifest(data, root, shown, text.splitlines())
    object.__setattr__(manifest, "keep", folder)
    weakref.finalize(manifest, folder.cleanup)
    return manifest


def content_digest(path: str | Path) -> str:
    """The SHA-256 of what a file holds; for a bundle manifest, of the manifest and every file it names
    (a bundle whose lists changed is a new batch even when its manifest did not)."""
    path = Path(path)
    digest = hashlib.sha256(path.read_bytes())
    if path.suffix.lower() in (".yaml", ".yml"):
        for f in load_manifest(path).files:
            digest.update(f.path.read_bytes())
    return digest.hexdigest()


def _date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def parse_manifest(data: Any, root: Path, filename: str = "<manifest>", lines: list[str] | None = None) -> Manifest:
    """Check loaded manifest data; file paths are taken relative to ``root``."""
    lines = lines or []
    errors: list[RuleDefinitionError] = []

    def error(zh: str, en: str, mark: Mark | None, hint_zh: str | None = None, hint_en: str | None = None) -> None:
        line = mark.line if mark else None
        errors.append(RuleDefinitionError(zh, en, file=filename, line=line, col=mark.col if mark else None,
                                          source_line=lines[line - 1] if line and line <= len(lines) else None,
                                          hint_zh=hint_zh, hint_en=hint_en))

    def unknown_keys(node: Located, allowed: tuple[str, ...]) -> None:
        for key in node:
            if key not in allowed:
                near = suggest(str(key), list(allowed))
                error(f"未知的键 '{key}'" + (f"，是否想写 '{near}'？" if near else ""),
                      f"unknown key '{key}'" + (f"; did you mean '{near}'?" if near else ""), node.key_marks[key],
                      "可用的键：" + "、".join(allowed), "keys: " + ", ".join(allowed))

    def names(node: Any, mark: Mark | None, allowed: tuple[str, ...] | None, what_zh: str, what: str) -> tuple[str, ...]:
        if not isinstance(node, LocatedList):
            error(f"{what_zh} 应为列表", f"{what} must be a list", mark)
            return ()
        out = []
        for item, m in zip(node, node.item_marks, strict=True):
            text = str(item)
            if allowed is not None and text not in allowed:
                near = suggest(text, list(allowed))
                error(f"{what_zh} 中的 '{text}' 无效" + (f"，是否想写 '{near}'？" if near else ""),
                      f"'{text}' is not valid in {what}" + (f"; did you mean '{near}'?" if near else ""), m,
                      "可用：" + "、".join(allowed), "one of: " + ", ".join(allowed))
            out.append(text)
        return tuple(out)

    top = getattr(data, "mark", Mark(1, 1))
    if not isinstance(data, Located):
        error("清单应为映射，含 bundle: 与 files:", "a manifest is a mapping with bundle: and files:", top)
        raise RuleSetError(errors)
    unknown_keys(data, ("bundle", "files"))
    name = data.get("bundle")
    if not isinstance(name, str) or not name.strip():
        error("缺少 bundle:（数据包名称，如 思茅区 2024）", "missing bundle: (the bundle's name, e.g. 思茅区 2024)",
              data.value_marks.get("bundle", top))
    raw_files = data.get("files")
    files: list[BundleFile] = []
    if not isinstance(raw_files, LocatedList) or not raw_files:
        error("files: 应为非空列表", "files: must be a non-empty list", data.value_marks.get("files", top))
        raw_files = LocatedList()
        raw_files.item_marks = []
    for entry, mark in zip(raw_files, raw_files.item_marks, strict=True):
        if not isinstance(entry, Located):
            error("files: 的每一项应为映射（path:、kind: …）", "each item of files: is a mapping (path:, kind: …)", mark)
            continue
        unknown_keys(entry, ("path", "kind", "sheet", "columns", "values", "coverage"))
        vm = entry.value_marks
        raw_path, kind = entry.get("path"), entry.get("kind")
        if not isinstance(raw_path, str) or not raw_path.strip():
            error("缺少 path:（文件路径，相对于清单）", "missing path: (the file, relative to the manifest)", mark)
            continue
        rel = PurePosixPath(raw_path.replace("\\", "/"))
        if rel.is_absolute() or ".." in rel.parts:
            error(f"路径 '{raw_path}' 应在清单所在文件夹内", f"path '{raw_path}' must stay inside the manifest's folder",
                  vm["path"])
            continue
        file_path = root / rel
        if not file_path.is_file():
            error(f"找不到文件 '{raw_path}'", f"no such file: '{raw_path}'", vm["path"])
        if kind not in KINDS:
            near = suggest(str(kind), list(KINDS))
            error(f"kind '{kind}' 无效" + (f"，是否想写 '{near}'？" if near else ""),
                  f"kind '{kind}' is not valid" + (f"; did you mean '{near}'?" if near else ""),
                  vm.get("kind", mark), "可用：" + "、".join(KINDS), "one of: " + ", ".join(KINDS))
            continue
        sheet = entry.get("sheet")
        if sheet is not None and not (isinstance(sheet, str) or (isinstance(sheet, int) and sheet >= 1)):
            error("sheet: 应为从 1 起的序号或工作表名", "sheet: must be a 1-based number or a sheet name", vm["sheet"])
        targets = _targets(kind)
        columns: dict[str, str] = {}
        raw_cols = entry.get("columns")
        if raw_cols is not None:
            if not isinstance(raw_cols, Located):
                error("columns: 应为映射（表头: 字段）", "columns: must be a mapping (header: field)", vm["columns"])
            else:
                for header, target in raw_cols.items():
                    if str(target) not in targets:
                        near = suggest(str(target), sorted(targets))
                        error(f"'{target}' 不是 {kind} 文件可用的字段" + (f"，是否想写 '{near}'？" if near else ""),
                              f"'{target}' is not a field of a {kind} file" + (f"; did you mean '{near}'?" if near else ""),
                              raw_cols.value_marks[header])
                    columns[str(header)] = str(target)
        values: dict[str, dict[str, Any]] = {}
        raw_values = entry.get("values")
        if raw_values is not None:
            if not isinstance(raw_values, Located) or not all(isinstance(v, Located) for v in raw_values.values()):
                error("values: 应为映射（字段: {写法: 取值}）", "values: must be a mapping (field: {spelling: value})",
                      vm["values"])
            else:
                for name in raw_values:
                    if str(name) not in targets:
                        near = suggest(str(name), sorted(targets))
                        error(f"'{name}' 不是 {kind} 文件可用的字段" + (f"，是否想写 '{near}'？" if near else ""),
                              f"'{name}' is not a field of a {kind} file" + (f"; did you mean '{near}'?" if near else ""),
                              raw_values.key_marks[name])
                values = {str(k): {str(s): t for s, t in v.items()} for k, v in raw_values.items()}
        coverage = Coverage()
        raw_cov = entry.get("coverage")
        if raw_cov is not None:
            if not isinstance(raw_cov, Located):
                error("coverage: 应为映射", "coverage: must be a mapping", vm["coverage"])
            else:
                coverage = _coverage(raw_cov, kind, error, unknown_keys, names)
        files.append(BundleFile(file_path, kind, sheet, columns, values, coverage, mark.line))
    registers = [f for f in files if f.kind == "register"]
    if raw_files and len(registers) != 1:
        error(f"数据包应有且只有一个 kind: register 的文件（现有 {len(registers)} 个）",
              f"a bundle has exactly one file of kind: register ({len(registers)} given)", data.value_marks.get("files"))
    if errors:
        raise RuleSetError(errors)
    return Manifest(str(name).strip(), tuple(sorted(files, key=lambda f: f.kind != "register")), filename)


def _targets(kind: str) -> frozenset[str]:
    """The field names a file of ``kind`` may map a header to: profile fields for the register and tax
    records, the names of its kind (and ``uscc``, ``name``) for a department list."""
    from ..facts.profile import field_names

    own = frozenset(LIST_FIELDS.get(kind, {})) | {"uscc", "name"}
    return own | frozenset(field_names()) if kind in ("register", "tax_records") else own


def _coverage(node: Located, kind: str, error: Any, unknown_keys: Any, names: Any) -> Coverage:
    """The coverage: entry of one file, checked."""
    unknown_keys(node, ("regions", "period", "complete", "kinds", "levels"))
    vm = node.value_marks
    regions = names(node["regions"], vm["regions"], None, "regions:", "regions:") if "regions" in node else ()
    for r, m in zip(regions, getattr(node.get("regions"), "item_marks", []), strict=False):
        if not (r.isdigit() and len(r) == 6):
            error(f"地区代码 '{r}' 应为 6 位数字（GB/T 2260）", f"region '{r}' must be 6 digits (GB/T 2260)", m)
    start = end = None
    period = node.get("period")
    if period is not None:
        if not isinstance(period, Located) or set(period) - {"from", "to"}:
            error("period: 应为 {from: 日期, to: 日期}", "period: must be {from: date, to: date}", vm["period"])
        else:
            start, end = _date(period.get("from")), _date(period.get("to"))
            for key, got in (("from", start), ("to", end)):
                if key in period and got is None:
                    error(f"period.{key} 应为日期（如 2024-01-01）", f"period.{key} must be a date (e.g. 2024-01-01)",
                          period.value_marks[key])
            if start and end and start > end:
                error("period: from 晚于 to", "period: from is after to", vm["period"])
    complete = node.get("complete", False)
    if not isinstance(complete, bool):
        error("complete: 应为 true 或 false", "complete: must be true or false", vm["complete"])
        complete = False
    allowed = CERTIFICATION_KINDS if kind == "certifications" else REGISTER_KINDS if kind == "register_events" else None
    kinds = names(node["kinds"], vm["kinds"], allowed, "kinds:", "kinds:") if "kinds" in node else ()
    levels = names(node["levels"], vm["levels"], LEVELS, "levels:", "levels:") if "levels" in node else ()
    if complete and kind in NO_ABSENCE:
        zh, en = NO_ABSENCE[kind]
        error(f"{kind} 文件的 complete: true 没有含义：{zh}；请删去 complete",
              f"complete: true has no meaning for a {kind} file: {en}; remove complete", vm["complete"])
    if kind == "certifications" and complete and (start is None or end is None):
        error("完整的资质名单须声明 period: {from:, to:}（认定日期的范围）",
              "a complete certifications list must declare period: {from:, to:} (the certification dates it covers)",
              node.mark)
    if kind == "certifications" and complete and not kinds:
        error("完整的资质名单须声明 kinds:（它完整列出的认定类型）",
              "a complete certifications list must declare kinds: (the kinds it lists completely)", node.mark)
    return Coverage(tuple(regions), start, end, complete, tuple(kinds), tuple(levels))
