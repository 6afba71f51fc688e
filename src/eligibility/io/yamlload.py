"""Safe YAML loading that remembers where every key and value stands in the file.

A ``SafeLoader`` subclass (never the global loader): no tags that construct Python objects, and
duplicate keys are errors. Mappings load as :class:`Located` dicts and sequences as
:class:`LocatedList`, each knowing the line and column of its items. Before anything is built, the
document's events are scanned for nesting beyond MAX_YAML_DEPTH, alias use beyond MAX_YAML_ALIASES and
more than MAX_YAML_NODES nodes once aliases are expanded (an "alias bomb"): each is an error at its line.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..errors import RuleDefinitionError
from ..limits import MAX_DEPTH, MAX_RULE_FILE_BYTES, MAX_YAML_ALIASES, MAX_YAML_DEPTH, MAX_YAML_NODES, ensure_stack


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
            if isinstance(key, bool) or key is None:
                key = key_node.value  # as written: `yes:` is the key 'yes', not 'True'
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


def _scan(text: str, filename: str) -> None:
    """Refuse nesting deeper than MAX_YAML_DEPTH, more than MAX_YAML_ALIASES alias uses, a recursive alias and
    more than MAX_YAML_NODES nodes once aliases are expanded, from the parser's events (no recursion,
    nothing built). A syntax error is left for the loader to report. libyaml stops at its own nesting
    limit: then the pure-Python parser scans again, so the limit here is met first."""
    if not _scan_events(_FastLineLoader, text, filename) and _FastLineLoader is not LineLoader:
        _scan_events(LineLoader, text, filename)


def _scan_events(cls: type[Any], text: str, filename: str) -> bool:
    """One scan (see :func:`_scan`); False when the parser gave up on a syntax error."""
    try:
        loader = cls(text)
    except yaml.YAMLError:
        return False
    sizes: dict[str, int] = {}  # expanded size of each anchored node
    open_: list[list[Any]] = []  # per open collection: [expanded size so far, anchor]
    expanded = aliases = 0

    def refuse(event: yaml.Event, zh: str, en: str) -> RuleDefinitionError:
        mark = event.start_mark
        lines = text.splitlines()
        return RuleDefinitionError(zh, en, file=filename, line=mark.line + 1, col=mark.column + 1,
                                   source_line=lines[mark.line] if mark.line < len(lines) else None,
                                   hint_zh="规则文件的嵌套、别名与展开后的大小均有上限（见安全说明）",
                                   hint_en="rule files have limits on nesting, aliases and expanded size (see the security notes)")

    try:
        while loader.check_event():
            event = loader.get_event()
            if isinstance(event, yaml.AliasEvent):
                aliases += 1
                if aliases > MAX_YAML_ALIASES:
                    raise refuse(event, f"别名（*）使用超过 {MAX_YAML_ALIASES} 次", f"more than {MAX_YAML_ALIASES} aliases (*)")
                if any(anchor == event.anchor for _, anchor in open_):
                    raise refuse(event, f"别名 *{event.anchor} 指向包含它自身的节点",
                                 f"alias *{event.anchor} refers to a node that contains it")
                size = sizes.get(event.anchor, 1)
            elif isinstance(event, yaml.ScalarEvent):
                size = 1
                if event.anchor:
                    sizes[event.anchor] = 1
            elif isinstance(event, yaml.CollectionStartEvent):
                expanded += 1
                open_.append([1, event.anchor])
                if len(open_) > MAX_YAML_DEPTH:
                    raise refuse(event, f"嵌套超过 {MAX_DEPTH} 层", f"nested deeper than {MAX_DEPTH} levels")  # + the file's own
                continue
            elif isinstance(event, yaml.CollectionEndEvent):
                size, anchor = open_.pop()
                if anchor:
                    sizes[anchor] = size
                if open_:
                    open_[-1][0] += size
                continue
            else:
                continue
            expanded += size
            if open_:
                open_[-1][0] += size
            if expanded > MAX_YAML_NODES:
                raise refuse(event, f"展开别名后超过 {MAX_YAML_NODES:,} 个节点", f"more than {MAX_YAML_NODES:,} nodes once aliases are expanded")
    except yaml.YAMLError:
        return False  # reported by the loader, with its message and position
    finally:
        loader.dispose()
    return True


def read_rule_text(path: Path) -> str:
    """A rule (or tests) file's text: at most MAX_RULE_FILE_BYTES, UTF-8 (a BOM is allowed); else an
    error naming the file and the encoding expected."""
    size = path.stat().st_size
    if size > MAX_RULE_FILE_BYTES:
        raise RuleDefinitionError(f"YAML 文件超过 {MAX_RULE_FILE_BYTES // 2**20} MiB（{size:,} 字节）",
                                  f"YAML file larger than {MAX_RULE_FILE_BYTES // 2**20} MiB ({size:,} bytes)", file=str(path))
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        guess = "UTF-16" if data[:2] in (b"\xff\xfe", b"\xfe\xff") else "GBK/GB18030" if _is_gb(data) else None
        found_zh = f"（看起来是 {guess}）" if guess else ""
        found_en = f" (it looks like {guess})" if guess else ""
        raise RuleDefinitionError(f"YAML 文件应为 UTF-8 编码{found_zh}", f"a YAML file must be UTF-8 text{found_en}",
                                  file=str(path), line=line, hint_zh="请用编辑器另存为 UTF-8",
                                  hint_en="save it as UTF-8 in your editor") from None


def _is_gb(data: bytes) -> bool:
    try:
        data.decode("gb18030")
    except UnicodeDecodeError:
        return False
    return True


def load_yaml(text: str, filename: str = "<string>") -> Any:
    """Parse YAML text safely with positions; a syntax error becomes a RuleDefinitionError at its line."""
    ensure_stack()
    _scan(text, filename)
    if _FastLineLoader is not LineLoader:
        try:
            fast = _FastLineLoader(text)
        except yaml.YAMLError:
            fast = None
        if fast is not None:
            fast.filename = filename
            try:
                return fast.get_single_data()
            except (yaml.YAMLError, RuleDefinitionError):
                pass  # reported below, by the pure-Python loader
            finally:
                fast.dispose()
    try:
        loader = LineLoader(text)
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow (NUL, other controls)
        line = text.count("\n", 0, exc.position) + 1
        raise RuleDefinitionError(
            f"文件含有 YAML 不允许的字符 #x{exc.character:04x}", f"the file holds a character YAML does not allow: #x{exc.character:04x}",
            file=filename, line=line, hint_zh="规则文件应为 UTF-8 文本，不含控制字符", hint_en="a rule file is UTF-8 text without control characters",
        ) from None
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
    """Read and parse a YAML file (UTF-8, within the rule-file size limit)."""
    return load_yaml(read_rule_text(path), str(path))
