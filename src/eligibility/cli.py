"""The ``eligibility`` command: match one firm, score a register, inspect and check rules.

Every command explains itself with ``-h``/``--help`` (whole and bilingual); errors are printed in
Chinese and English (or the ``--lang`` chosen). Exit codes: 0 ok, 1 tests or lint failed, 2 usage or
input error. ``-`` stands for standard input where a profile is read.
"""

from __future__ import annotations

import gc
import inspect
import json
import platform
import shutil
import sys
import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from .errors import EligibilityError, RuleSetError

EXIT_CODES = ("退出码 / exit codes: 0 成功 ok; 1 测试或检查未通过 tests or lint failed;"
              " 2 用法或输入错误 usage or input error.")
_OWN_HELP = {
    "help": "显示此帮助并退出。 Show this help and exit.",
    "install_completion": "为当前 shell 安装命令补全。 Install completion for the current shell.",
    "show_completion": "显示当前 shell 的补全脚本（可复制或自定义）。 Show the completion script for the current"
                       " shell, to copy it or customise the installation.",
}


class Group(typer.core.TyperGroup):
    """A command group whose help is whole and bilingual: each command's whole first paragraph (Click would
    cut it at ~45 characters), Click's own options (help, shell completion) in both languages, and the
    exit codes at the end of every command's help."""

    def get_params(self, ctx: typer.Context) -> list[Any]:
        params = super().get_params(ctx)
        for param in params:
            if param.name in _OWN_HELP:
                param.help = _OWN_HELP[param.name]
        return params

    def get_command(self, ctx: typer.Context, cmd_name: str) -> Any:
        cmd = super().get_command(ctx, cmd_name)
        if cmd is not None:
            option = cmd.get_help_option(ctx)  # made once per command, then reused for its own help
            if option is not None:
                option.help = _OWN_HELP["help"]
            cmd.epilog = cmd.epilog or EXIT_CODES
        return cmd

    def format_commands(self, ctx: typer.Context, formatter: Any) -> None:
        rows = []
        for name in self.list_commands(ctx):
            cmd = self.get_command(ctx, name)
            if cmd is not None and not cmd.hidden:
                first = inspect.cleandoc(cmd.help or cmd.short_help or "").split("\n\n")[0]
                rows.append((name, " ".join(first.split())))
        if rows:
            with formatter.section("命令 / Commands"):
                formatter.write_dl(rows)


app = typer.Typer(
    name="eligibility",
    cls=Group,
    help="惠企政策可执行化：按规则判断企业可享受的政策并给出解释。\n\n"
    "Executable enterprise-support policy: decide which measures a firm qualifies for, and why.",
    no_args_is_help=True,
    rich_markup_mode=None,  # Click's plain help: whole texts, no type column
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog=EXIT_CODES,
)
rules_app = typer.Typer(cls=Group, help="查看规则 / inspect rules: list, show, schema, facts, docs.",
                        no_args_is_help=True, rich_markup_mode=None)
profile_app = typer.Typer(cls=Group, help="企业画像 / enterprise profiles: schema.", no_args_is_help=True,
                          rich_markup_mode=None)
app.add_typer(rules_app, name="rules")
app.add_typer(profile_app, name="profile")

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

RulesOpt = Annotated[
    list[str] | None,
    typer.Option("--rules", "-r", metavar="PATH|PACK", help="规则文件、文件夹或内置规则包名（可多次给出； 默认全部内置规则包）。"
                 " Rule file, folder or bundled pack name (repeatable; default: all bundled packs)."),
]
AsOfOpt = Annotated[
    str | None,
    typer.Option("--as-of", metavar="YYYY-MM-DD", help="评估日期 YYYY-MM-DD（默认今天）。Evaluation date (default: today)."),
]
LangOpt = Annotated[str, typer.Option("--lang", metavar="zh|en", help="输出语言。 Output language.")]
ListFormatOpt = Annotated[str, typer.Option("--format", "-f", metavar="text|json",
                                            help="输出格式：表格或 JSON。 Output format: a table or JSON.")]


def _version(value: bool) -> None:
    """``--version``: the library, the hash of the bundled packs (what reproduces a decision), Python."""
    if not value:
        return
    from . import __version__
    from .io.rules import discover, files_hash

    out.print(f"eligibility {__version__}\n"
              f"rules {files_hash(discover([]))} (内置规则包 / bundled packs)\n"
              f"Python {platform.python_version()}", markup=False, highlight=False)
    raise typer.Exit()


@app.callback()
def _root(version: Annotated[bool, typer.Option(
        "--version", "-V", callback=_version, is_eager=True,
        help="显示版本、内置规则包的规则集哈希与 Python 版本。 Show the version, the rule-set hash of the bundled"
             " packs and the Python version.")] = False) -> None:
    """Options that come before any command (the app's help text is the Typer's own)."""


def _fail(exc: EligibilityError, lang: str, code: int = 2, fmt: str = "text") -> None:
    if fmt == "json":  # the one error body machine readers get from the service too
        from .error_body import error_body

        sys.stdout.write(json.dumps(error_body(exc), ensure_ascii=False, indent=2) + "\n")
        raise typer.Exit(code)
    if isinstance(exc, RuleSetError):
        for e in exc.errors:
            err.print(e.message(lang), markup=False, highlight=False)
        n = len(exc.errors)
        err.print(f"{n} error(s)" if lang == "en" else f"共 {n} 处错误", style="bold red")
    else:
        text = exc.message(lang) if lang in ("zh", "en") else str(exc)
        err.print(text, markup=False, highlight=False)
    raise typer.Exit(code)


def _check_lang(lang: str) -> str:
    if lang not in ("zh", "en"):
        err.print(f"--lang 只能是 zh 或 en / --lang must be zh or en, got {lang!r}")
        raise typer.Exit(2)
    return lang


def _load(rules: list[str] | None, lang: str, tests: bool = True, also: list[Path] | None = None,  # type: ignore[no-untyped-def]
          fmt: str = "text"):
    """The rule set of ``rules`` (and the files ``also``), with the notes of ``_note_shadowed``."""
    from .io.rules import load_rules

    _note_shadowed(rules)
    try:
        return load_rules(*(rules or []), *(also or []), tests=tests)
    except EligibilityError as exc:
        _fail(exc, lang, fmt=fmt)


def _note_shadowed(paths: list[str] | None) -> None:
    """A note for each name that is both a path holding rule files here and a bundled pack: the path
    is loaded (a path holding no rule files, like ./examples beside the profiles, leaves the pack)."""
    from .io.rules import shadowed_packs

    for name, local in shadowed_packs(paths or []):
        if local:
            err.print(f"注意：已加载本地路径 ./{name}，而非同名内置规则包 / note: loaded the path ./{name}, not the"
                      f" bundled pack {name}", style="yellow", markup=False, highlight=False)


def _as_of(value: str | None, lang: str) -> date:
    if value is None:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        err.print(f"--as-of 应为 YYYY-MM-DD，实际为 {value!r} / --as-of must be YYYY-MM-DD, got {value!r}")
        raise typer.Exit(2) from None


def _read_profile(path: Path) -> Any:
    """A profile from a JSON or YAML file, or from standard input for ``-`` (JSON when it starts with ``{``)."""
    from .io.yamlload import load_yaml

    if str(path) == "-":
        text = sys.stdin.read()
        return json.loads(text) if text.lstrip().startswith("{") else load_yaml(text, "<stdin>")
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".json":
        try:
            return json.loads(text)
        except RecursionError:  # nested far deeper than any profile (the limit is checked on the data)
            from .errors import ProfileError
            from .limits import MAX_DEPTH

            raise ProfileError(f"{path}: 嵌套超过 {MAX_DEPTH} 层", f"{path}: nested deeper than {MAX_DEPTH} levels",
                               file=str(path)) from None
    return load_yaml(text, str(path))


def _archived(ruleset_hash: str, archive: Path | None, lang: str, fmt: str):  # type: ignore[no-untyped-def]
    from .io.archive import default_archive_dir, load_archived

    try:
        return load_archived(ruleset_hash, archive or default_archive_dir())
    except EligibilityError as exc:
        _fail(exc, lang, fmt=fmt)


