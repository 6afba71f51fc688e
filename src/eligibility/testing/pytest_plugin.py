"""pytest plugin: a project's rule tests (the ``tests:`` of its rule files) run as pytest items.

Registered through the ``pytest11`` entry point, and opt-in, so that no YAML file is ever collected
by accident. Rule files are collected only under the paths given by the ini option
``eligibility_rules`` (files or folders relative to the rootdir) or by ``--eligibility-rules PATH``
(repeatable, relative to the current directory; it replaces the ini paths). A bundled pack name
(``examples``) works too. The ini paths join a run that selects no tests of its own (testpaths or
the rootdir); ``--eligibility-rules`` paths join every run.

All the files are loaded together, so exclusive groups spanning files apply, and each test runs
through the same runner as ``eligibility test``. A test is the item ``<file>::<rule id>::<test name>``;
its failure is the runner's report in ``eligibility_lang`` (ini) or ``--eligibility-lang``: zh
(default) or en. A rule file that does not load becomes one failing item, ``<file>::load``, with
every located error of that file; the other files still run.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from ..engine import Engine
from ..errors import RuleDefinitionError, RuleSetError, suggest
from ..io.rules import bundled_rules_dir, discover, load_rules, required_for_tests
from ..model.rule import Rule, RuleSet, RuleTest
from .runner import TestOutcome, run_test

LANGS = ("zh", "en")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("eligibility", "eligibility rule tests / 规则测试")
    group.addoption("--eligibility-rules", action="append", default=[], metavar="PATH", dest="eligibility_rules",
                    help="collect the tests of the rule files under PATH (repeatable) / 收集该路径下规则文件中的测试")
    group.addoption("--eligibility-lang", choices=LANGS, default=None, dest="eligibility_lang",
                    help="language of failure reports: zh (default) or en / 失败报告语言")
    parser.addini("eligibility_rules", type="args", default=[],
                  help="rule files or folders (relative to the rootdir) whose tests are collected"
                       " / 收集测试的规则文件或目录（相对于 rootdir）")
    parser.addini("eligibility_lang", default="zh", help="language of rule-test failure reports: zh or en")


@dataclass
class _State:
    """What the plugin knows for one session: the rule files, how they loaded, the engine."""

    files: set[Path]
    lang: str
    loaded: bool = False
    rules: RuleSet | None = None
    engine: Engine | None = None
    broken: dict[Path, list[RuleDefinitionError]] = field(default_factory=dict)


_STATE = pytest.StashKey[_State]()


def _resolve(raw: str, base: Path) -> Path:
    """A configured path, relative to ``base``; else a bundled pack of that name."""
    path = base / raw
    if path.exists():
        return path.resolve()
    if (bundled_rules_dir() / raw).is_dir():
        return bundled_rules_dir() / raw
    packs = sorted(p.name for p in bundled_rules_dir().iterdir() if p.is_dir())
    hint = suggest(raw, packs)
    dym_zh, dym_en = (f"，是否想写 '{hint}'？", f"; did you mean '{hint}'?") if hint else ("", "")
    raise pytest.UsageError(
        f"eligibility_rules：在 {base} 下找不到规则文件或目录 '{raw}'{dym_zh}（内置规则包：{'、'.join(packs)}）\n"
        f"eligibility_rules: no rule file or folder '{raw}' under {base}{dym_en} (bundled packs: {', '.join(packs)})")


def _covered(path: Path, args: list[str], base: Path) -> bool:
    """Whether a collection argument already reaches ``path``."""
    for arg in args:
        target = (base / arg.split("::")[0]).resolve()
        if path == target or target in path.parents:
            return True
    return False


def pytest_configure(config: pytest.Config) -> None:
    cli = config.getoption("eligibility_rules")
    raw, base = (cli, config.invocation_params.dir) if cli else (config.getini("eligibility_rules"), config.rootpath)
    lang = config.getoption("eligibility_lang") or config.getini("eligibility_lang")
    if lang not in LANGS:
        raise pytest.UsageError(f"eligibility_lang 应为 zh 或 en，实际为 {lang!r}\n"
                                f"eligibility_lang must be zh or en, got {lang!r}")
    if not raw:
        return
    paths = [_resolve(r, base) for r in raw]
    files = {f.resolve() for f in discover(paths)}
    config.stash[_STATE] = _State(files, lang)
    if cli or config.args_source != pytest.Config.ArgsSource.ARGS:
        invocation = config.invocation_params.dir
        config.args.extend(str(p) for p in paths if not _covered(p, config.args, invocation))


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> RuleFile | None:
    state = parent.config.stash.get(_STATE, None)
    if state is not None and file_path.resolve() in state.files:
        return RuleFile.from_parent(parent, path=file_path)  # type: ignore[no-any-return]
    return None


def _owner(error_file: str | None, files: list[Path]) -> Path | None:
    """The rule file an error belongs to (a sibling ``x.tests.yaml`` belongs to ``x.yaml``)."""
    if error_file is None:
        return None
    path = Path(error_file).resolve()
    for suffix in (".tests.yaml", ".tests.yml"):
        if path.name.endswith(suffix):
            stem = path.name[: -len(suffix)]
            path = next((f for f in files if f.parent == path.parent and f.stem == stem), path)
    return path if path in files else None


def _load(state: _State) -> None:
    """Load every rule file together, with the packs their tests files require (``requires:``; their own
    tests are not collected); a file with errors is set aside and the rest loaded again."""
    state.loaded = True
    good = sorted(state.files)
    while good:
        try:
            state.rules = load_rules(*good, *required_for_tests(good))
        except (RuleSetError, RuleDefinitionError) as exc:
            for err in exc.errors if isinstance(exc, RuleSetError) else [exc]:
                owners = [o] if (o := _owner(err.file, good)) else good  # an error no file owns fails them all
                for owner in owners:
                    state.broken.setdefault(owner, []).append(err)
            good = [f for f in good if f not in state.broken]
            continue
        state.engine = Engine(state.rules)
        return


class RuleFile(pytest.File):
    """A rule file: one collector per rule with tests, or one failing ``load`` item."""

    def collect(self) -> Iterator[pytest.Item | pytest.Collector]:
        state = self.config.stash[_STATE]
        if not state.loaded:
            _load(state)
        path = self.path.resolve()
        if path in state.broken:
            yield LoadErrorItem.from_parent(self, name="load", errors=state.broken[path], lang=state.lang)
            return
        assert state.rules is not None and state.engine is not None
        for rule in state.rules.rules:
            if rule.tests and Path(rule.file).resolve() == path:
                yield RuleCollector.from_parent(self, name=rule.id, rule=rule, engine=state.engine, lang=state.lang)


class RuleCollector(pytest.Collector):
    """One rule: its tests as items."""

    def __init__(self, *, rule: Rule, engine: Engine, lang: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rule, self.engine, self.lang = rule, engine, lang

    def collect(self) -> Iterator[pytest.Item]:
        for test in self.rule.tests:
            yield RuleTestItem.from_parent(self, name=test.name, rule=self.rule, test=test, engine=self.engine,
                                           lang=self.lang)


class RuleTestFailed(Exception):
    """A rule test found differences; the outcome holds the bilingual report."""

    def __init__(self, outcome: TestOutcome, lang: str) -> None:
        super().__init__(outcome.report(lang))
        self.outcome = outcome


class RuleTestItem(pytest.Item):
    """One rule test, run with the whole rule set (so exclusive groups apply)."""

    def __init__(self, *, rule: Rule, test: RuleTest, engine: Engine, lang: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rule, self.test, self.engine, self.lang = rule, test, engine, lang

    def runtest(self) -> None:
        outcome = run_test(self.engine, self.rule, self.test)
        if not outcome.passed:
            raise RuleTestFailed(outcome, self.lang)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:  # type: ignore[override]
        if isinstance(excinfo.value, RuleTestFailed):
            return excinfo.value.outcome.report(self.lang)
        return str(super().repr_failure(excinfo, style))

    def reportinfo(self) -> tuple[Path, int, str]:
        # not the node id's tail: pytest would print a tail's dots as "::" (as for Class.method)
        return Path(self.test.file), self.test.line - 1, f"{self.rule.id} — {self.test.name}"


class RuleLoadFailed(Exception):
    """A rule file did not load."""


class LoadErrorItem(pytest.Item):
    """A rule file that did not load: fails with every located error (file:line:col, the line, a hint)."""

    def __init__(self, *, errors: list[RuleDefinitionError], lang: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.errors, self.lang = errors, lang

    def runtest(self) -> None:
        raise RuleLoadFailed(self.message())

    def message(self) -> str:
        head = (f"rule file {self.path} did not load:" if self.lang == "en" else f"规则文件 {self.path} 未能加载：")
        return "\n".join([head, *(e.message(self.lang) for e in self.errors)])

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:  # type: ignore[override]
        if isinstance(excinfo.value, RuleLoadFailed):
            return self.message()
        return str(super().repr_failure(excinfo, style))

    def reportinfo(self) -> tuple[Path, int, str]:
        line = next((e.line for e in self.errors if e.line), 1)
        return self.path, line - 1, f"{self.path.name} — load"
