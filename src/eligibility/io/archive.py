"""The rule-set archive: every rule set a service has answered with, kept on disk by its hash, so a
decision can be re-run later on exactly the rules it was made with (the audit answer after a rule
correction). A rule set is stored under ``<root>/<hash>/``: copies of its rule files and cited source texts, and the
load order."""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from pathlib import Path

from ..errors import EligibilityError
from ..model.rule import RuleSet
from .rules import discover, load_rules
from .yamlload import load_yaml_file

_HASH = re.compile(r"^[0-9a-f]{64}$")
_MANIFEST = "manifest.json"


class RuleSetNotArchivedError(EligibilityError):
    """No rule set with that hash in the archive; ``ruleset_hash`` is the hash asked for."""

    def __init__(self, ruleset_hash: str, root: Path) -> None:
        super().__init__(f"规则集归档 {root} 中没有哈希为 {ruleset_hash!r} 的规则集",
                         f"no rule set with hash {ruleset_hash!r} in the rule-set archive {root}",
                         ruleset_hash=ruleset_hash)


def _source_files(path: Path) -> list[Path]:
    """The document source text a rule file points to (``document.source``), when it names one."""
    data = load_yaml_file(path)
    doc = data.get("document") if isinstance(data, dict) else None
    source = doc.get("source") if isinstance(doc, dict) else None
    return [(path.parent / source).resolve()] if isinstance(source, str) and (path.parent / source).is_file() else []


def default_archive_dir() -> Path:
    """The archive of ``eligibility serve`` and ``eligibility match --rule-set`` unless told otherwise:
    ``rulesets`` in ``$ELIGIBILITY_DATA_DIR`` (default ``eligibility-data``)."""
    return Path(os.environ.get("ELIGIBILITY_DATA_DIR") or "eligibility-data") / "rulesets"


def archive_rules(paths: list[str], ruleset: RuleSet, root: str | Path) -> Path:
    """Copy the rule files of ``paths`` (as loaded into ``ruleset``) and the source texts they cite into
    the archive, unless that hash is already there. The files keep their places relative to each other
    (a rule file cites its source by a relative path) and ``manifest.json`` keeps the load order. Written
    to a temporary folder and renamed, so a reader never sees half a rule set."""
    root = Path(root)
    target = root / ruleset.hash
    if target.is_dir():
        return target
    root.mkdir(parents=True, exist_ok=True)
    files = [f.resolve() for f in discover(paths)]
    sources = sorted({s for f in files for s in _source_files(f)})
    base = Path(os.path.commonpath([f.parent for f in files + sources])) if files else root
    staging = Path(tempfile.mkdtemp(prefix=".incoming-", dir=root))
    try:
        for path in files + sources:
            copy = staging / "files" / path.relative_to(base)
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, copy)
        order = [str(f.relative_to(base)) for f in files]
        (staging / _MANIFEST).write_text(json.dumps(order, ensure_ascii=False, indent=1), encoding="utf-8")
        if _load(staging).hash != ruleset.hash:  # the files changed since they were loaded
            raise EligibilityError("规则文件在加载后被改动，未归档", "the rule files changed after loading; not archived")
        os.replace(staging, target)
    except OSError:
        if target.is_dir():  # another process archived the same set first
            return target
        raise
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return target


def _load(folder: Path) -> RuleSet:
    order = json.loads((folder / _MANIFEST).read_text(encoding="utf-8"))
    return load_rules(*(str(folder / "files" / rel) for rel in order), tests=False)


def archived_hashes(root: str | Path) -> list[str]:
    """The hashes of every archived rule set."""
    root = Path(root)
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_dir() and _HASH.match(p.name))


def load_archived(ruleset_hash: str, root: str | Path) -> RuleSet:
    """The archived rule set with this hash (its hash checked again on load)."""
    root = Path(root)
    folder = root / ruleset_hash
    if not _HASH.match(ruleset_hash) or not folder.is_dir():
        raise RuleSetNotArchivedError(ruleset_hash, root)
    ruleset = _load(folder)
    if ruleset.hash != ruleset_hash:
        raise EligibilityError(f"归档的规则集 {ruleset_hash} 已被改动", f"the archived rule set {ruleset_hash} was altered",
                               ruleset_hash=ruleset_hash)
    return ruleset