@app.command()
def match(
    profile: Annotated[Path, typer.Argument(help="企业画像文件（JSON 或 YAML）；- 为标准输入。"
                                            " Profile file (JSON or YAML); - reads standard input.",
                                            allow_dash=True, dir_okay=False)],
    rules: RulesOpt = None,
    as_of: AsOfOpt = None,
    fmt: Annotated[str, typer.Option("--format", "-f", metavar="text|json",
                                     help="输出格式：文本或 JSON。 Output format: text or JSON.")] = "text",
    lang: LangOpt = "zh",
    only_eligible: Annotated[bool, typer.Option("--only-eligible", help="只显示符合、待定和被取代的政策。"
                                                " Hide rules the firm does not qualify for.")] = False,
    report: Annotated[Path | None, typer.Option(
        "--report", help="另写一份政策体检报告：.html（可打印的独立网页）、.md 或 .json，语言随 --lang。"
                         " Also write the policy check-up report: .html (a self-contained printable page), .md"
                         " or .json, in the --lang language.")] = None,
    rule_set: Annotated[str | None, typer.Option(
        "--rule-set", metavar="HASH",
        help="用规则集归档中该哈希的规则集作答（服务曾用过的规则集，审计复核用；不能与 --rules 同用）。"
             " Answer with the archived rule set of this hash (one a service answered with, for an audit;"
             " not with --rules).")] = None,
    archive: Annotated[Path | None, typer.Option(
        "--archive", help="规则集归档目录（默认 $ELIGIBILITY_DATA_DIR/rulesets，即 eligibility-data/rulesets）。"
                          " The rule-set archive (default $ELIGIBILITY_DATA_DIR/rulesets, i.e. eligibility-data/rulesets).")
    ] = None,
) -> None:
    """为一家企业匹配政策并解释每项判断。Match one firm against the rules and explain every decision.

    输出末尾给出判定编号（画像、规则集哈希与评估日期的哈希；同一案例重算得到同一编号，与服务一致）。
    The output ends with the determination id (a hash of the profile, the rule-set hash and the date: the
    same case re-run gives the same id, as the service does)."""
    _check_lang(lang)
    from .engine import Engine
    from .report import format_from_suffix, render_checkup

    try:
        report_fmt = format_from_suffix(report) if report is not None else None
    except ValueError as exc:
        err.print(str(exc), markup=False, highlight=False)
        raise typer.Exit(2) from None

    from .facts.profile import Profile
    from .provenance import with_determination

    if str(profile) != "-" and not profile.is_file():
        err.print(f"找不到画像文件 {profile} / no profile file {profile}", markup=False, highlight=False)
        raise typer.Exit(2)
    if rule_set is not None and rules:
        err.print("--rule-set 不能与 --rules 同用 / --rule-set cannot be used with --rules", markup=False)
        raise typer.Exit(2)
    ruleset = _load(rules, lang, fmt=fmt) if rule_set is None else _archived(rule_set, archive, lang, fmt)
    try:
        data = _read_profile(profile)
        firm = Profile.from_data(data)
        ev = Engine(ruleset).evaluate(firm, _as_of(as_of, lang))
    except EligibilityError as exc:
        _fail(exc, lang, fmt=fmt)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        err.print(f"{profile}: 无法读取画像 / cannot read the profile: {exc}")
        raise typer.Exit(2) from None
    provenance = with_determination(ev.provenance, firm)
    if fmt == "json":
        body = ev.to_dict(lang)
        body["provenance"] = provenance
        out.print_json(json.dumps(body, ensure_ascii=False))
    elif fmt == "text":
        out.print(ev.explain(lang, include_ineligible=not only_eligible), markup=False, highlight=False)
        out.print(f"determination id {provenance['determination_id']}" if lang == "en" else
                  f"判定编号 {provenance['determination_id']}", markup=False, highlight=False)
    else:
        err.print(f"--format 只能是 text 或 json / --format must be text or json, got {fmt!r}")
        raise typer.Exit(2)
    if report is not None and report_fmt is not None:
        try:
            report.write_text(render_checkup(ev, report_fmt, lang, firm), encoding="utf-8")
        except OSError as exc:
            err.print(f"无法写入报告 {report}：{exc.strerror} / cannot write the report {report}: {exc.strerror}",
                      markup=False, highlight=False)
            raise typer.Exit(2) from None
        err.print(f"政策体检报告已写入 {report} / check-up report written to {report}", markup=False, highlight=False)


