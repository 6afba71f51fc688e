"""Errors raised by eligibility.

Every error derives from :class:`EligibilityError`, carries its message in Chinese and English
and keeps every detail as an attribute (file, line, field, suggestion, ...), so callers can
act on them without parsing text. Errors pickle (they cross process boundaries in batch and
Dask runs).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any


def suggest(word: str, options: Iterable[str]) -> str | None:
    """Return the option closest to ``word`` (did-you-mean), or None when nothing is close.

    >>> suggest("revenu", ["revenue", "employees"])
    'revenue'
    """
    options = list(options)
    lowered = {o.lower(): o for o in options}
    if word.lower() in lowered:
        return lowered[word.lower()]
    matches = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    if not matches:
        # a field path: suggest on its last segment too ("registers.above_scale" → "...industrial")
        tail = word.rsplit(".", 1)[-1]
        by_tail = {o.rsplit(".", 1)[-1]: o for o in options}
        close = difflib.get_close_matches(tail, list(by_tail), n=1, cutoff=0.75)
        return by_tail[close[0]] if close else None
    return matches[0]


class EligibilityError(Exception):
    """Root of every error this library raises; message in Chinese (``zh``) and English (``en``)."""

    def __init__(self, zh: str, en: str | None = None, **details: Any) -> None:
        self.zh = zh
        self.en = en if en is not None else zh
        self.details = details
        for key, value in details.items():
            setattr(self, key, value)
        super().__init__(zh, self.en)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.zh, self.en, self.details))

    def message(self, lang: str = "zh") -> str:
        """The message in one language ("zh" or "en"), with its location when it has one."""
        text = self.en if lang == "en" else self.zh
        return f"{self.location()}{text}"

    def location(self) -> str:
        return ""

    def __str__(self) -> str:
        loc = self.location()
        if self.zh == self.en:
            return f"{loc}{self.zh}"
        return f"{loc}{self.zh}\n{' ' * len(loc)}{self.en}" if loc else f"{self.zh}\n{self.en}"


def _rebuild(cls: type[EligibilityError], zh: str, en: str, details: dict[str, Any]) -> EligibilityError:
    err = cls.__new__(cls)
    EligibilityError.__init__(err, zh, en, **details)
    return err


class RuleDefinitionError(EligibilityError):
    """A rule file is wrong: YAML, structure, expression or types. Names file:line:col and the text.

    Attributes: ``file``, ``line``, ``col`` (1-based; None when unknown), ``source_line`` (the
    offending line of the file), ``hint`` (what to do), ``rule_id`` when known.
    """

    def __init__(
        self,
        zh: str,
        en: str | None = None,
        *,
        file: str | None = None,
        line: int | None = None,
        col: int | None = None,
        source_line: str | None = None,
        hint_zh: str | None = None,
        hint_en: str | None = None,
        rule_id: str | None = None,
        **details: Any,
    ) -> None:
        super().__init__(
            zh,
            en,
            file=file,
            line=line,
            col=col,
            source_line=source_line,
            hint_zh=hint_zh,
            hint_en=hint_en,
            rule_id=rule_id,
            **details,
        )

    def location(self) -> str:
        parts = [str(p) for p in (self.file, self.line, self.col) if p is not None]
        return (":".join(parts) + ": ") if parts else ""

    def message(self, lang: str = "zh") -> str:
        text = super().message(lang)
        if self.rule_id:
            text += f" [{self.rule_id}]"
        if self.source_line is not None:
            shown, col = _window(self.source_line.rstrip("\n"), self.col)
            text += "\n    " + shown
            if col is not None:
                # caret under the column; CJK characters are double width in a terminal
                width = sum(2 if ord(ch) > 0x2E7F else 1 for ch in shown[: col - 1])
                text += "\n    " + " " * width + "^"
        hint = self.hint_en if lang == "en" else self.hint_zh
        if hint:
            text += ("\n    hint: " if lang == "en" else "\n    提示：") + hint
        return text

    def __str__(self) -> str:
        return self.message("zh") + "\n" + self.message("en")


_WINDOW = 120


def _window(line: str, col: int | None) -> tuple[str, int | None]:
    """A long source line cut to about _WINDOW characters around ``col`` (1-based), and the column in the cut."""
    if len(line) <= _WINDOW:
        return line, col
    at = (col or 1) - 1
    start = max(0, min(at - _WINDOW // 2, len(line) - _WINDOW))
    cut = ("…" if start else "") + line[start:start + _WINDOW] + ("…" if start + _WINDOW < len(line) else "")
    return cut, None if col is None else at - start + 1 + (1 if start else 0)


class UnknownFieldError(RuleDefinitionError):
    """A rule names a field the profile schema does not have; ``suggestion`` is the closest one."""

    def __init__(self, name: str, suggestion: str | None = None, **kw: Any) -> None:
        said = name if len(name) <= 60 else name[:57] + "..."  # a hostile name is not echoed whole
        zh = f"未知字段 '{said}'"
        en = f"unknown field '{said}'"
        if suggestion:
            zh += f"，是否想写 '{suggestion}'？"
            en += f"; did you mean '{suggestion}'?"
        kw.setdefault("hint_zh", "字段名见 `eligibility profile schema`")
        kw.setdefault("hint_en", "field names are listed by `eligibility profile schema`")
        super().__init__(zh, en, name=name, suggestion=suggestion, **kw)


class RuleSetError(EligibilityError):
    """Several rule files failed to load; ``errors`` holds every one (reported all at once)."""

    def __init__(self, errors: list[RuleDefinitionError]) -> None:
        self.errors = errors
        n = len(errors)
        super().__init__(
            f"{n} 处规则定义错误：\n" + "\n".join(e.message("zh") for e in errors),
            f"{n} rule definition error(s):\n" + "\n".join(e.message("en") for e in errors),
            errors=errors,
        )

    def __str__(self) -> str:
        return "\n".join(str(e) for e in self.errors)


class UnsupportedNodeError(EligibilityError):
    """A backend cannot translate an expression node a rule uses; raised when the backend is built.

    Attributes: ``backend`` (its name), ``node`` (the node class name), ``rule_id`` (None when the
    node is met outside a rule).
    """

    def __init__(self, backend: str, node: str, rule_id: str | None = None) -> None:
        where_zh = f"规则 {rule_id} 使用的" if rule_id else ""
        where_en = f" used by rule {rule_id}" if rule_id else ""
        super().__init__(f"{backend} 后端不支持{where_zh}表达式节点 {node}",
                         f"the {backend} backend does not support the expression node {node}{where_en}",
                         backend=backend, node=node, rule_id=rule_id)


class ProfileError(EligibilityError):
    """An enterprise profile is invalid; ``field`` is the dotted path of the bad value."""

    def __init__(self, zh: str, en: str | None = None, *, field: str | None = None, **details: Any) -> None:
        super().__init__(zh, en, field=field, **details)

    def location(self) -> str:
        # a combined report already names each field on its own line
        return f"{self.field}: " if self.field and "fields" not in self.details else ""


class CodeError(ProfileError, ValueError):
    """A code (USCC, region, industry) is malformed or fails its check (a ValueError, so pydantic
    validators report it against the field)."""


class EvaluationError(EligibilityError):
    """A rule could not be evaluated on a profile (for example a division by zero in an amount)."""


class UnknownRuleError(EligibilityError, KeyError):
    """No rule with that id; ``suggestion`` is the closest id."""

    def __init__(self, rule_id: str, suggestion: str | None = None) -> None:
        zh = f"没有 id 为 '{rule_id}' 的规则" + (f"，是否想找 '{suggestion}'？" if suggestion else "")
        en = f"no rule with id '{rule_id}'" + (f"; did you mean '{suggestion}'?" if suggestion else "")
        super().__init__(zh, en, rule_id=rule_id, suggestion=suggestion)

    def __str__(self) -> str:
        return EligibilityError.__str__(self)


class OverrideError(EligibilityError):
    """A ``--set`` override names an unknown rule, setting or parameter, or gives a value of the wrong
    type; ``setting`` is the override as written, ``suggestion`` the closest valid name."""

    def __init__(self, zh: str, en: str, *, setting: str, suggestion: str | None = None) -> None:
        super().__init__(zh, en, setting=setting, suggestion=suggestion)

    def location(self) -> str:
        return f"--set {self.setting}: "
