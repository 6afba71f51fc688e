"""eligibility — executable enterprise-support policy (惠企政策, 免申即享).

    import eligibility as el
    engine = el.Engine(el.load_rules())          # bundled packs; or load_rules("path/to/rules")
    ev = engine.evaluate({"uscc": "...", "revenue": "2500万"}, as_of="2024-06-30")
    print(ev.explain("zh"))
"""

from ._version import __version__
from .engine import Engine, IngestedFrame, register_frame_scorer
from .errors import (
    CodeError,
    EligibilityError,
    EvaluationError,
    OverrideError,
    ProfileError,
    RuleDefinitionError,
    RuleSetError,
    UnknownFieldError,
    UnknownRuleError,
)
from .facts.frame import to_frame
from .facts.profile import Profile
from .io.rules import load_rules
from .model.rule import Rule, RuleSet
from .results import Evaluation, RuleResult, Status

ELIGIBLE = Status.ELIGIBLE
INELIGIBLE = Status.INELIGIBLE
UNDETERMINED = Status.UNDETERMINED
SUPERSEDED = Status.SUPERSEDED
ERROR = Status.ERROR

__all__ = [
    "ELIGIBLE",
    "ERROR",
    "INELIGIBLE",
    "SUPERSEDED",
    "UNDETERMINED",
    "CodeError",
    "EligibilityError",
    "Engine",
    "Evaluation",
    "EvaluationError",
    "IngestedFrame",
    "OverrideError",
    "Profile",
    "ProfileError",
    "Rule",
    "RuleDefinitionError",
    "RuleResult",
    "RuleSet",
    "RuleSetError",
    "Status",
    "UnknownFieldError",
    "UnknownRuleError",
    "__version__",
    "load_rules",
    "register_frame_scorer",
    "to_frame",
]