@app.command()
def score(
    input: Annotated[Path, typer.Argument(
        help="企业名录：CSV、Parquet 或 Excel（.xlsx/.xls：默认第一个工作表，自动找表头行）。 每行一家企业；"
             " 列名为画像字段（嵌套字段用点号）或部门常用表头（如 营业收入（万元）），其余用 --columns 映射。"
             " Register: CSV, Parquet or Excel (.xlsx/.xls: the first sheet by default, header row found); one firm"
             " per row; columns named after profile fields (dotted for nested ones) or as departments write them"
             " (营业收入（万元）), others mapped with --columns."
             " 也可以是数据包：清单 .yaml（或含 manifest.yaml 的 .zip），名录加按统一社会信用代码并入的部门名单。"
             " Or a bundle: a manifest .yaml (or a .zip holding manifest.yaml), the register with department lists"
             " joined by USCC."
             " 用 --dask 时：Parquet 文件或 Parquet 分片目录。 With --dask: a Parquet file or a directory of"
             " Parquet part files.",
        exists=True, dir_okay=True)],
    output: Annotated[Path | None, typer.Option(
        "--output", "-o",
        help="结果文件 .csv、.parquet 或 .xlsx（默认：当前目录下的 <输入名>.scored.csv）。 按政策汇总写在旁边："
             " <输出名>.summary.csv（输出为 .xlsx 时另有 .summary.xlsx）。"
             " Output file .csv, .parquet or .xlsx (default: <input stem>.scored.csv in the current folder); the"
             " per-rule summary goes beside it as <output stem>.summary.csv (and .summary.xlsx for .xlsx output)."
             " -o - 把长表以 CSV 写到标准输出（汇总写到标准错误）。 -o - writes the long table as CSV to standard"
             " output (the summary to standard error).")
    ] = None,
    rules: RulesOpt = None,
    as_of: AsOfOpt = None,
    chunk_size: Annotated[int, typer.Option(
        "--chunk-size", min=1,
        help="每批读入并打分的行数（默认 100,000； 越大越快，也越占内存）。"
             " Rows read and scored per chunk (default 100,000; larger is faster and uses more memory).")
    ] = 100_000,
    columns: Annotated[Path | None, typer.Option(
        "--columns", exists=True, dir_okay=False,
        help="列映射 YAML： 表头 → 画像字段、 金额单位（元/万元/亿元， 精确换算为元） 与要忽略的列。"
             " Column mapping YAML: headers → profile fields, money units (converted to yuan exactly) and"
             " columns to ignore.")
    ] = None,
    wide: Annotated[bool, typer.Option(
        "--wide",
        help="输出宽表：每个输入行一行， 每条政策一列状态（<规则id>.status） 与一列金额（<规则id>.amount）。"
             " Write the wide table: one row per input row, a status (<rule_id>.status) and an amount"
             " (<rule_id>.amount) column per rule.")
    ] = False,
    workers: Annotated[int, typer.Option(
        "--workers", min=0,
        help="并行打分的进程数（默认 1 = 在本进程内；0 = 每个 CPU 核一个，最多 4）。 每个进程各占一份内存；"
             " 在 2 核机器上实测只快约 8%。"
             " Processes scoring chunks side by side (default 1 = in this process; 0 = one per core, at most 4)."
             " Each process holds its own memory; on 2 cores it measured only ~8% faster.")
    ] = 1,
    dask_cluster: Annotated[str | None, typer.Option(
        "--dask", metavar="local[:N]|tcp://HOST:PORT",
        help="在 Dask 集群上分区打分：local[:N] = 本机启动 N 个工作进程（默认每核一个），tcp://主机:端口 = 连接已有调度器。"
             " 输入须为 Parquet 文件或目录， -o 为输出目录（分区 Parquet， 汇总写在旁边：<输出目录>.summary.csv）；"
             " 行号与 duplicate_of 跨分区全局计算。 不支持 --columns； --chunk-size 与 --workers 不起作用。"
             " Score partition by partition on a Dask cluster: local[:N] = start N worker processes here (default:"
             " one per core), tcp://HOST:PORT = connect to a running scheduler. INPUT must be a Parquet file or"
             " directory; -o is an output directory (partitioned Parquet; the summary beside it as <OUTPUT_DIR>.summary.csv); row numbers and"
             " duplicate_of are global across partitions. --columns is not supported; --chunk-size and"
             " --workers do not apply.")
    ] = None,
    lang: LangOpt = "zh",
    sheet: Annotated[str | None, typer.Option(
        "--sheet", metavar="NAME|N|all",
        help="Excel 工作表：名称、从 1 起的序号，或 all（全部工作表；输出多一列 sheet，row 为表内行号）。默认第一个。"
             " Excel sheet: a name, a 1-based number, or all (every sheet; the output gains a sheet column and row"
             " counts within its sheet). Default: the first.")
    ] = None,
    lenient: Annotated[bool, typer.Option(
        "--lenient",
        help="列级问题（缺少统一社会信用代码列、列映射中的表头不存在）只警告，仍然打分。"
             " Column-level problems (no USCC column, a mapped header not in the file) are warnings, not errors.")
    ] = False,
    report: Annotated[list[Path] | None, typer.Option(
        "--report",
        help="另写汇总报告：.html（带图表的独立网页）或 .xlsx（汇总表 + 每条政策一个工作表）；可给两次，各写一份。"
             " 语言随 --lang；有报告时在本进程内打分（--workers 不起作用）；不能与 --dask 同用。"
             " Also write the summary report: .html (a self-contained page with charts) or .xlsx (a summary sheet and a"
             " sheet per rule); give it twice for both. In the --lang language; with a report, chunks are scored in this"
             " process (--workers does not apply); not with --dask.")
    ] = None,
    labels: Annotated[str | None, typer.Option(
        "--labels", metavar="zh|en|codes",
        help="给人看的表头与结果用语：zh 或 en（如 判定结果=符合，并加一列政策名称），codes 为规范列名与代码。"
             " 默认：CSV 为 codes（供程序读取），.xlsx 与 --excel 为 --lang 的语言（.xlsx 第二个工作表 scored 仍为代码）；"
             " Parquet 始终为代码。"
             " Headers and outcome words for people: zh or en (status=eligible becomes 判定结果=符合, plus a rule"
             " title column), or codes (the normative columns and codes). Default: codes for CSV (for programs),"
             " the --lang language for .xlsx and --excel (an .xlsx keeps the codes on its second sheet, scored);"
             " Parquet always holds the codes.")
    ] = None,
    excel: Annotated[bool, typer.Option(
        "--excel",
        help="CSV 以 UTF-8 BOM 开头，中文 Windows 上用 Excel 双击打开不乱码；同时默认 --labels 为 --lang 的语言。"
             " 仅用于 CSV 输出。"
             " Start the CSV with a UTF-8 byte order mark, so that Excel on Chinese Windows opens it without garbled"
             " text; --labels then defaults to the --lang language. CSV output only.")
    ] = False,
    keep: Annotated[str | None, typer.Option(
        "--keep", metavar="COL,...",
        help="把输入中的这些列（按文件中的表头原样书写，逗号分隔）原样带到输出，放在 entity_id 之后；"
             " 企业名称列（如 企业名称、纳税人名称）总会带出，列名 name。"
             " Carry these input columns (by their headers as written, comma-separated) through to the output as"
             " text, after entity_id; the firm's name column (企业名称, 纳税人名称…) is always carried, as name.")
    ] = None,
) -> None:
    """为整个企业名录打分（分批流式处理），输出长表与按政策汇总。Score a register, streamed in chunks:
    long table plus a per-rule summary.

    每一输入行都有交代：无效行输出 status=error 及原因与行号； 重复的统一社会信用代码在 duplicate_of 列
    标出首次出现的行号。 Every input row is accounted for: a bad row yields status=error with the reason
    and its row number; a repeated USCC gets the row of its first occurrence in duplicate_of.
    """
    _check_lang(lang)
    import warnings

    from .engine import Engine
    from .batch import (
        RegisterWarning,
        count_rows,
        default_workers,
        input_format,
        load_column_mapping,
        output_format,
        partial_path,
        read_register,
        score_file,
        write_summary,
    )

    en = lang == "en"
    if report:  # the report module (and what it imports) only when a report is asked for
        from .report.batch import BatchReport, check_report_path

        try:
            for path in report:
                check_report_path(path)
        except EligibilityError as exc:
            _fail(exc, lang)
    if dask_cluster is not None:
        if str(output) == "-":
            err.print("--dask 的输出是目录，不能为 - / with --dask the output is a directory, not -", markup=False)
            raise typer.Exit(2)
        if report:
            err.print("--report 暂不能与 --dask 同用 / --report cannot be used with --dask yet", markup=False)
            raise typer.Exit(2)
        from .batch import is_bundle

        if is_bundle(input):
            err.print("数据包不能与 --dask 同用：先用 eligibility score 打分，或把名录转为 Parquet / a bundle cannot be"
                      " read with --dask: score it without --dask, or turn the register into Parquet", markup=False)
            raise typer.Exit(2)
        if excel or labels not in (None, "codes"):
            err.print("--dask 输出 Parquet，只含代码：不能用 --excel 或 --labels / with --dask the output is Parquet"
                      " and holds the codes: --excel and --labels do not apply", markup=False)
            raise typer.Exit(2)
        _score_on_dask(input, output, rules, as_of, columns, wide, dask_cluster, lang, _keep_list(keep))
        return
    if input.is_dir():
        err.print(f"{input}：输入是目录；目录只能配合 --dask 读入 / {input}: the input is a directory; a directory"
                  " is read only with --dask", markup=False)
        raise typer.Exit(2)
    to_stdout = str(output) == "-"  # the CSV is written aside, then copied to standard output
    target = Path(tempfile.mkdtemp()) / "scored.csv" if to_stdout else output or Path(input.stem + ".scored.csv")
    try:
        input_format(input)
        output_format(target)
    except EligibilityError as exc:
        _fail(exc, lang)
    if target.resolve() == input.resolve():
        err.print("输出文件不能与输入文件相同 / the output must not be the input file", markup=False)
        raise typer.Exit(2)
    label_lang = _output_labels(labels, excel, output_format(target), lang)
    gc.freeze()  # loading the rules makes many objects: the collections it sets off need not walk the modules
    try:
        ruleset = _load(rules, lang, tests=False)  # scoring runs no rule tests: their files are not parsed
    finally:
        gc.unfreeze()
    day = _as_of(as_of, lang)
    try:
        mapping = load_column_mapping(columns) if columns is not None else None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RegisterWarning)
            reader = read_register(input, chunk_size, mapping, strict=not lenient, sheet=sheet, keep=_keep_list(keep))
    except EligibilityError as exc:
        _fail(exc, lang)
    from .batch import Labels, is_bundle

    if is_bundle(input):  # the bundle's modules only for a bundle
        from .batch import BundleReader

        if isinstance(reader, BundleReader):
            reader.warnings.extend(reader.notes_as_of(day))

    titles = Labels(label_lang, {r.id: r.title.get(label_lang) for r in ruleset.rules}) if label_lang else None
    shown = _print_columns(reader, lang)
    engine = Engine(ruleset)
    # the rules, the engine and the modules live as long as the run: the collector need not walk them
    # again (one full collection over them cost ~0.2 s of a 200,000-row run)
    gc.freeze()
    reporter = BatchReport(engine, day) if report else None
    total_rows = reader.rows_total if reader.rows_total is not None else count_rows(input)
    by_bytes = reader.format == "csv"  # a CSV's rows are not known before reading it: follow its bytes
    with Progress(TextColumn("[progress.description]{task.description}"), BarColumn(),
                  TextColumn("{task.fields[done]}"), TextColumn("{task.fields[rate]}"), TimeElapsedColumn(),
                  TimeRemainingColumn(), console=err, transient=False) as progress:
        unit = "rows" if en else "行"
        task = progress.add_task("scoring" if en else "打分中", total=reader.bytes_total if by_bytes else total_rows,
                                 done="", rate="")
        of_total = f"/{total_rows:,}" if total_rows is not None else ""

        def update(rows_done: int, scored: Any) -> None:
            elapsed = progress.tasks[0].elapsed or 0
            rate = f"{rows_done / elapsed:,.0f} {unit}/s" if elapsed > 0 else ""
            done = f"{rows_done:,}{'' if by_bytes else of_total} {unit}"
            progress.update(task, completed=reader.bytes_read if by_bytes else rows_done, done=done, rate=rate)
            if reporter is not None:
                reporter.add_scored(scored)

        try:
            parallel = workers or default_workers()
            if total_rows is not None and total_rows <= chunk_size:
                parallel = 1  # one chunk: nothing to overlap, no process start-up
            summary = score_file(engine, reader, target, day, wide=wide, on_chunk=update,
                                 on_scored=reporter.observe if reporter is not None else None,  # sees every chunk
                                 workers=parallel if reporter is None else 1, labels=titles, bom=excel)
        except EligibilityError as exc:
            progress.stop()
            _fail(exc, lang)
        except OSError as exc:
            progress.stop()
            partial_path(target).unlink(missing_ok=True)
            err.print(f"无法写出 {target}：{exc} / cannot write {target}: {exc}", markup=False)
            raise typer.Exit(2) from None
        finally:
            gc.unfreeze()  # scored: all of it may be collected again (the command may run inside a longer process)
        final = reader.bytes_total if by_bytes else max(total_rows or 0, int(progress.tasks[0].completed))
        progress.update(task, completed=final, total=final)
    summary_paths = [] if to_stdout else [target.with_name(target.stem + ".summary.csv")]
    if target.suffix.lower() == ".xlsx":
        summary_paths.append(target.with_name(target.stem + ".summary.xlsx"))
    for path in summary_paths:
        write_summary(summary, path, bom=excel and path.suffix.lower() == ".csv")
    for path in report or []:
        try:
            reporter.finish(summary).write(path, lang)  # type: ignore[union-attr]
        except OSError as exc:
            err.print(f"无法写入报告 {path}：{exc.strerror} / cannot write the report {path}: {exc.strerror}",
                      markup=False)
            raise typer.Exit(2) from None
    for zh, en_text in reader.warnings[shown:]:  # rows skipped below an Excel header, known once read
        err.print(("warning: " + en_text) if en else ("警告：" + zh), style="yellow", markup=False, highlight=False)
    for zh, en_text in reader.report.messages() if hasattr(reader, "report") else ():  # a bundle: each list's join
        err.print(en_text if en else zh, markup=False, highlight=False)
    _print_summary(summary, lang, engine.provenance(day), err if to_stdout else out, _titles(engine, lang))
    if to_stdout:
        with target.open("rb") as scored:
            shutil.copyfileobj(scored, sys.stdout.buffer)
        shutil.rmtree(target.parent)
        return
    written = [str(p) for p in [target, *summary_paths, *(report or [])]]
    _print_written(written, en)


