"""The core install works without the extras: hypothesis and durable-rules are imported only where needed.

Each check runs in a fresh interpreter in which ``hypothesis`` and ``durable`` cannot be imported
(``sys.modules[name] = None`` makes ``import name`` raise ImportError), as in a core-only install.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BLOCK = "import sys\nfor _m in ('hypothesis', 'durable', 'durable_rules_engine'):\n    sys.modules[_m] = None\n"


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", BLOCK + textwrap.dedent(code)], capture_output=True, text=True,
                          cwd=ROOT, timeout=300)


def test_core_import_path_needs_no_extra() -> None:
    done = _run("""
        import eligibility, eligibility.cli, eligibility.testing, eligibility.reactive
        import eligibility.testing.runner, eligibility.testing.coverage, eligibility.testing.mutation
        import eligibility.testing.boundaries, eligibility.testing.seeds, eligibility.testing.pytest_plugin
        loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('hypothesis', 'durable', 'dask', 'fastapi')
                        and sys.modules[m] is not None)
        print('loaded:', loaded)
    """)
    assert done.returncode == 0, done.stderr
    assert "loaded: []" in done.stdout


def test_strategies_without_hypothesis_say_what_to_install() -> None:
    done = _run("""
        import eligibility.testing as t
        for name in ('profiles', 'profiles_for'):
            try:
                getattr(t, name)
            except ImportError as exc:
                print('ImportError:', exc)
        try:
            import eligibility.testing.strategies
        except ImportError as exc:
            print('ImportError:', exc)
    """)
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stdout.splitlines() if line.startswith("ImportError:")]
    assert len(lines) == 3
    for line in lines:
        assert "pip install 'eligibility[testing]'" in line
        assert "需要 hypothesis" in line and "need hypothesis" in line


def test_rule_tests_and_boundaries_run_without_hypothesis() -> None:
    done = _run("""
        from typer.testing import CliRunner
        from eligibility.cli import app
        for args in (['test', 'examples', '--boundaries', '--coverage'], ['test', 'examples', '--mutate']):
            result = CliRunner().invoke(app, args)
            print(args[-1], result.exit_code, result.stdout.splitlines()[-1])
    """)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 2 and all(" 0 " in line and "0 failed" in line for line in lines), done.stdout


def test_durable_backend_without_durable_rules_says_what_to_install() -> None:
    done = _run("""
        import eligibility as el
        from eligibility.reactive import Watcher
        try:
            Watcher(el.load_rules('examples'), as_of='2024-06-30', backend='durable')
        except el.EligibilityError as exc:
            print('zh:', exc.message('zh'))
            print('en:', exc.message('en'))
    """)
    assert done.returncode == 0, done.stderr
    zh, en = done.stdout.splitlines()
    assert zh.startswith("zh:") and "durable 后端需要 durable-rules" in zh and "eligibility[durable]" in zh
    assert en.startswith("en:") and "needs the durable-rules package" in en and "eligibility[durable]" in en
