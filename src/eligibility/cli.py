"""The ``eligibility`` command: match one firm, score a register, inspect and check rules.

Every command explains itself with ``--help``; errors are printed in Chinese and English (or the
``--lang`` chosen) and exit non-zero: 1 for failed checks, 2 for bad input.
"""

from __future__ import annotations

import json
import sys
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

app = typer.Typer(
    name="eligibility",
    help="惠企政策可执行化：按规则判断企业可享受的政策并给出解释。\n\n"
    "Executable enterprise-support policy: decide which measures a firm qualifies for, and why.",
    no_args_is_help=True,
    add_completion=False,
)
rules_app = typer.Typer(help="查看规则 / inspect rules: list, show, schema, facts, docs.", no_args_is_help=True)
profile_app = typer.Typer(help="企业画像 / enterprise profiles: schema.", no_args_is_help=True)
app.add_typer(rules_app, name="rules")
app.add_typer(profile_app, name="profile")

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

RulesOpt = Annotated[
    list[str] | None,
    typer.Option("--rules", "-r", help="规则文件、文件夹或内置规则包名（可多次给出； 默认全部内置规则包）。"
                 " Rule file, folder or bundled pack name (repeatable; default: all bundled packs)."),
]
AsOfOpt = Annotated[
    str | None,
    typer.Option("--as-of", help="评估日期 YYYY-MM-DD（默认今天）。Evaluation date (default: today)."),
]
LangOpt = Annotated[str, typer.Option("--lang", help="输出语言 zh|en. Output language.")]


def _fail(exc: EligibilityError, lang: str, code: int = 2) -> None:
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


def _load(rules: list[str] | None, lang: str, tests: bool = True):  # type: ignore[no-untyped-def]
    from .io.rules import load_rules

    try:
        return load_rules(*(rules or []), tests=tests)
    except EligibilityError as exc:
        _fail(exc, lang)


def _as_of(value: str | None, lang: str) -> date:
    if value is None:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        err.print(f"--as-of 应为 YYYY-MM-DD，实际为 {value!r} / --as-of must be YYYY-MM-DD, got {value!r}")
        raise typer.Exit(2) from None


def _read_profile(path: Path) -> Any:
    from .io.yamlload import load_yaml

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


@app.command()
def match(
    profile: Annotated[Path, typer.Argument(help="企业画像文件（JSON 或 YAML）。Profile file (JSON or YAML).",
                                            exists=True, dir_okay=False)],
    rules: RulesOpt = None,
    as_of: AsOfOpt = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="text|json")] = "text",
    lang: LangOpt = "zh",
    only_eligible: Annotated[bool, typer.Option("--only-eligible", help="只显示符合、待定和被取代的政策。"
                                                " Hide rules the firm does not qualify for.")] = False,
    report: Annotated[Path | None, typer.Option(
        "--report", help="另写一份政策体检报告：.html（可打印的独立网页）、.md 或 .json，语言随 --lang。"
                         " Also write the policy check-up report: .html (a self-contained printable page), .md"
                         " or .json, in the --lang language.")] = None,
) -> None:
    """为一家企业匹配政策并解释每项判断。Match one firm against the rules and explain every decision."""
    _check_lang(lang)
    from .engine import Engine
    from .report import format_from_suffix, render_checkup

    try:
        report_fmt = format_from_suffix(report) if report is not None else None
    except ValueError as exc:
        err.print(str(exc), markup=False, highlight=False)
        raise typer.Exit(2) from None

    ruleset = _load(rules, lang)
    try:
        data = _read_profile(profile)
        ev = Engine(ruleset).evaluate(data, _as_of(as_of, lang))
    except EligibilityError as exc:
        _fail(exc, lang)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        err.print(f"{profile}: 无法读取画像 / cannot read the profile: {exc}")
        raise typer.Exit(2) from None
    if fmt == "json":
        out.print_json(ev.to_json(lang))
    elif fmt == "text":
        out.print(ev.explain(lang, include_ineligible=not only_eligible), markup=False, highlight=False)
    else:
        err.print(f"--format 只能是 text 或 json / --format must be text or json, got {fmt!r}")
        raise typer.Exit(2)
    if report is not None and report_fmt is not None:
        try:
            report.write_text(render_checkup(ev, report_fmt, lang), encoding="utf-8")
        except OSError as exc:
            err.print(f"无法写入报告 {report}：{exc.strerror} / cannot write the report {report}: {exc.strerror}",
                      markup=False, highlight=False)
            raise typer.Exit(2) from None
        err.print(f"政策体检报告已写入 {report} / check-up report written to {report}", markup=False, highlight=False)