def _print_written(paths: list[str], en: bool) -> None:
    """The files written, one per line (a path is never broken)."""
    out.print("written:" if en else "已写出：", markup=False)
    for path in paths:
        out.print(f"  {path}", markup=False, highlight=False, soft_wrap=True)


def _keep_list(keep: str | None) -> list[str]:
    """``--keep A,B`` → ["A", "B"] (full-width commas too; blanks dropped)."""
    return [h.strip() for h in (keep or "").replace("，", ",").split(",") if h.strip()]


def _output_labels(labels: str | None, excel: bool, fmt: str, lang: str) -> str | None:
    """The language of the scored file's labels (None: codes), from ``--labels``, ``--excel`` and the
    output format; a combination that cannot be honoured exits 2."""
    if labels not in (None, "zh", "en", "codes"):
        err.print(f"--labels 只能是 zh、en 或 codes / --labels must be zh, en or codes, got {labels!r}", markup=False)
        raise typer.Exit(2)
    if excel and fmt != "csv":
        err.print("--excel 只用于 CSV 输出（.xlsx 本身就是 Excel 文件）/ --excel is for CSV output (an .xlsx is already"
                  " an Excel file)", markup=False)
        raise typer.Exit(2)
    if fmt == "parquet" and labels in ("zh", "en"):
        err.print("Parquet 输出只含规范列名与代码，--labels 用于 CSV 与 Excel / Parquet output holds the normative"
                  " columns and codes; --labels is for CSV and Excel", markup=False)
        raise typer.Exit(2)
    if labels is None:
        return lang if fmt == "xlsx" or excel else None
    return None if labels == "codes" else labels


def _print_columns(reader: Any, lang: str) -> int:
    """Before scoring: ``column → field (unit)`` per column read, then the reader's warnings (how
    many were printed)."""
    en = lang == "en"
    err.print("columns read (column → field (unit)):" if en else "读取的列（列 → 字段（单位））：", markup=False)
    if reader.recognised:  # one print: each call of the console costs more than the line it prints
        err.print("\n".join(f"  {rec.describe()}" for rec in reader.recognised), markup=False, highlight=False)
    for zh, en_text in reader.warnings:
        err.print(("warning: " + en_text) if en else ("警告：" + zh), style="yellow", markup=False, highlight=False)
    return len(reader.warnings)


