"""What ``/v1/match`` and ``/v1/decide`` answer, shared by their FastAPI routes and the fast lane
(:mod:`eligibility.service.fastlane`): the token check, the request's profiles and rule set, the
explained results."""

from __future__ import annotations

import hmac
from datetime import date
from typing import Any

from fastapi.security import HTTPAuthorizationCredentials

from ..engine import Engine
from ..explain import evaluation_dict
from ..facts.profile import Profile
from ..io.archive import RuleSetNotArchivedError
from ..provenance import with_determination
from .deciding import check_deadline
from .errors import ServiceError
from .models import DecisionRequest
from .rulesets import RuleSets


def authorised(given: HTTPAuthorizationCredentials | None, tokens: frozenset[str]) -> bool:
    """Constant-time comparison against every accepted token (no early exit on a match)."""
    if given is None or given.scheme.lower() != "bearer":
        return False
    offered = given.credentials.encode()
    found = False
    for token in tokens:
        found |= hmac.compare_digest(offered, token.encode())
    return found


def unauthorized() -> ServiceError:
    return ServiceError("unauthorized", "缺少或无效的访问令牌（Authorization: Bearer <令牌>）",
                        "missing or invalid bearer token (Authorization: Bearer <token>)",
                        location="Authorization", headers={"WWW-Authenticate": "Bearer"})


def requested_profiles(req: DecisionRequest, limit: int) -> list[Profile]:
    """The request's profile or profiles (exactly one of the two, at most ``limit``)."""
    if (req.profile is None) == (req.profiles is None):
        raise ServiceError("request_invalid", "请给出 profile 或 profiles 之一", "give exactly one of profile or profiles",
                           location="profile")
    profiles = [req.profile] if req.profile is not None else list(req.profiles or [])
    if len(profiles) > limit:
        raise ServiceError("too_large", f"一次最多 {limit:,} 个画像，实际 {len(profiles):,} 个",
                           f"at most {limit:,} profiles per request, got {len(profiles):,}", location="profiles")
    return profiles


def engine_for(rulesets: RuleSets, rule_set: str | None) -> Engine:
    """The current rule set's engine, or an archived one's by its hash (``404 not_found`` if none)."""
    try:
        return rulesets.get(rule_set)
    except RuleSetNotArchivedError:
        raise ServiceError("not_found", f"规则集归档中没有哈希为 {rule_set} 的规则集",
                           f"no rule set with hash {rule_set} in the rule-set archive", location="rule_set") from None


def match_results(engine: Engine, profiles: list[Profile], day: date, lang: str, explain: bool,
                  deadline: float, seconds: float) -> list[dict[str, Any]]:
    """Each firm's evaluation as ``eligibility match --format json`` gives it, with its determination id
    (without conditions and explanation text unless ``explain``)."""
    out = []
    for p in profiles:
        check_deadline(deadline, seconds)
        body = evaluation_dict(engine.evaluate(p, day), lang, explained=explain)  # no text rendered unless asked
        body["provenance"] = with_determination(body["provenance"], p)
        out.append(body)
    return out
