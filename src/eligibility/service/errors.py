"""Every error response of the service in the one documented body (``eligibility.error_body``):
library errors, request validation, unknown routes, limits, auth and anything unexpected."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from ..error_body import error_body, error_code
from ..errors import EligibilityError
from ..validation_words import message_zh

STATUS = {
    "profile_invalid": 422, "rules_invalid": 422, "register_invalid": 422, "override_invalid": 422,
    "evaluation_failed": 422, "request_invalid": 422, "too_large": 413, "timeout": 408, "unauthorized": 401,
    "not_found": 404, "method_not_allowed": 405, "conflict": 409, "too_many_jobs": 429,
    "internal": 500,
}
"""The HTTP status of each error code."""

_BY_STATUS = {404: "not_found", 405: "method_not_allowed", 401: "unauthorized", 413: "too_large", 408: "timeout"}

log = logging.getLogger("eligibility.service")


class ServiceError(HTTPException):
    """An error the service itself raises (a limit, auth, a missing job), with its documented code
    (an HTTPException, so FastAPI passes it through body parsing untouched)."""

    def __init__(self, code: str, zh: str | None = None, en: str | None = None, location: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(STATUS[code], detail=en, headers=headers)
        self.body = error_body(code=code, zh=zh, en=en, location=location)


def error_response(body: dict[str, Any], headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(body, status_code=STATUS[body["error"]["code"]], headers=headers)


def library_error_response(exc: EligibilityError) -> JSONResponse:
    return error_response(error_body(exc))


def _validation_body(exc: RequestValidationError) -> dict[str, Any]:
    """A request that does not fit its model: ``profile_invalid`` when the fault is inside a profile,
    else ``request_invalid``; every fault listed, the first one's path as the location."""
    lines_zh, lines_en, paths = [], [], []
    in_profile = False
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p != "body"]
        path = ".".join(loc) or "body"
        in_profile = in_profile or (bool(loc) and loc[0] in ("profile", "profiles"))
        paths.append(path)
        ctx_err = (err.get("ctx") or {}).get("error")
        zh = getattr(ctx_err, "zh", None)
        en = getattr(ctx_err, "en", None)
        if zh is None:
            msg = str(ctx_err) if ctx_err is not None else str(err.get("msg", ""))
            zh, en = msg.split(" / ", 1) if " / " in msg else (message_zh(err, loc[-1] if loc else "请求"), msg)
        lines_zh.append(f"{path}: {zh}")
        lines_en.append(f"{path}: {en}")
    code = "profile_invalid" if in_profile else "request_invalid"
    return error_body(code=code, zh="请求有误：\n  " + "\n  ".join(lines_zh),
                      en="invalid request:\n  " + "\n  ".join(lines_en), location=paths[0] if paths else None)


def install_error_handlers(app: FastAPI) -> None:
    """Route every exception to the one error body."""

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(_validation_body(exc))

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> JSONResponse:
        if isinstance(exc, ServiceError):
            return error_response(exc.body, exc.headers)
        code = _BY_STATUS.get(exc.status_code, "request_invalid" if exc.status_code < 500 else "internal")
        return error_response(error_body(code=code), exc.headers)

    @app.exception_handler(EligibilityError)
    async def _library(request: Request, exc: EligibilityError) -> JSONResponse:
        return library_error_response(exc)

    @app.exception_handler(Exception)
    async def _internal(request: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled error", extra={"error_class": type(exc).__name__, "code": error_code(exc)})
        return error_response(error_body(code="internal"))
