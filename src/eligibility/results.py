"""Results of an evaluation as the public API gives them: the decided data of :mod:`eligibility.outcome`
with its rendering methods (explanations and JSON, drawn by :mod:`eligibility.explain`, imported when
first used: a batch that only decides never loads the renderer)."""

from __future__ import annotations

import json
from typing import Any

from .outcome import PAYOUT_KINDS, Decision, EvaluationRecord, Instalment, OutOfScope, RuleRecord, Status, Trace

__all__ = ["PAYOUT_KINDS", "Decision", "Evaluation", "Instalment", "OutOfScope", "RuleResult", "Status", "Trace"]


class RuleResult(RuleRecord):
    """One rule's decision for one firm, with everything needed to explain and audit it."""

    @property
    def explanation(self) -> str:
        """The explanation in Chinese (``explain("en")`` for English)."""
        return self.explain("zh")

    def explain(self, lang: str = "zh") -> str:
        from .explain import render_result

        return render_result(self, lang)

    def failed(self) -> list[Trace]:
        """The conditions (as written) that failed, in order."""
        from .explain import failed_clauses

        return failed_clauses(self)

    def to_dict(self, lang: str = "zh") -> dict[str, Any]:
        from .explain import result_dict

        return result_dict(self, lang)


class Evaluation(EvaluationRecord[RuleResult]):
    """All in-scope rule results for one firm at one date, with provenance."""

    __slots__ = ()

    def explain(self, lang: str = "zh", include_ineligible: bool = True) -> str:
        from .explain import render_evaluation

        return render_evaluation(self, lang, include_ineligible)

    def to_dict(self, lang: str = "zh") -> dict[str, Any]:
        from .explain import evaluation_dict

        return evaluation_dict(self, lang)

    def to_json(self, lang: str = "zh", indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(lang), ensure_ascii=False, indent=indent)
