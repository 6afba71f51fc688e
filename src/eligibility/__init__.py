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
    UnsupportedNodeError,
)
from .facts.frame import to_frame
from .facts.profile import Profile
from .io.rules import load_rules
from .model.rule import Rule, RuleSet
from .results import Evaluation, RuleResult, Status



def read_bundle(path: str, *, strict: bool = True):  # type: ignore[no-untyped-def]
    """Read a register bundle (a manifest ``.yaml`` or a ``.zip`` holding one) whole: ``.frame`` is the
    register with the department lists joined by USCC (what ``Engine.score`` takes), ``.report`` the join
    (per list: rows read, joined, not in the register, refused). See ``eligibility.batch.bundle``."""
    from .batch.bundle_join import read_bundle as read

    return read(path, strict=strict)


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
    "UnsupportedNodeError",
    "__version__",
    "load_rules",
    "read_bundle",
    "register_frame_scorer",
    "to_frame",
]
