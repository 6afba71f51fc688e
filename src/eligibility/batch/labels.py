"""Output files for people: the scored table's column headers and coded values (status, amount kind)
in Chinese or English, and rule titles beside rule ids. The normative columns and codes stay as
they are; a :class:`Labels` only renames and relabels what a writer puts in front of a person."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

#: header of each output column: (zh, en)
HEADERS: dict[str, tuple[str, str]] = {
    "row": ("行号", "row"),
    "entity_id": ("统一社会信用代码", "USCC"),
    "name": ("企业名称", "firm name"),
    "rule_id": ("政策编号", "rule id"),
    "rule_title": ("政策名称", "measure"),
    "status": ("判定结果", "outcome"),
    "amount": ("金额（元）", "amount (yuan)"),
    "amount_kind": ("金额性质", "amount kind"),
    "superseded_by": ("被以下政策取代", "superseded by"),
    "missing": ("缺少的数据", "data missing"),
    "failed": ("未满足的条件", "condition not met"),
    "reason": ("出错原因", "error reason"),
    "duplicate_of": ("与第几行重复", "repeats row"),
    "sheet": ("工作表", "sheet"),
}

#: the outcome words of the summary and the reports (short forms of ``Status.label``): (zh, en)
STATUS: dict[str, tuple[str, str]] = {
    "eligible": ("符合", "eligible"),
    "superseded": ("被取代", "superseded"),
    "undetermined": ("待定", "undetermined"),
    "ineligible": ("不符合", "not eligible"),
    "error": ("出错", "error"),
}

#: what an amount is: (zh, en)
AMOUNT_KIND: dict[str, tuple[str, str]] = {
    "exact": ("确定金额", "exact"),
    "up_to": ("最高金额（上限）", "up to"),
    "instalment": ("分期金额", "instalment"),
}

LANGS = ("zh", "en")


@dataclass(frozen=True)
class Labels:
    """Headers and value words in ``lang`` ("zh" or "en"); ``titles`` maps rule ids to their titles
    in that language (a rule id not in it is shown as itself)."""

    lang: str
    titles: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.lang not in LANGS:
            raise ValueError(f"labels must be zh or en, got {self.lang!r}")

    def _pick(self, pair: tuple[str, str]) -> str:
        return pair[1] if self.lang == "en" else pair[0]

    def header(self, column: str) -> str:
        """The header of an output column: a known column in ``lang``; a wide table's
        ``<rule_id>.status`` / ``.amount`` under the rule's title; any other (a carried input
        column) as written."""
        if column in HEADERS:
            return self._pick(HEADERS[column])
        rule, dot, part = column.rpartition(".")
        if dot and part in ("status", "amount") and rule in self.titles:
            what = self._pick(HEADERS[part])
            return f"{self.titles[rule]}: {what}" if self.lang == "en" else f"{self.titles[rule]}：{what}"
        return column

    def headers(self, columns: Sequence[str]) -> list[str]:
        """Headers of ``columns``, made distinct (two rules with one title: the rule id added)."""
        out = [self.header(c) for c in columns]
        seen: dict[str, int] = {}
        for h in out:
            seen[h] = seen.get(h, 0) + 1
        return [h if seen[h] == 1 or h == c else f"{h} [{c}]" for h, c in zip(out, columns, strict=True)]

    def side(self, text: str) -> str:
        """One language of a bilingual reason (``"en | zh"``, as the batch writes them); other text as it is."""
        en, sep, zh = text.partition(" | ")
        return (en if self.lang == "en" else zh) if sep else text

    def values(self, column: str) -> dict[str, str] | None:
        """Code → word for a coded column (status, amount kind, a rule id column → its title, the
        facts in ``missing`` and ``failed`` → their names in the profile schema and the derived facts),
        else None."""
        if column in ("missing", "failed"):
            from ..facts.derived import DERIVED
            from ..facts.profile import registry

            words = {path: spec.label_en if self.lang == "en" else spec.label_zh for path, spec in registry().items()}
            words.update({name: fact.label(self.lang) for name, fact in DERIVED.items()})
            return {k: v for k, v in words.items() if v}
        if column == "status" or column.endswith(".status"):
            return {k: self._pick(v) for k, v in STATUS.items()}
        if column == "amount_kind":
            return {k: self._pick(v) for k, v in AMOUNT_KIND.items()}
        if column == "superseded_by":
            return dict(self.titles)
        return None