@app.command()
def score(
    input: Annotated[Path, typer.Argument(
        help="企业名录：CSV、Parquet 或 Excel（.xlsx：第一个工作表，首行为表头）。 每行一家企业，"
             " 列名为画像字段（嵌套字段用点号）， 或用 --columns 映射。"
             " Register: CSV, Parquet or Excel (.xlsx: first sheet, first row = headers); one firm per row,"
             " columns named after profile fields (dotted for nested ones), or mapped with --columns."
             " 用 --dask 时：Parquet 文件或 Parquet 分片目录。 With --dask: a Parquet file or a directory of"
             " Parquet part files.",
        exists=True, dir_okay=True)],
    output: Annotated[Path | None, typer.Option(
        "--output", "-o",
        help="结果文件 .csv、.parquet 或 .xlsx（默认：当前目录下的 <输入名>.scored.csv）。 按政策汇总写在旁边："
             " <输出名>.summary.csv（输出为 .xlsx 时另有 .summary.xlsx）。"
             " Output file .csv, .parquet or .xlsx (default: <input stem>.scored.csv in the current folder); the"
             " per-rule summary goes beside it as <output stem>.summary.csv (and .summary.xlsx for .xlsx output).")
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
    report: Annotated[list[Path] | None, typer.Option(
        "--report",
        help="另写汇总报告：.html（带图表的独立网页）或 .xlsx（汇总表 + 每条政策一个工作表）；可给两次，各写一份。"
             " 语言随 --lang；有报告时在本进程内打分（--workers 不起作用）；不能与 --dask 同用。"
             " Also write the summary report: .html (a self-contained page with charts) or .xlsx (a summary sheet and a"
             " sheet per rule); give it twice for both. In the --lang language; with a report, chunks are scored in this"
             " process (--workers does not apply); not with --dask.")
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
    from .io.registers import (
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
        if report:
            err.print("--report 暂不能与 --dask 同用 / --report cannot be used with --dask yet", markup=False)
            raise typer.Exit(2)
        _score_on_dask(input, output, rules, as_of, columns, wide, dask_cluster, lang)
        return
    if input.is_dir():
        err.print(f"{input}：输入是目录；目录只能配合 --dask 读入 / {input}: the input is a directory; a directory"
                  " is read only with --dask", markup=False)
        raise typer.Exit(2)
    target = output or Path(input.stem + ".scored.csv")
    try:
        input_format(input)
        output_format(target)
    except EligibilityError as exc:
        _fail(exc, lang)
    if target.resolve() == input.resolve():
        err.print("输出文件不能与输入文件相同 / the output must not be the input file", markup=False)
        raise typer.Exit(2)
    ruleset = _load(rules, lang, tests=False)  # scoring runs no rule tests: their files are not parsed
    day = _as_of(as_of, lang)
    try:
        mapping = load_column_mapping(columns) if columns is not None else None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RegisterWarning)
            reader = read_register(input, chunk_size, mapping)
    except EligibilityError as exc:
        _fail(exc, lang)
    for zh, en_text in reader.warnings:
        err.print(("warning: " + en_text) if en else ("警告：" + zh), style="yellow", markup=False, highlight=False)
    engine = Engine(ruleset)
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
            scorer = engine if reporter is None else reporter.observing_engine()  # the report sees every chunk
            summary = score_file(scorer, reader, target, day, wide=wide, on_chunk=update,
                                 workers=parallel if reporter is None else 1)
        except EligibilityError as exc:
            progress.stop()
            _fail(exc, lang)
        except OSError as exc:
            progress.stop()
            partial_path(target).unlink(missing_ok=True)
            err.print(f"无法写出 {target}：{exc} / cannot write {target}: {exc}", markup=False)
            raise typer.Exit(2) from None
        final = reader.bytes_total if by_bytes else max(total_rows or 0, int(progress.tasks[0].completed))
        progress.update(task, completed=final, total=final)
    summary_paths = [target.with_name(target.stem + ".summary.csv")]
    if target.suffix.lower() == ".xlsx":
        summary_paths.append(target.with_name(target.stem + ".summary.xlsx"))
    for path in summary_paths:
        write_summary(summary, path)
    for path in report or []:
        try:
            reporter.finish(summary).write(path, lang)  # type: ignore[union-attr]
        except OSError as exc:
            err.print(f"无法写入报告 {path}：{exc.strerror} / cannot write the report {path}: {exc.strerror}",
                      markup=False)
            raise typer.Exit(2) from None
    _print_summary(summary, lang, engine.provenance(day))
    written = [str(p) for p in [target, *summary_paths, *(report or [])]]
    out.print(f"written: {', '.join(written)}" if en else f"已写出：{'、'.join(written)}", markup=False)


def _score_on_dask(input: Path, output: Path | None, rules: list[str] | None, as_of: str | None,
                   columns: Path | None, wide: bool, cluster_spec: str, lang: str) -> None:
    """``eligibility score --dask``: partitioned Parquet in, partitioned Parquet out (see ``score``)."""
    en = lang == "en"
    try:
        import eligibility.dask as eld
    except ImportError as exc:
        err.print(str(exc), markup=False, highlight=False)
        raise typer.Exit(2) from None
    from .engine import Engine
    from .io.registers import write_summary

    if columns is not None:
        err.print("--columns 暂不能与 --dask 同用 / --columns cannot be used with --dask yet", markup=False)
        raise typer.Exit(2)
    target = output or Path(input.name.removesuffix(input.suffix) + ".scored")
    try:
        eld.parse_cluster(cluster_spec)
        ddf = eld.read_register(input)
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
                summary = eld.score_to_parquet(ddf, engine, day, target, client, wide=wide, on_progress=update)
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
    _print_summary(summary, lang, engine.provenance(day))
    out.print(f"written: {target}, {summary_path}" if en else f"已写出：{target}、{summary_path}", markup=False)


def _print_summary(summary: Any, lang: str, provenance: dict[str, str]) -> None:
    """The per-rule table, then how every input row is accounted for (read = scored + errors + no rule)."""
    en = lang == "en"
    table = Table(title="per-rule summary" if en else "按政策汇总",
                  caption=f"eligibility {provenance['version']} · rules {provenance['ruleset_hash'][:12]} · "
                          f"as of {provenance['as_of']}")
    table.add_column("rule" if en else "政策", overflow="fold")
    for col in (("eligible", "符合"), ("undetermined", "待定"), ("superseded", "被取代"), ("ineligible", "不符合"),
                ("budget, yuan", "预算影响（元）")):
        table.add_column(col[0] if en else col[1], justify="right")
    for rec in summary.to_dict("records"):
        table.add_row(rec["rule_id"], str(rec["eligible"]), str(rec["undetermined"]), str(rec["superseded"]),
                      str(rec["ineligible"]), f"{rec['amount_total']:,.2f}")
    out.print(table)
    a = summary.attrs
    out.print(
        (f"rows read {a['rows_read']} = scored {a['rows_scored']} + errors {a['rows_error']} + no rule in scope "
         f"{a['rows_no_rule']}") if en else
        (f"读入 {a['rows_read']} 行 = 已评估 {a['rows_scored']} + 出错 {a['rows_error']} + 无适用政策 {a['rows_no_rule']}"),
        markup=False,
    )
    if a.get("blank_rows"):
        out.print(f"blank rows skipped: {a['blank_rows']}" if en else f"跳过空行 {a['blank_rows']} 行", markup=False)
    if a.get("rows_duplicate"):
        n = a["rows_duplicate"]
        out.print(f"rows repeating an earlier USCC: {n} (see duplicate_of)" if en else
                  f"统一社会信用代码与前面重复的行：{n} 行（见 duplicate_of 列）", markup=False)


@app.command("whatif")
def whatif_cmd(
    register: Annotated[Path, typer.Argument(
        help="企业名录：CSV、Parquet 或 Excel（同 score）。 Register: CSV, Parquet or Excel (as for score).",
        exists=True, dir_okay=False)],
    rules: RulesOpt = None,
    against: Annotated[list[str] | None, typer.Option(
        "--against", help="调整后的规则（文件、文件夹或规则包，可多次给出；默认与 --rules 相同，再加 --set）。"
                          " The changed rules (file, folder or pack, repeatable; default: the --rules, plus --set).")
    ] = None,
    settings: Annotated[list[str] | None, typer.Option(
        "--set", help="覆盖一项设置（可多次给出）：规则id.amount=金额（如 puer.new-industrial-above-scale.amount=60万），"
                      "或 规则id.params.参数名=取值（评估日施行的那一期）。 Override a setting (repeatable): RULE.amount=VALUE,"
                      " or RULE.params.NAME=VALUE (the value in force on --as-of).")
    ] = None,
    as_of: AsOfOpt = None,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="结果变化的企业清单 .csv 或 .parquet。 The firms whose outcome changes, as .csv or .parquet.")
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
    from .io.registers import load_column_mapping
    from .report.whatif import render_whatif
    from .whatif import apply_overrides, what_if, write_changes

    if against is None and not settings:
        err.print("请给出 --against 或至少一个 --set / give --against or at least one --set", markup=False)
        raise typer.Exit(2)
    for path, allowed in ((output, (".csv", ".parquet")), (report, (".html", ".htm"))):
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
    _print_whatif(result, lang, shown)
    written = []
    try:
        if output is not None:
            written.append(str(write_changes(result, output)))
        if report is not None:
            report.write_text(render_whatif(result, lang), encoding="utf-8")
            written.append(str(report))
    except OSError as exc:
        err.print(f"无法写出：{exc} / cannot write: {exc}", markup=False)
        raise typer.Exit(2) from None
    if written:
        out.print(f"written: {', '.join(written)}" if lang == "en" else f"已写出：{'、'.join(written)}", markup=False)


def _print_whatif(result: Any, lang: str, shown: int) -> None:
    en = lang == "en"
    prov = result.provenance()
    table = Table(title="what-if: per-rule change" if en else "调整影响：按政策",
                  caption=f"eligibility {prov['version']} · rules {prov['ruleset_hash_before'][:12]} → "
                          f"{prov['ruleset_hash_after'][:12]} · as of {prov['as_of']} · rows {result.rows_read}")
    for i, name in enumerate(("rule", "eligible firms", "budget, yuan", "firms changed") if en else
                             ("政策", "符合企业", "预算（元）", "变化企业")):
        table.add_column(name, justify="left" if i == 0 else "right", overflow="fold")
    moved = result.changed_impacts()
    for imp in moved:
        table.add_row(imp.rule_id, f"{imp.eligible_before} → {imp.eligible_after} ({imp.eligible_delta:+d})",
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
        for c in result.listed(shown):
            amounts = " → ".join("—" if a is None else f"{a:,.2f}" for a in (c.amount_before, c.amount_after))
            firms.add_row(str(c.row), c.entity_id or "—", c.rule_id, f"{c.status_before} → {c.status_after}", amounts)
        out.print(firms)
        if len(changes) > shown:
            out.print(f"{len(changes) - shown} more changes (-o writes them all)" if en else
                      f"另有 {len(changes) - shown} 条变化（-o 写出全部）", markup=False)


@app.command()
def lint(
    paths: Annotated[list[str] | None, typer.Argument(help="规则文件、文件夹或规则包（默认全部内置）。"
                                                     " Rule files, folders or packs (default: bundled).")] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="text|json")] = "text",
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
    paths: Annotated[list[str] | None, typer.Argument(help="规则文件、文件夹或规则包（默认全部内置）。"
                                                     " Rule files, folders or packs (default: bundled).")] = None,
    lang: LangOpt = "zh",
    coverage: Annotated[bool, typer.Option("--coverage", help="显示条件覆盖率（每个条件的真/假/未知是否都被测到）。"
                                           " Show condition coverage (true/false/unknown per condition).")] = False,
    fail_under: Annotated[float | None, typer.Option("--fail-under", help="覆盖率低于 N% 时失败。"
                                                     " Fail when coverage is below N%.")] = None,
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

    失败时显示期望与实际之差及完整解释；有失败时退出码为 1。
    A failure shows expected vs actual and the full explanation; exit 1 on any failure.
    """
    _check_lang(lang)
    from .testing.runner import run_rule_tests

    ruleset = _load(paths, lang)
    outcomes = run_rule_tests(ruleset)
    failed = [o for o in outcomes if not o.passed]
    for o in failed:
        out.print(o.report(lang), markup=False, highlight=False)
    exit_code = 1 if failed or not outcomes else 0
    if coverage or fail_under is not None:
        from .testing.coverage import coverage as run_coverage
        from .testing.coverage import format_coverage, total_percent

        reports = run_coverage(ruleset)
        out.print(format_coverage(reports, lang), markup=False, highlight=False)
        if fail_under is not None and total_percent(reports) < fail_under:
            err.print(f"coverage {total_percent(reports):.1f}% < {fail_under}%" if lang == "en" else
                      f"覆盖率 {total_percent(reports):.1f}% 低于 {fail_under}%")
            exit_code = 1
    if boundaries:
        from .testing.boundaries import boundary_report, format_boundary_report

        out.print(format_boundary_report(boundary_report(ruleset), lang), markup=False, highlight=False)
    if mutate:
        from .testing.mutation import format_mutation, run_mutation

        with Progress(TextColumn("mutants" if lang == "en" else "变异"), BarColumn(), MofNCompleteColumn(),
                      TimeRemainingColumn(), console=err, transient=True) as progress:
            task = progress.add_task("", total=None)
            results = run_mutation(ruleset, sample, seed,
                                   lambda i, n: progress.update(task, completed=i, total=n))
        out.print(format_mutation(results, lang), markup=False, highlight=False)
    passed = len(outcomes) - len(failed)
    out.print(f"{passed} passed, {len(failed)} failed", markup=False)
    raise typer.Exit(exit_code)


@rules_app.command("list")
def rules_list(rules: RulesOpt = None, as_of: AsOfOpt = None, lang: LangOpt = "zh") -> None:
    """列出规则（给出 --as-of 时只列当日施行的）。List rules (only those in force on --as-of, if given)."""
    _check_lang(lang)
    ruleset = _load(rules, lang)
    day = _as_of(as_of, lang) if as_of else None
    table = Table()
    table.add_column("id", no_wrap=True)
    for col in ("title" if lang == "en" else "名称", "kind", "mode", "basis", "group", "effective"):
        table.add_column(col)
    for r in ruleset.rules:
        if day is not None and not r.effective.contains(day):
            continue
        table.add_row(r.id, r.title.get(lang), r.kind, r.mode, r.basis, r.group or "", r.effective.describe(lang))
    out.print(table)


@rules_app.command("show")
def rules_show(rule_id: Annotated[str, typer.Argument(help="规则 id / rule id")], rules: RulesOpt = None,
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
def rules_facts(lang: LangOpt = "zh") -> None:
    """列出规则可用的派生事实。List the derived facts rules may use."""
    _check_lang(lang)
    from .facts.derived import DERIVED

    table = Table()
    for col in ("name", "label", "type", "reads"):
        table.add_column(col)
    for f in DERIVED.values():
        table.add_row(f.name, f.label(lang), f.type.describe(lang), ", ".join(f.reads))
    out.print(table)


@profile_app.command("schema")
def profile_schema() -> None:
    """打印企业画像的 JSON Schema（v1）。Print the JSON Schema of enterprise profiles (v1)."""
    from .facts.profile import Profile

    schema = Profile.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    sys.stdout.write(json.dumps(schema, ensure_ascii=False, indent=2) + "\n")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
