"""Safe YAML loading that remembers where every key and value stands in the file.

A ``SafeLoader`` subclass (never the global loader): no tags that construct Python objects, and
duplicate keys are errors. Mappings load as :class:`Located` dicts and sequences as
:class:`LocatedList`, each knowing the line and column of its items.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..errors import RuleDefinitionError


@dataclass(frozen=True, slots=True)
class Mark:
    """Where a YAML node starts: 1-based line and column, and its scalar style (None, '"', "'", '|', '>')."""

    line: int
    col: int
    style: str | None = None


class Located(dict[str, Any]):
    """A mapping that knows the position of itself, its keys and its values."""

    mark: Mark
    key_marks: dict[str, Mark]
    value_marks: dict[str, Mark]


class LocatedList(list[Any]):
    """A sequence that knows the position of itself and of each item."""

    mark: Mark
    item_marks: list[Mark]


def _mark(node: yaml.Node) -> Mark:
    style = getattr(node, "style", None) if isinstance(node, yaml.ScalarNode) else None
    return Mark(node.start_mark.line + 1, node.start_mark.column + 1, style or None)  # libyaml: "" for plain


class _Positions:
    """Constructors that record positions and refuse duplicate keys (mixed into a safe loader)."""

    filename: str = "<string>"

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> Located:  # type: ignore[override]
        if not isinstance(node, yaml.MappingNode):  # pragma: no cover - yaml guarantees this
            raise yaml.constructor.ConstructorError(None, None, "expected a mapping", node.start_mark)
        explicit = sum(1 for key, _ in node.value if key.tag != "tag:yaml.org,2002:merge")
        self.flatten_mapping(node)
        merged = len(node.value) - explicit  # pairs brought in by `<<:` come first and may be overridden
        from_merge: set[str] = set()
        result = Located()
        result.mark = _mark(node)
        result.key_marks, result.value_marks = {}, {}
        for index, (key_node, value_node) in enumerate(node.value):
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, (str, int, bool)) and key is not None:
                raise _error(self.filename, key_node, "映射的键必须是简单值", "a mapping key must be a plain value")
            key = str(key) if not isinstance(key, str) else key
            if key in result and key not in from_merge:
                first = result.key_marks[key]
                raise _error(
                    self.filename, key_node,
                    f"重复的键 '{key}'（第一次出现在第 {first.line} 行）",
                    f"duplicate key '{key}' (first at line {first.line})",
                )
            if index < merged:
                from_merge.add(key)
            else:
                from_merge.discard(key)
            result[key] = self.construct_object(value_node, deep=True)
            result.key_marks[key] = _mark(key_node)
            result.value_marks[key] = _mark(value_node)
        return result

    def construct_sequence(self, node: yaml.SequenceNode, deep: bool = False) -> LocatedList:  # type: ignore[override]
        result = LocatedList(self.construct_object(child, deep=True) for child in node.value)
        result.mark = _mark(node)
        result.item_marks = [_mark(child) for child in node.value]
        return result


class LineLoader(_Positions, yaml.SafeLoader):  # type: ignore[misc]
    """SafeLoader that records positions and refuses duplicate keys. Use via :func:`load_yaml`."""


class _FastLineLoader(_Positions, getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """The same on libyaml's parser (about 10× faster) where PyYAML has it. Only a file that loads
    cleanly is taken from it: any problem is reported by :class:`LineLoader`, so messages and
    positions are the same on every machine."""


for _loader in (LineLoader, _FastLineLoader):
    _loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _Positions.construct_mapping)
    _loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _Positions.construct_sequence)


def _error(filename: str, node: yaml.Node, zh: str, en: str) -> RuleDefinitionError:
    mark = _mark(node)
    return RuleDefinitionError(zh, en, file=filename, line=mark.line, col=mark.col)


def load_yaml(text: str, filename: str = "<string>") -> Any:
    """Parse YAML text safely with positions; a syntax error becomes a RuleDefinitionError at its line."""
    if _FastLineLoader is not LineLoader:
        fast = _FastLineLoader(text)
        fast.filename = filename
        try:
            return fast.get_single_data()
        except (yaml.YAMLError, RuleDefinitionError):
            pass  # reported below, by the pure-Python loader
        finally:
            fast.dispose()
    loader = LineLoader(text)
    loader.filename = filename
    try:
        return loader.get_single_data()
    except RuleDefinitionError:
        raise
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        tag = (exc.problem or "").replace("could not determine a constructor for the tag ", "")
        raise RuleDefinitionError(
            f"规则文件中不允许使用 YAML 标签 {tag}：规则文件只是数据，不能执行代码",
            f"YAML tag {tag} is not allowed: rule files are data and never run code",
            file=filename, line=mark.line + 1 if mark else None, col=mark.column + 1 if mark else None,
            source_line=text.splitlines()[mark.line] if mark and mark.line < len(text.splitlines()) else None,
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        col = mark.column + 1 if mark else None
        lines = text.splitlines()
        source = lines[line - 1] if line and line <= len(lines) else None
        problem = exc.problem or "syntax error"
        raise RuleDefinitionError(
            f"YAML 语法错误：{problem}", f"YAML syntax error: {problem}",
            file=filename, line=line, col=col, source_line=source,
            hint_zh="检查缩进与冒号；含冒号或 # 的文字请加引号",
            hint_en="check indentation and colons; quote text containing ':' or '#'",
        ) from None
    except yaml.YAMLError as exc:
        raise RuleDefinitionError(f"YAML 错误：{exc}", f"YAML error: {exc}", file=filename) from None
    finally:
        loader.dispose()


def load_yaml_file(path: Path) -> Any:
    """Read and parse a YAML file (UTF-8)."""
    return load_yaml(path.read_text(encoding="utf-8"), str(path))
