"""Every example in README.md and docs/ runs, so the docs cannot drift from what the library does.

Fenced ``bash`` and ``python`` blocks run in order, one document at a time, in a scratch folder that
holds the repository's ``examples/`` and the files the examples name (``register.parquet``,
``register.csv``, ``big.csv``, ``名录.xlsx`` with ``mapping.yaml``/``columns.yaml``, ``rules/`` and ``rules-draft/``, the
change files of ``eligibility watch``). Python blocks of
one document share a namespace, as a reader would run them one after another; it starts with
``profile`` (the 普洱 manufacturer of ``examples/profiles``), ``df`` (the example register as read
from Parquet) and ``notify``/``publish`` (callbacks that collect what they are given). A ``text``
block right after a ``bash`` block is its output: each of its lines must appear in what the command
prints. A block is skipped only when the line before it says why, as
``<!-- docs-test: skip: REASON -->``; the skipped blocks are listed in ``SKIPPED`` below.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
DOCS = sorted([ROOT / "README.md", *(ROOT / "docs").rglob("*.md")])
RUNNABLE = ("bash", "python")
SKIP = re.compile(r"<!-- docs-test: skip: (?P<reason>\S.*?) -->")
FENCE = re.compile(r"^(?P<indent>\s*)```(?P<lang>[\w-]*)\s*$")
# every skipped block, by document: (its first line, the reason) — a server, a cluster or an install
SKIPPED = {
    "README.md": 2,
    "docs/reactive.md": 1,
    "docs/scaling.md": 4,
    "docs/service.md": 5,
}


@dataclass
class Block:
    doc: str
    line: int
    lang: str
    code: str
    skip: str | None
    output: str | None = None  # the text block that follows it, if any


def blocks(path: Path, root: Path = ROOT) -> list[Block]:
    """The fenced blocks of a Markdown file, each with the skip reason of the line before it."""
    lines = path.read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    i, previous, after_block = 0, "", False
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m or not m["lang"]:
            if lines[i].strip():
                previous, after_block = lines[i], False
            i += 1
            continue
        indent, start = len(m["indent"]), i + 1
        i += 1
        while not re.match(r"^\s*```\s*$", lines[i]):
            i += 1
        code = "\n".join(line[indent:] for line in lines[start:i]) + "\n"
        skip = SKIP.search(previous)
        if m["lang"] == "text" and after_block and found and found[-1].lang == "bash":
            found[-1].output = code
        else:
            found.append(Block(str(path.relative_to(root)), start, m["lang"], code, skip["reason"] if skip else None))
        previous, after_block = "", True
        i += 1
    return found


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with the repository's examples and the input files the docs' examples name."""
    import pandas as pd

    folder = tmp_path_factory.mktemp("docs")
    (folder / "examples").symlink_to(ROOT / "examples", target_is_directory=True)
    register = pd.read_csv(ROOT / "examples" / "register.csv", dtype=str, keep_default_na=False)
    register.to_parquet(folder / "register.parquet", index=False)
    for name in ("big.csv", "register.csv"):
        shutil.copy(ROOT / "examples" / "register.csv", folder / name)
    register.head(200).rename(columns={"uscc": "统一社会信用代码"}).to_excel(folder / "名录.xlsx", index=False)
    (folder / "mapping.yaml").write_text("columns:\n  统一社会信用代码: uscc\n", encoding="utf-8")  # for 名录.xlsx
    (folder / "columns.yaml").write_text("columns: {}\nignore: [name]\n", encoding="utf-8")  # for register.csv
    # the daily change files of `eligibility watch` (docs/reactive.md): registration, statistics, removals
    firms = register.head(50)
    firms[["uscc", "name", "region_code", "industry_code", "registered_on"]].to_excel(folder / "市场监管-0630.xlsx",
                                                                                     index=False)
    firms[["uscc", "employees", "revenue"]].to_csv(folder / "统计-0630.csv", index=False)
    firms[["uscc"]].head(2).to_csv(folder / "注销-0630.csv", index=False)
    from eligibility.io.rules import bundled_rules_dir

    for name in ("rules", "rules-draft"):
        shutil.copytree(bundled_rules_dir() / "puer", folder / name)
    return folder


def _namespace(scratch: Path) -> dict[str, Any]:
    import pandas as pd

    collected: list[Any] = []
    profile = yaml.safe_load((ROOT / "examples" / "profiles" / "puer-manufacturer.yaml").read_text(encoding="utf-8"))
    return {"__name__": "__docs__", "profile": profile, "collected": collected,
            "df": pd.read_parquet(scratch / "register.parquet", dtype_backend="pyarrow"),
            "notify": collected.append, "publish": collected.append}


def _run_bash(block: Block, cwd: Path) -> str:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
           "COLUMNS": "200"}
    done = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", block.code], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=900)
    assert done.returncode == 0, f"{block.doc}:{block.line}\n{block.code}\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    return done.stdout


@pytest.mark.parametrize("doc", [d for d in DOCS if any(b.lang in RUNNABLE and not b.skip for b in blocks(d))],
                         ids=lambda d: str(d.relative_to(ROOT)))
def test_doc_examples_run(doc: Path, scratch: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(scratch)
    namespace = _namespace(scratch)
    ran = 0
    for block in blocks(doc):
        if block.lang not in RUNNABLE or block.skip:
            continue
        if block.lang == "bash":
            printed = _run_bash(block, scratch)
            for line in (block.output or "").splitlines():
                assert line.rstrip() in printed, f"{block.doc}:{block.line}: {line!r} not in the output:\n{printed}"
        else:
            exec(compile(block.code, f"{block.doc}:{block.line}", "exec"), namespace)  # noqa: S102 - our own docs
        ran += 1
    assert ran > 0


def test_only_listed_blocks_are_skipped_and_each_says_why() -> None:
    skipped: dict[str, int] = {}
    for doc in DOCS:
        for block in blocks(doc):
            if block.skip:
                assert block.lang in RUNNABLE, f"{block.doc}:{block.line}: a skip marker on a {block.lang} block"
                assert re.search(r"server|cluster|Dask|Spark|queue|install|virtualenv|suite", block.skip), block.skip
                skipped[block.doc] = skipped.get(block.doc, 0) + 1
    assert skipped == SKIPPED


def test_block_reader_finds_code_output_and_markers(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("intro\n\n```bash\necho hi\n```\n\n```text\nhi\n```\n\n<!-- docs-test: skip: needs a server -->\n"
                    "```python\nimport os\n```\n\n<!-- docs-test: skip: needs a server -->\n- item\n\n  ```python\n"
                    "  x = 1\n  ```\n", encoding="utf-8")
    found = blocks(page, tmp_path)
    assert [(b.lang, b.code, b.output) for b in found] == [("bash", "echo hi\n", "hi\n"), ("python", "import os\n", None),
                                                           ("python", "x = 1\n", None)]
    assert [b.skip for b in found] == [None, "needs a server", None]  # the marker is the line right before


def test_the_profile_tables_name_every_profile_field() -> None:
    """docs/semantics.md and its Chinese twin list the profile's top-level fields: exactly the model's."""
    from eligibility.facts.profile import Profile

    for doc in ("docs/semantics.md", "docs/zh/semantics.md"):
        text = (ROOT / doc).read_text(encoding="utf-8")
        table = text.split("\n## Profile schema" if doc == "docs/semantics.md" else "\n## 企业画像", 1)[1]
        fields = re.findall(r"^\| `(\w+)` \|", table, flags=re.MULTILINE)
        assert fields == list(Profile.model_fields), doc