def _score_on_dask(input: Path, output: Path | None, rules: list[str] | None, as_of: str | None,
                   columns: Path | None, wide: bool, cluster_spec: str, lang: str, keep: list[str]) -> None:
    """``eligibility score --dask``: partitioned Parquet in, partitioned Parquet out (see ``score``)."""
    en = lang == "en"
    try:
        import eligibility.dask as eld
    except ImportError as exc:
        err.print(str(exc), markup=False, highlight=False)
        raise typer.Exit(2) from None
    from .engine import Engine
    from .batch import write_summary

    if columns is not None:
        err.print("--columns 暂不能与 --dask 同用 / --columns cannot be used with --dask yet", markup=False)
        raise typer.Exit(2)
    target = output or Path(input.name.removesuffix(input.suffix) + ".scored")
    try:
        eld.parse_cluster(cluster_spec)
        ddf = eld.read_register(input)
        carry = (["name"] if "name" in ddf.columns and "name" not in keep else []) + keep
        missing = [h for h in keep if h not in ddf.columns]
        if missing:
            from .batch import RegisterError

            present = [str(c) for c in ddf.columns]
            raise RegisterError(f"--keep 的列 '{missing[0]}' 不在输入中；输入中的列：{'、'.join(present)}",
                                f"--keep column '{missing[0]}' is not in the input; its columns are: "
                                f"{', '.join(present)}", file=str(input), column=missing[0])
    except EligibilityError as exc:
        _fail(exc, lang)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        err.print(f"输出目录 {target} 已存在且不为空 / the output directory {target} exists and is not empty",
                  markup=False)
        raise typer.Exit(2)
    if target.resolve() == input.resolve():
        err.print("输出目录不能与输入相同 / the output must not be the input", markup=False)
        raise typer.Exit(2)
    ruleset = _load(rules, lang, tests=False)
    day = _as_of(as_of, lang)
    engine = Engine(ruleset)
    try:
        client, cluster = eld.open_client(cluster_spec)
    except (OSError, TimeoutError) as exc:
        err.print(f"无法连接 Dask 集群 {cluster_spec}：{exc} / cannot connect to the Dask cluster {cluster_spec}: "
                  f"{exc}", markup=False)
        raise typer.Exit(2) from None
    try:
        with Progress(TextColumn("[progress.description]{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TextColumn("tasks" if en else "任务"), TimeElapsedColumn(), console=err,
                      transient=False) as progress:
            task = progress.add_task(f"scoring on {cluster_spec}" if en else f"在 {cluster_spec} 上打分", total=None)

            def update(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            try:
                summary = eld.score_to_parquet(ddf, engine, day, target, client, wide=wide, on_progress=update,
                                               carry=carry)
            except EligibilityError as exc:
                progress.stop()
                _fail(exc, lang)
            except OSError as exc:
                progress.stop()
                err.print(f"无法写出 {target}：{exc} / cannot write {target}: {exc}", markup=False)
                raise typer.Exit(2) from None
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    summary_path = target.with_name(target.name + ".summary.csv")  # beside the dataset, not inside it
    write_summary(summary, summary_path)
    _print_summary(summary, lang, engine.provenance(day), titles=_titles(engine, lang))
    _print_written([str(target), str(summary_path)], en)


def _wrapped(console: Console, text: str, style: str | None = None) -> None:
    """A line of text wrapped to the console's width, Chinese-aware (never mid-word, a number with its unit)."""
    from ._wrap import wrap

    for line in wrap(text, console.width):
        console.print(line, markup=False, highlight=False, style=style, soft_wrap=True)


def _fitted_table(console: Console, title: str, first: str, names: list[str],
                  columns: list[tuple[str, list[str]]]) -> Table:
    """A table of one row per name and right-aligned figures that fits the console's width: the
    figures whole, the names wrapped Chinese-aware between words (never inside one)."""
    from rich import box
    from rich.cells import cell_len

    from ._wrap import longest_unit, wrap

    def head(text: str) -> tuple[str, int]:  # a header may break at its spaces only
        return "\n".join(text.split()), max(cell_len(word) for word in text.split())

    heads = [head(h) for h, _ in columns]
    widths = [max([w, *(cell_len(v) for v in values)]) for (_, w), (_, values) in zip(heads, columns, strict=True)]
    overhead = 3 * len(columns)  # a separator and a space of padding either side, per figure column
    longest = max([cell_len(first), *(cell_len(n) for n in names)])
    room = max(console.width - sum(widths) - overhead, longest_unit(first), *(longest_unit(n) for n in names))
    room = min(room, longest)
    table = Table(title=title, box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, padding=(0, 1),
                  title_justify="left")
    table.add_column(first, width=room, no_wrap=True)
    for (text, _), width in zip(heads, widths, strict=True):
        table.add_column(text, width=width, no_wrap=True, justify="right")
    for i, name in enumerate(names):
        table.add_row("\n".join(wrap(name, room)), *(values[i] for _, values in columns))
    return table


def _titles(engine: Any, lang: str) -> dict[str, str]:
    """Rule id → title in ``lang``."""
    return {r.id: r.title.get(lang) for r in engine.rules.rules}


def _print_summary(summary: Any, lang: str, provenance: dict[str, str], console: Console = out,
                   titles: dict[str, str] | None = None) -> None:
    """The per-rule counts and amounts under the rules' titles (``titles``: in ``lang``; else the
    summary's own), fitted to the terminal's width; the totals kept apart (exact, up to, unknown, a
    lower bound); then how every input row is accounted for (read = scored + errors + no rule)."""
    from decimal import Decimal

    en = lang == "en"
    records = summary.to_dict("records")
    names = [str((titles or {}).get(rec["rule_id"]) or rec.get("title") or rec["rule_id"]) for rec in records]
    first = "measure" if en else "政策"
    counts = [(("eligible", "符合"), "eligible"), (("superseded", "被取代"), "superseded"),
              (("undetermined", "待定"), "undetermined"), (("not eligible", "不符合"), "ineligible"),
              (("error", "出错"), "error")]
    console.print(_fitted_table(console, "firms per measure" if en else "按政策汇总：企业数（家）", first, names,
                                [(h[0] if en else h[1], [f"{int(rec.get(k, 0)):,}" for rec in records])
                                 for h, k in counts]))
    money = [(("exact", "确定金额"), "amount_exact"), (("up to", "上限金额"), "amount_up_to")]
    columns = [(h[0] if en else h[1], [f"{Decimal(str(rec[k])):,.2f}" for rec in records]) for h, k in money]
    columns.append(("amount unknown" if en else "金额未知（家）",
                    [f"{int(rec['amount_unknown']):,}" + (" *" if rec["lower_bound"] else "") for rec in records]))
    console.print(_fitted_table(console, "amounts (yuan)" if en else "按政策汇总：金额（元）", first, names, columns))
    for name, rec in zip(names, records, strict=True):
        if rec["lower_bound"]:
            _wrapped(console, f"* {name}: {rec['amount_unknown']:,} of {rec['eligible']:,} eligible firms have no known "
                              "amount; its totals are a lower bound" if en else
                              f"* {name}：{rec['eligible']:,} 家符合条件的企业中有 {rec['amount_unknown']:,} 家金额未知，"
                              "金额合计只是下限")
    exact = sum((Decimal(str(r["amount_exact"])) for r in records), Decimal(0))
    up_to = sum((Decimal(str(r["amount_up_to"])) for r in records), Decimal(0))
    unknown = sum(int(r["amount_unknown"]) for r in records)
    floor = any(bool(r["lower_bound"]) for r in records)
    _wrapped(console, (f"total: exact {exact:,.2f} yuan; up to {up_to:,.2f} yuan more (a ceiling, not added to the "
                       f"exact amount); {unknown:,} eligible results with no known amount"
                       + ("; the totals are a lower bound" if floor else "")) if en else
                      (f"合计：确定金额 {exact:,.2f} 元；另有上限金额最高 {up_to:,.2f} 元（不计入确定金额）；"
                       f"金额未知 {unknown:,} 项" + ("，以上合计只是下限" if floor else "")))
    a = summary.attrs
    _wrapped(console, (f"rows read {a['rows_read']} = scored {a['rows_scored']} + errors {a['rows_error']} + no rule "
                       f"in scope {a['rows_no_rule']}") if en else
                      (f"读入 {a['rows_read']} 行 = 已评估 {a['rows_scored']} + 出错 {a['rows_error']} + 无适用政策 "
                       f"{a['rows_no_rule']}"))
    if a.get("blank_rows"):
        _wrapped(console, f"blank rows skipped: {a['blank_rows']}" if en else f"跳过空行 {a['blank_rows']} 行")
    if a.get("rows_duplicate"):
        n = a["rows_duplicate"]
        _wrapped(console, f"rows repeating an earlier USCC: {n} (see duplicate_of)" if en else
                          f"统一社会信用代码与前面重复的行：{n} 行（见 duplicate_of 列）")
    _wrapped(console, (f"eligibility {provenance['version']} · rules {provenance['ruleset_hash'][:12]} · "
                       f"as of {provenance['as_of']}") if en else
                      (f"eligibility {provenance['version']} · 规则集 {provenance['ruleset_hash'][:12]} · "
                       f"评估日 {provenance['as_of']}"), style="dim")


@app.command("check")
def check_cmd(
    input: Annotated[Path, typer.Argument(
        help="企业名录（CSV、Parquet 或 Excel），或数据包（清单 .yaml 或 .zip）。 Register (CSV, Parquet or Excel),"
             " or a bundle (a manifest .yaml, or a .zip).", exists=True, dir_okay=False)],
    columns: Annotated[Path | None, typer.Option(
        "--columns", exists=True, dir_okay=False,
        help="列映射 YAML（同 score）。 Column mapping YAML (as for score).")] = None,
    sheet: Annotated[str | None, typer.Option(
        "--sheet", metavar="NAME|N|all", help="Excel 工作表（同 score）。 Excel sheet (as for score).")] = None,
    lenient: Annotated[bool, typer.Option(
        "--lenient", help="列级问题只警告（同 score）。 Column-level problems are warnings (as for score).")] = False,
    lang: LangOpt = "zh",
) -> None:
    """试读名录而不打分：每列对应的字段、读入/未知/拒收的值数与拒收示例。 A dry run: per column, the field
    it maps to and how many values were read, unknown and refused, with examples; no rule is evaluated.
    """
    _check_lang(lang)
    import warnings

    from .batch.check import check_register
    from .batch import RegisterWarning, load_column_mapping

    en = lang == "en"
    try:
        mapping = load_column_mapping(columns) if columns is not None else None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RegisterWarning)
            result = check_register(input, mapping, sheet=sheet, strict=not lenient)
    except EligibilityError as exc:
        _fail(exc, lang)
    table = Table(title=f"{input}")
    for name in (("column", "列"), ("field (unit)", "字段（单位）"), ("read", "读入"), ("unknown", "未知"),
                 ("refused", "拒收"), ("examples (row: reason)", "示例（行：原因）")):
        table.add_column(name[0] if en else name[1], overflow="fold",
                         justify="right" if name[0] in ("read", "unknown", "refused") else "left")
    for c in result.columns:
        examples = "\n".join(f"{row}: {_side(text, en)}" for row, text in c.examples)
        table.add_row(c.header, c.field + (f" ({c.unit})" if c.unit else ""), f"{c.read:,}", f"{c.unknown:,}",
                      f"{c.refused:,}", examples)
    out.print(table)
    for zh, en_text in result.warnings:
        err.print(("warning: " + en_text) if en else ("警告：" + zh), style="yellow", markup=False, highlight=False)
    for zh, en_text in result.join:
        out.print(en_text if en else zh, markup=False, highlight=False)
    out.print(f"rows read {result.rows_read:,}; rows that cannot be scored at all {result.rows_failed:,}; blank "
              f"{result.blank_rows:,}" if en else
              f"读入 {result.rows_read:,} 行；整行无法评估 {result.rows_failed:,} 行；空行 {result.blank_rows:,}",
              markup=False)


def _side(text: str, en: bool) -> str:
    """One language of an "en | zh" reason."""
    left, sep, right = text.partition(" | ")
    side = left if en or not sep else right
    return " ".join(side.replace("invalid profile:", "").replace("企业画像有误：", "").split())


@app.command("whatif")
def whatif_cmd(
    register: Annotated[Path, typer.Argument(
        help="企业名录：CSV、Parquet 或 Excel（同 score）。 Register: CSV, Parquet or Excel (as for score).",
        exists=True, dir_okay=False)],
    rules: RulesOpt = None,
    against: Annotated[list[str] | None, typer.Option(
        "--against", metavar="PATH|PACK", help="调整后的规则（文件、文件夹或规则包，可多次给出；默认与 --rules 相同，再加 --set）。"
                          " The changed rules (file, folder or pack, repeatable; default: the --rules, plus --set).")
    ] = None,
    settings: Annotated[list[str] | None, typer.Option(
        "--set", metavar="RULE.amount=VALUE|RULE.params.NAME=VALUE", help="覆盖一项设置（可多次给出）：规则id.amount=金额（如 puer.new-industrial-above-scale.amount=60万），"
                      "或 规则id.params.参数名=取值（评估日施行的那一期）。 Override a setting (repeatable): RULE.amount=VALUE,"
                      " or RULE.params.NAME=VALUE (the value in force on --as-of).")
    ] = None,
    as_of: AsOfOpt = None,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="结果变化的企业清单 .csv 或 .parquet；- 为标准输出（CSV，表格改写到标准错误）。"
                               " The firms whose outcome changes, as .csv or .parquet; - for standard output (CSV; the"
                               " tables then go to standard error).")
    ] = None,
    report: Annotated[Path | None, typer.Option(
        "--report", help="另写 HTML 报告（独立网页，带图表）。 Also write an HTML report (self-contained, with charts).")
    ] = None,
    chunk_size: Annotated[int, typer.Option("--chunk-size", min=1, help="每批行数 / rows per chunk")] = 100_000,
    columns: Annotated[Path | None, typer.Option(
        "--columns", exists=True, dir_okay=False, help="列映射 YAML（同 score）。 Column mapping YAML (as for score).")
    ] = None,
    shown: Annotated[int, typer.Option("--show", min=0, help="终端列出的变化条数 / changes listed on the terminal")] = 20,
    lang: LangOpt = "zh",
) -> None:
    """测算规则调整的影响：每条政策符合企业数与预算的变化，及结果变化的企业。
    What-if: per rule, the change in eligible firms and budget, and the firms whose outcome changes.

    基准为 --rules；调整后为 --against（若给出）再加各 --set。 The base is --rules; the changed set is --against
    (when given) with every --set applied.
    """
    _check_lang(lang)
    from .batch import load_column_mapping
    from .report.whatif import render_whatif
    from .whatif import apply_overrides, what_if, write_changes

    if against is None and not settings:
        err.print("请给出 --against 或至少一个 --set / give --against or at least one --set", markup=False)
        raise typer.Exit(2)
    to_stdout = output is not None and str(output) == "-"  # the changes as CSV on standard output
    for path, allowed in ((None if to_stdout else output, (".csv", ".parquet")), (report, (".html", ".htm"))):
        if path is not None and path.suffix.lower() not in allowed:
            err.print(f"{path}：文件类型应为 {' 或 '.join(allowed)} / {path}: expected {' or '.join(allowed)}", markup=False)
            raise typer.Exit(2)
    day = _as_of(as_of, lang)
    base = _load(rules, lang)
    changed = _load(against, lang) if against is not None else base
    try:
        changed = apply_overrides(changed, settings or [], day)
        mapping = load_column_mapping(columns) if columns is not None else None
        with err.status("测算中 / comparing…"):
            result = what_if(register, base, changed, day, chunk_size=chunk_size, mapping=mapping,
                             settings=settings or [], against=", ".join(against) if against else None)
    except EligibilityError as exc:
        _fail(exc, lang)
    _print_whatif(result, lang, shown, err if to_stdout else out)
    written = []
    try:
        if to_stdout:
            with tempfile.TemporaryDirectory() as tmp:
                sys.stdout.write(write_changes(result, Path(tmp) / "changes.csv").read_text(encoding="utf-8"))
        elif output is not None:
            written.append(str(write_changes(result, output)))
        if report is not None:
            report.write_text(render_whatif(result, lang), encoding="utf-8")
            written.append(str(report))
    except OSError as exc:
        err.print(f"无法写出：{exc} / cannot write: {exc}", markup=False)
        raise typer.Exit(2) from None
    if written:
        (err if to_stdout else out).print(f"written: {', '.join(written)}" if lang == "en" else
                                          f"已写出：{'、'.join(written)}", markup=False)


