"""One JSON error body for every machine reader — ``{"error": {"code", "message_zh", "message_en",
"location"}}`` — with one documented list of codes mapped from the library's error classes. The CLI's
``--format json`` errors and the HTTP service's error responses are both made here."""

from __future__ import annotations

from typing import Any

from .errors import EligibilityError, RuleSetError

ERROR_CODES: dict[str, tuple[str, str]] = {
    "profile_invalid": ("企业画像无效（字段见 location）", "the profile is invalid (the field is in location)"),
    "rules_invalid": ("规则文件有误（文件:行 见 location）", "a rule file is wrong (file:line in location)"),
    "register_invalid": ("企业名录无法读取", "the register cannot be read"),
    "override_invalid": ("设置覆盖有误", "an override is wrong"),
    "evaluation_failed": ("某条规则无法在此画像上求值", "a rule could not be evaluated on this profile"),
    "request_invalid": ("请求格式有误", "the request is malformed"),
    "too_large": ("请求体或上传文件超过上限", "the request body or upload exceeds the limit"),
    "timeout": ("请求处理超时", "the request took longer than the time limit"),
    "unauthorized": ("缺少或无效的访问令牌", "missing or invalid bearer token"),
    "not_found": ("没有这个资源（路径、规则、规则集或任务）", "no such resource (route, rule, rule set or job)"),
    "method_not_allowed": ("该路径不支持此请求方法", "this method is not allowed on this route"),
    "conflict": ("资源当前状态不允许此操作", "the resource is not in a state that allows this"),
    "too_many_jobs": ("任务数已达上限", "the number of jobs is at its limit"),
    "internal": ("服务内部错误", "internal error"),
}
"""Every error code, with what it means (zh, en): the documented list."""

# library error classes (by class name, nearest first along the class's MRO) → code; by name so that
# this bottom layer needs no import of the layers that define them (registers, parser)
_BY_CLASS = {
    "ProfileError": "profile_invalid",
    "RuleDefinitionError": "rules_invalid",
    "RuleSetError": "rules_invalid",
    "ExpressionError": "rules_invalid",
    "RegisterError": "register_invalid",
    "OutputTooLargeError": "register_invalid",
    "OverrideError": "override_invalid",
    "EvaluationError": "evaluation_failed",
    "UnknownRuleError": "not_found",
    "EligibilityError": "request_invalid",
}


def error_code(exc: BaseException) -> str:
    """The documented code of an exception: its library error class's, ``internal`` for anything else."""
    for cls in type(exc).__mro__:
        code = _BY_CLASS.get(cls.__name__)
        if code is not None:
            return code
    return "internal"


def error_location(exc: BaseException) -> str | None:
    """Where the error is: the profile field(s), ``file:line:col`` of a rule, or None."""
    if isinstance(exc, RuleSetError) and exc.errors:
        return error_location(exc.errors[0])
    if not isinstance(exc, EligibilityError):
        return None
    fields = exc.details.get("fields")
    if fields:
        return ", ".join(fields)
    loc = exc.location().rstrip(": ").strip()
    return loc or exc.details.get("field") or None


def error_body(exc: BaseException | None = None, *, code: str | None = None, zh: str | None = None,
               en: str | None = None, location: str | None = None) -> dict[str, Any]:
    """The error body for an exception (its code, bilingual message and location), or for a code with
    an optional message; a message or location given overrides the exception's."""
    if code is None:
        code = error_code(exc) if exc is not None else "internal"
    if code not in ERROR_CODES:
        raise ValueError(f"undocumented error code {code!r}")
    if isinstance(exc, EligibilityError):
        zh = zh if zh is not None else exc.message("zh")
        en = en if en is not None else exc.message("en")
        location = location if location is not None else error_location(exc)
    default_zh, default_en = ERROR_CODES[code]
    return {"error": {"code": code, "message_zh": zh or default_zh, "message_en": en or default_en,
                      "location": location}}