def _print_whatif(result: Any, lang: str, shown: int, out: Console = out) -> None:
    from .whatif import status_label

    en = lang == "en"
    prov = result.provenance()
    table = Table(title="what-if: per-rule change" if en else "调整影响：按政策",
                  caption=f"eligibility {prov['version']} · {'rules' if en else '规则集'} "
                          f"{prov['ruleset_hash_before'][:12]} → {prov['ruleset_hash_after'][:12]} · "
                          f"{'as of' if en else '评估日'} {prov['as_of']} · {'rows' if en else '行数'} {result.rows_read}")
    for i, name in enumerate(("rule", "eligible firms", "budget, yuan", "firms changed") if en else
                             ("政策", "符合企业", "预算（元）", "变化企业")):
        table.add_column(name, justify="left" if i == 0 else "right", overflow="fold")
    moved = result.changed_impacts()
    for imp in moved:
        table.add_row(imp.title(lang), f"{imp.eligible_before} → {imp.eligible_after} ({imp.eligible_delta:+d})",
                      f"{imp.budget_before:,.2f} → {imp.budget_after:,.2f} ({imp.budget_delta:+,.2f})", str(imp.changed))
    out.print(table)
    rest = len(result.impacts) - len(moved)
    out.print((f"{rest} other rules unchanged; budget change in all: {result.budget_delta:+,.2f} yuan" if en else
               f"其余 {rest} 条政策不变；预算合计变化 {result.budget_delta:+,.2f} 元"), markup=False)
    changes = result.changes
    if len(changes) and shown:
        firms = Table(title="firms whose outcome changes" if en else "结果变化的企业")
        for name in (("row", "entity_id", "rule", "status", "amount") if en else
                     ("行号", "信用代码", "政策", "状态", "金额")):
            firms.add_column(name, overflow="fold")
        titles = {i.rule_id: i.title(lang) for i in result.impacts}
        for c in result.listed(shown):
            amounts = " → ".join("—" if a is None else f"{a:,.2f}" for a in (c.amount_before, c.amount_after))
            firms.add_row(str(c.row), c.entity_id or "—", titles.get(c.rule_id, c.rule_id),
                          f"{status_label(c.status_before, lang)} → {status_label(c.status_after, lang)}", amounts)
        out.print(firms)
        if len(changes) > shown:
            out.print(f"{len(changes) - shown} more changes (-o writes them all)" if en else
                      f"另有 {len(changes) - shown} 条变化（-o 写出全部）", markup=False)


@app.command()
def lint(
    paths: Annotated[list[str] | None, typer.Argument(metavar="PATH|PACK", help="规则文件、文件夹或规则包（默认全部内置）。"
                                                     " Rule files, folders or packs (default: bundled).")] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", metavar="text|json",
                                     help="输出格式：文本或 JSON。 Output format: text or JSON.")] = "text",
    lang: LangOpt = "zh",
    strict: Annotated[bool, typer.Option("--strict", help="警告也视为失败。Fail on warnings too.")] = False,
) -> None:
    """检查规则：加载错误、不可能同时满足或恒成立的条件、互斥组、过期、引用、测试。
    Check rules: load errors, impossible or always-true conditions, groups, expiry, citations, tests.

    每条发现都有 文件:行、规则 id、级别（error / warning / info）与提示；有 error 时退出码为 1。
    Each finding has file:line, rule id, severity (error / warning / info) and a hint; exit 1 on any error.
    """
    _check_lang(lang)
    from .lint import lint as run_lint

    _note_shadowed(paths)
    try:
        findings, ruleset = run_lint(paths or [])
    except EligibilityError as exc:
        _fail(exc, lang)
    failing = {"error", "warning"} if strict else {"error"}
    if fmt == "json":
        sys.stdout.write(json.dumps([f.to_dict(lang) for f in findings], ensure_ascii=False, indent=2) + "\n")
    else:
        for f in findings:
            (err if f.severity in failing else out).print(f.text(lang), markup=False, highlight=False)
        counts = {s: sum(1 for f in findings if f.severity == s) for s in ("error", "warning", "info")}
        n = len(ruleset) if ruleset is not None else 0
        summary = (f"{n} rules; {counts['error']} errors, {counts['warning']} warnings, {counts['info']} info"
                   if lang == "en" else
                   f"{n} 条规则；错误 {counts['error']}，警告 {counts['warning']}，提示 {counts['info']}")
        out.print(summary, markup=False)
    if any(f.severity in failing for f in findings):
        raise typer.Exit(1)


@app.command("test")
def test_cmd(
    paths: Annotated[list[str] | None, typer.Argument(metavar="PATH|PACK", help="规则文件、文件夹或规则包（默认全部内置）。"
                                                     " Rule files, folders or packs (default: bundled).")] = None,
    lang: LangOpt = "zh",
    coverage: Annotated[bool, typer.Option("--coverage", help="显示条件覆盖率（每个条件的真/假/未知是否都被测到）。"
                                           " Show condition coverage (true/false/unknown per condition).")] = False,
    fail_under: Annotated[float | None, typer.Option("--fail-under", metavar="N", help=(
        "覆盖率（配合 --mutate 时还有变异得分）低于 N% 时失败；没有变异也算失败。"
        " Fail when coverage (and, with --mutate, the mutation score) is below N%; no mutant at all fails too."))
    ] = None,
    boundaries: Annotated[bool, typer.Option("--boundaries", help="显示每个门槛两侧与门槛处的判定（含本数一目了然）。"
                                             " Show the decision just below, at and just above every threshold.")] = False,
    mutate: Annotated[bool, typer.Option("--mutate", help="变异检查：改动比较符或门槛一个单位，看测试能否发现。"
                                         " Mutation check: flip ≥/> and ≤/<, nudge thresholds one unit.")] = False,
    sample: Annotated[int | None, typer.Option("--sample", help="只抽查 N 个变异（配合 --mutate）。"
                                               " Run a random sample of N mutants (with --mutate).")] = None,
    seed: Annotated[int, typer.Option("--seed", help="抽样随机种子 / sampling seed")] = 0,
) -> None:
    """运行规则文件中的示例测试（tests:），可选覆盖率、门槛与变异检查。
    Run the examples written in rule files (tests:); optionally coverage, boundaries and mutation.

    失败时显示期望与实际之差及完整解释；有失败时退出码为 1。 测试文件的 requires: 列出的规则包一并加载（只运行所给路径的测试）。
    A failure shows expected vs actual and the full explanation; exit 1 on any failure. The packs a tests
    file names under requires: are loaded too (only the tests of the given paths run).
    """
    _check_lang(lang)
    from .io.rules import discover, required_for_tests
    from .testing.runner import run_rule_tests

    try:
        wanted = {f.resolve() for f in discover(paths or [])}
        required = required_for_tests(sorted(wanted))
    except EligibilityError as exc:
        _fail(exc, lang)
    if required:
        names = ", ".join(sorted({f.parent.name for f in required}))
        err.print(f"测试所需，一并加载：{names} / loaded too, as the tests require: {names}", markup=False,
                  highlight=False)
    ruleset = _load(paths, lang, also=required)
    outcomes = [o for o in run_rule_tests(ruleset) if Path(o.rule.file).resolve() in wanted]
    only = {r.id for r in ruleset.rules if Path(r.file).resolve() in wanted} if required else None
    failed = [o for o in outcomes if not o.passed]
    for o in failed:
        out.print(o.report(lang), markup=False, highlight=False)
    exit_code = 1 if failed or not outcomes else 0
    if coverage or fail_under is not None:
        from .testing.coverage import coverage as run_coverage
        from .testing.coverage import format_coverage, total_percent

        reports = run_coverage(ruleset, only)
        out.print(format_coverage(reports, lang), markup=False, highlight=False)
        if fail_under is not None and total_percent(reports) < fail_under:
            err.print(f"coverage {total_percent(reports):.1f}% < {fail_under}%" if lang == "en" else
                      f"覆盖率 {total_percent(reports):.1f}% 低于 {fail_under}%")
            exit_code = 1
    if boundaries:
        from .testing.boundaries import boundary_report, format_boundary_report

        out.print(format_boundary_report(boundary_report(ruleset, only=only), lang), markup=False, highlight=False)
    if mutate:
        from .testing.mutation import format_mutation, run_mutation
        from .testing.mutation import score as mutation_score

        with Progress(TextColumn("mutants" if lang == "en" else "变异"), BarColumn(), MofNCompleteColumn(),
                      TimeRemainingColumn(), console=err, transient=True) as progress:
            task = progress.add_task("", total=None)
            results = run_mutation(ruleset, sample, seed,
                                   lambda i, n: progress.update(task, completed=i, total=n), only)
        out.print(format_mutation(results, lang), markup=False, highlight=False)
        if fail_under is not None and (not results or mutation_score(results) < fail_under):
            err.print((f"mutation score {mutation_score(results):.1f}% < {fail_under}%" if results else
                       "no mutant, so no mutation score") if lang == "en" else
                      (f"变异得分 {mutation_score(results):.1f}% 低于 {fail_under}%" if results else
                       "没有变异，无法得出变异得分"), markup=False)
            exit_code = 1
    passed = len(outcomes) - len(failed)
    out.print(f"{passed} passed, {len(failed)} failed", markup=False)
    raise typer.Exit(exit_code)


@app.command()
def serve(
    rules: RulesOpt = None,
    host: Annotated[str | None, typer.Option(
        "--host", help="监听地址（默认 127.0.0.1，仅本机）。 Address to listen on (default 127.0.0.1, this machine only).")
    ] = None,
    port: Annotated[int | None, typer.Option("--port", help="端口（默认 8000）。 Port (default 8000).")] = None,
    workers: Annotated[int | None, typer.Option(
        "--workers", min=1, help="工作进程数（默认 1）。 Worker processes (default 1).")] = None,
    config: Annotated[Path | None, typer.Option(
        "--config", dir_okay=False, help="配置文件 .yaml/.yml/.toml（环境变量 ELIGIBILITY_* 与命令行选项优先）。"
                                         " Configuration file .yaml/.yml/.toml (ELIGIBILITY_* variables and options win).")
    ] = None,
    auth: Annotated[bool | None, typer.Option(
        "--auth/--no-auth", help="是否要求访问令牌（默认：监听本机回环地址时不要求，否则要求）。"
                                 " Require a bearer token (default: not on loopback, yes elsewhere).")] = None,
    data_dir: Annotated[Path | None, typer.Option(
        "--data-dir", help="规则集归档与任务文件目录（默认 eligibility-data，多个工作进程共用）。"
                           " Rule-set archive and job files (default eligibility-data, shared by the workers).")
    ] = None,
    lang: LangOpt = "zh",
) -> None:
    """启动判定服务（HTTP API，见 /docs）。Start the decision service (HTTP API; see /docs).

    需要 serve 组件：pip install "eligibility\\[serve]"。 Needs the serve extra: pip install
    "eligibility\\[serve]".
    """
    _check_lang(lang)
    try:
        import fastapi  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        err.print('判定服务需要 serve 组件：pip install "eligibility[serve]"\n'
                  'the decision service needs the serve extra: pip install "eligibility[serve]"', markup=False)
        raise typer.Exit(2) from None
    from pydantic import ValidationError

    from .service.server import run
    from .service.settings import load_settings

    try:
        settings = load_settings(config, rules=rules or None, host=host, port=port, workers=workers, auth=auth,
                                 data_dir=data_dir)
    except ValidationError as exc:
        err.print(f"配置有误 / invalid configuration:\n{exc}", markup=False, highlight=False)
        raise typer.Exit(2) from None
    except EligibilityError as exc:
        _fail(exc, lang)
    state = "on" if settings.auth_required else "off"
    err.print(f"eligibility serve http://{settings.host}:{settings.port} · workers {settings.workers} · "
              f"访问令牌认证{'开启' if state == 'on' else '关闭'} / bearer-token auth {state}"
              + ("" if settings.auth is not None else
                 (" (默认：本机回环地址不要求 / default on loopback)" if state == "off" else
                  " (默认：非本机回环地址要求 / default off loopback)")), markup=False, highlight=False)
    try:
        run(settings)
    except EligibilityError as exc:
        _fail(exc, lang)


@rules_app.command("list")
def rules_list(rules: RulesOpt = None, as_of: AsOfOpt = None, fmt: ListFormatOpt = "text",
               lang: LangOpt = "zh") -> None:
    """列出规则（给出 --as-of 时只列当日施行的）。List rules (only those in force on --as-of, if given)."""
    _check_lang(lang)
    _check_format(fmt)
    ruleset = _load(rules, lang, tests=False)
    day = _as_of(as_of, lang) if as_of else None
    shown = [r for r in ruleset.rules if day is None or r.effective.contains(day)]
    records = [{"id": r.id, "title": r.title.get(lang), "kind": r.kind, "mode": r.mode, "basis": r.basis,
                "group": r.group, "effective": {"from": _iso(r.effective.start), "to": _iso(r.effective.end)}}
               for r in shown]
    cells = [(r.id, r.title.get(lang), r.kind, r.mode, r.basis, r.group or "", r.effective.describe(lang))
             for r in shown]
    _print_listing(records, cells, ("id", "title", "kind", "mode", "basis", "group", "effective"),
                   ("id", "名称", "类别", "方式", "依据", "互斥组", "施行期"), fmt, lang)


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None


@rules_app.command("show")
def rules_show(rule_id: Annotated[str, typer.Argument(metavar="RULE_ID", help="规则 id / rule id")], rules: RulesOpt = None,
               lang: LangOpt = "zh") -> None:
    """显示一条规则：条件、待遇、出处与说明。Show one rule: conditions, benefit, citation and notes."""
    _check_lang(lang)
    ruleset = _load(rules, lang)
    try:
        rule = ruleset[rule_id]
    except EligibilityError as exc:
        _fail(exc, lang)
    from .lang.render import rule_text

    out.print(rule_text(rule, lang), markup=False, highlight=False)


@rules_app.command("schema")
def rules_schema() -> None:
    """打印规则文件的 JSON Schema（供编辑器校验与补全）。Print the JSON Schema of rule files."""
    from .io.schema import rule_file_json_schema

    sys.stdout.write(json.dumps(rule_file_json_schema(), ensure_ascii=False, indent=2) + "\n")


@rules_app.command("docs")
def rules_docs(
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="输出目录 / output folder")] = Path("docs/rules"),
    rules: RulesOpt = None,
    check: Annotated[bool, typer.Option("--check", help="只检查页面是否最新（过期则退出码 1）。"
                                        " Only check the pages are current (exit 1 if not).")] = False,
) -> None:
    """生成规则目录（每个规则包一页，中文）。Generate the rule catalogue: one Markdown page per pack."""
    from .catalogue import render_catalogue, stale_pages, write_catalogue
    from .io.rules import bundled_rules_dir

    pages = render_catalogue(_load(rules, "zh"), bundled_rules_dir())
    if check:
        stale = stale_pages(pages, out_dir)
        if stale:
            err.print(f"规则目录已过期 / catalogue out of date: {', '.join(stale)} — run `eligibility rules docs`")
            raise typer.Exit(1)
        out.print(f"{len(pages)} pages current", markup=False)
        return
    for path in write_catalogue(pages, out_dir):
        out.print(str(path), markup=False)


@rules_app.command("facts")
def rules_facts(fmt: ListFormatOpt = "text", lang: LangOpt = "zh") -> None:
    """列出规则可用的派生事实。List the derived facts rules may use."""
    _check_lang(lang)
    _check_format(fmt)
    from .facts.derived import DERIVED

    records = [{"name": f.name, "label": f.label(lang), "type": f.type.describe(lang), "reads": list(f.reads)}
               for f in DERIVED.values()]
    cells = [(f.name, f.label(lang), f.type.describe(lang), ", ".join(f.reads)) for f in DERIVED.values()]
    _print_listing(records, cells, ("name", "label", "type", "reads"), ("名称", "说明", "类型", "读取字段"), fmt, lang)


def _check_format(fmt: str) -> None:
    if fmt not in ("text", "json"):
        err.print(f"--format 只能是 text 或 json / --format must be text or json, got {fmt!r}", markup=False)
        raise typer.Exit(2)


def _print_listing(records: list[dict[str, Any]], cells: list[tuple[str, ...]], en_headers: tuple[str, ...],
                   zh_headers: tuple[str, ...], fmt: str, lang: str) -> None:
    """A listing as JSON (a list of objects keyed in English), or in the --lang language: a table where
    it fits the terminal whole, else one entry per item (its name, its title or label, then the other
    fields, wrapped between words); a name or value is never cut."""
    if fmt == "json":
        sys.stdout.write(json.dumps(records, ensure_ascii=False, indent=2) + "\n")
        return
    headers = en_headers if lang == "en" else zh_headers
    table = Table()
    for header in headers:
        table.add_column(header, no_wrap=True)
    for row in cells:
        table.add_row(*row)
    from rich.measure import Measurement

    if Measurement.get(out, out.options.update_width(1 << 20), table).maximum <= out.width:  # whole, unwrapped
        out.print(table)
        return
    from ._wrap import wrap

    sep = ": " if lang == "en" else "："
    for row in cells:
        out.print(row[0], style="bold", markup=False, highlight=False, soft_wrap=True)
        rest = ("; " if lang == "en" else "；").join(f"{h}{sep}{v}" for h, v in zip(headers[2:], row[2:], strict=True)
                                                       if v)
        for text in (row[1], rest):
            for line in wrap(text, max(out.width - 2, 20)):
                out.print(f"  {line}", markup=False, highlight=False, soft_wrap=True)


@profile_app.command("schema")
def profile_schema() -> None:
    """打印企业画像的 JSON Schema（v1）。Print the JSON Schema of enterprise profiles (v1)."""
    from .facts.profile import Profile

    schema = Profile.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    sys.stdout.write(json.dumps(schema, ensure_ascii=False, indent=2) + "\n")


@app.command("watch")
def watch_cmd(
    changes: Annotated[list[Path] | None, typer.Argument(
        help="变更文件（CSV、Parquet 或 Excel），按给出的顺序应用：每行按统一社会信用代码并入该企业已存的数据，"
             " 只改文件中有的列，空格或占位符不改，单元格写方括号里的“清空”则清除该字段。"
             " Change files (CSV, Parquet or Excel), applied in the order given: each row merges into the firm's"
             " stored facts by USCC; only the columns present change, blanks and placeholders change nothing,"
             " and a cell 清空 or clear in square brackets clears the field.", exists=True, dir_okay=False)] = None,
    state: Annotated[Path, typer.Option(
        "--state", help="状态库文件（SQLite；不存在时新建）。 The watch's store (an SQLite file, created when absent).")
    ] = Path("watch.sqlite"),
    removals: Annotated[list[Path] | None, typer.Option(
        "--removals", exists=True, dir_okay=False,
        help="移出监测的企业名单（含 uscc 列；可多次给出，在变更文件之后应用）。"
             " Firms leaving the watch (a uscc column; repeatable; applied after the change files).")] = None,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="把本次（或 --since 之后）的事件写入 .csv、.parquet 或 .xlsx。"
                               " Write this run's events (or those after --since) to .csv, .parquet or .xlsx.")
    ] = None,
    since: Annotated[int | None, typer.Option(
        "--since", min=0, help="导出序号大于 SEQ 的全部已记录事件（不应用变更也可）。"
                               " Export every logged event with a sequence number above SEQ.")] = None,
    rules: RulesOpt = None,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="把监测日期移到此日（YYYY-MM-DD），在应用变更之前；新状态库的初始日期（默认今天）。"
                        " Move the watch's date to this day (YYYY-MM-DD) before applying the changes; the first"
                        " date of a new store (default: today).")] = None,
    columns: Annotated[Path | None, typer.Option(
        "--columns", exists=True, dir_okay=False,
        help="列映射 YAML（同 score）。 Column mapping YAML (as for score).")] = None,
    lang: LangOpt = "zh",
) -> None:
    """政策找企业的日常任务：把部门变更并入状态库，报告谁新符合、谁不再符合，事件只记一次。

    The daily job of 政策找企业: merge department changes into the watch's store and report who became
    eligible or lost a measure; each event is logged once (re-running the same file logs nothing).
    """
    from .reactive import Watcher
    from .reactive.feed import FeedResult, apply_changes, apply_removals

    lang = _check_lang(lang)
    en = lang == "en"
    ruleset = _load(rules, lang, tests=False)
    try:
        with Watcher(ruleset, as_of=_as_of(as_of, lang) if as_of else None, store=state) as w:
            start = w.log()[-1].seq if w.log() else 0
            if as_of is not None and _as_of(as_of, lang) != w.as_of:
                w.advance_to(_as_of(as_of, lang))
            results: list[FeedResult] = [apply_changes(w, p, columns) for p in changes or []]
            results += [apply_removals(w, p, columns) for p in removals or []]
            logged = w.log(after=since if since is not None else start)
            date_now = w.as_of
    except EligibilityError as exc:
        _fail(exc, lang)
    for r in results:
        for pr in r.problems:
            err.print(f"{pr.file} 第 {pr.row} 行未应用：{pr.zh}" if not en else f"{pr.file} row {pr.row} not applied: {pr.en}",
                      markup=False, highlight=False)
    counts: dict[str, dict[str, int]] = {}
    for ev in logged:
        counts.setdefault(ev.rule_id, {}).setdefault(ev.kind, 0)
        counts[ev.rule_id][ev.kind] += 1
    kinds = ("newly_eligible", "no_longer_eligible", "amount_changed", "became_undetermined")
    from .reactive.events import EventKind

    table = Table(title=(f"Events as of {date_now}" if en else f"事件（监测日期 {date_now}）"))
    table.add_column("rule" if en else "政策")
    for k in kinds:
        table.add_column(EventKind(k).label(lang), justify="right")
    for rule_id, c in counts.items():
        table.add_row(ruleset[rule_id].title.get(lang), *(str(c.get(k, 0)) for k in kinds))
    applied = sum(r.applied for r in results)
    refused = sum(len(r.problems) for r in results)
    if counts:
        out.print(table)
    out.print(f"{applied} rows applied, {refused} refused; {len(logged)} events (log up to #{logged[-1].seq if logged else start})"
              if en else f"应用 {applied} 行，未应用 {refused} 行；事件 {len(logged)} 条（日志至 #{logged[-1].seq if logged else start}）")
    if output is not None:
        _write_events([e.to_dict() for e in logged], output, lang)
    if refused:
        raise typer.Exit(1)


EVENT_COLUMNS = ["seq", "entity_id", "rule_id", "kind", "old_status", "new_status", "old_amount", "new_amount",
                 "as_of", "recorded_at", "rule_set"]


def _write_events(rows: list[dict[str, Any]], output: Path, lang: str) -> None:
    import pandas as pd

    frame = pd.DataFrame(rows, columns=EVENT_COLUMNS)
    suffix = output.suffix.lower()
    if suffix == ".parquet":
        frame.to_parquet(output, index=False)
    elif suffix == ".xlsx":
        frame.to_excel(output, index=False)
    elif suffix == ".csv":
        frame.to_csv(output, index=False)
    else:
        err.print(f"输出文件应为 .csv、.parquet 或 .xlsx：{output}" if lang != "en"
                  else f"the output must be .csv, .parquet or .xlsx: {output}")
        raise typer.Exit(2)


def main() -> None:
    """The console entry point (``eligibility`` and ``python -m eligibility``)."""
    app(prog_name="eligibility")


if __name__ == "__main__":
    main()
