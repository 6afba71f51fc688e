"""The decision service: a FastAPI application over one Engine (swapped on reload), with the
rule-set archive, scoring jobs, bearer-token auth, limits and the one error body (no ``from __future__
import annotations`` here: FastAPI reads the route annotations at run time)."""


import asyncio
import gc
import logging
import os
import shutil
import signal
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

import anyio
import anyio.to_thread
from fastapi import APIRouter, Depends, FastAPI, File, Form, Query, Request, Response, UploadFile
from fastapi.responses import FileResponse, JSONResponse, StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi_offline import FastAPIOffline

from .._version import __version__
from ..error_body import error_body
from ..errors import EligibilityError
from ..facts.profile import Profile
from .answering import authorised, engine_for, match_results, requested_profiles, unauthorized
from .deciding import decide_chunks, ndjson
from .errors import ServiceError, install_error_handlers
from .fastlane import FAST_PATHS, FastLane
from .jobs import public, read_state
from .middleware import BodyLimit, RequestLog, configure_logging
from .models import (
    HASH_PATTERN,
    DecideResponse,
    DecisionRequest,
    ErrorBody,
    FactsResponse,
    Health,
    JobOut,
    MatchResponse,
    Ready,
    ReloadResponse,
    RuleDetail,
    RulesResponse,
)
from .scoring import check_register_name
from .settings import ServiceSettings, settings_from_env
from .state import Service

log = logging.getLogger("eligibility.service")
NDJSON = "application/x-ndjson"

_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody, "description": text} for code, text in (
        (401, "unauthorized"), (404, "not_found"), (408, "timeout"), (413, "too_large"),
        (422, "profile_invalid, rules_invalid, request_invalid, ..."), (500, "internal"))
}
bearer = HTTPBearer(auto_error=False, description="令牌 / bearer token (when auth is on)")


async def service(request: Request) -> Service:
    """The request's Service (``async``, as every dependency here: FastAPI runs a plain ``def``
    dependency on a worker thread, a thread hop per dependency per request)."""
    return request.app.state.service  # type: ignore[no-any-return]


async def require_token(svc: Annotated[Service, Depends(service)],
                        given: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> None:
    if svc.settings.auth_required and not authorised(given, svc.tokens):
        raise unauthorized()


async def require_admin(svc: Annotated[Service, Depends(service)],
                        given: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> None:
    if not authorised(given, svc.admin_tokens):
        raise unauthorized()


def _rule_summary(rule: Any, lang: str) -> dict[str, Any]:
    return {"id": rule.id, "title": rule.title.get(lang), "kind": rule.kind, "mode": rule.mode, "basis": rule.basis,
            "group": rule.group, "effective": rule.effective.describe(lang), "jurisdiction": rule.jurisdiction.code}


def build_router() -> APIRouter:
    """The versioned API (``/v1``), every route behind the token check."""
    v1 = APIRouter(prefix="/v1", dependencies=[Depends(require_token)], responses=_ERRORS)
    Svc = Annotated[Service, Depends(service)]
    Lang = Annotated[Literal["zh", "en"], Query(description="语言 / language")]

    @v1.post("/match", response_model=MatchResponse, summary="匹配并解释 / match and explain")
    async def match(req: DecisionRequest, svc: Svc) -> JSONResponse:
        """每家企业的全部判断与解释（同 `eligibility match --format json`）及出处。Every decision with its
        explanation for each firm, as `eligibility match --format json` gives it, plus provenance."""
        profiles = requested_profiles(req, svc.settings.max_profiles)
        engine = engine_for(svc.rulesets, req.rule_set)
        day = req.as_of or date.today()
        seconds = svc.settings.request_timeout
        results = await svc.limited(lambda: match_results(engine, profiles, day, req.lang, req.explain,
                                                   svc.deadline(), seconds))
        return JSONResponse({"results": results})

    @v1.post("/decide", response_model=DecideResponse, summary="批量判定 / decide many",
             responses={200: {"content": {NDJSON: {"schema": {"type": "string"}}},
                              "description": "JSON, or NDJSON (one firm per line) with Accept: application/x-ndjson"}})
    async def decide(req: DecisionRequest, request: Request, svc: Svc) -> Response:
        """只给状态与金额（编译路径），每家企业带出处；`Accept: application/x-ndjson` 时逐行流式返回。
        Statuses and amounts only (compiled path), with provenance per firm; streamed one firm per line
        with `Accept: application/x-ndjson`."""
        profiles = requested_profiles(req, svc.settings.max_profiles)
        engine = engine_for(svc.rulesets, req.rule_set)
        day = req.as_of or date.today()
        seconds = svc.settings.request_timeout
        chunks = decide_chunks(engine, profiles, day, svc.deadline(), seconds, svc.settings.vectorized_min_profiles)
        if NDJSON in request.headers.get("accept", ""):
            return StreamingResponse(ndjson(chunks), media_type=NDJSON)
        results = await svc.limited(lambda: [item for chunk in chunks for item in chunk])
        return JSONResponse({"results": results})

    @v1.get("/rules", response_model=RulesResponse, summary="规则列表 / list rules")
    def rules(svc: Svc, lang: Lang = "zh",
              as_of: Annotated[date | None, Query(description="只列当日施行的 / only rules in force that day")] = None,
              rule_set: Annotated[str | None, Query(pattern=HASH_PATTERN)] = None) -> dict[str, Any]:
        engine = engine_for(svc.rulesets, rule_set)
        listed = [r for r in engine.rules.rules if as_of is None or r.effective.contains(as_of)]
        return {"ruleset_hash": engine.rules.hash, "rules": [_rule_summary(r, lang) for r in listed]}

    @v1.get("/rules/{rule_id}", response_model=RuleDetail, summary="一条规则及出处 / one rule with its citation")
    def rule(rule_id: str, svc: Svc, lang: Lang = "zh",
             rule_set: Annotated[str | None, Query(pattern=HASH_PATTERN)] = None) -> dict[str, Any]:
        from ..lang.render import rule_text

        engine = engine_for(svc.rulesets, rule_set)
        try:
            r = engine.rules[rule_id]
        except EligibilityError as exc:
            raise ServiceError("not_found", exc.zh, exc.en, location="rule_id") from None
        src = r.source
        citation = {"document": src.document_title or src.document.title, "number": src.document.number,
                    "issuer": src.document.issuer, "clause": src.clause, "quote": src.quote}
        return _rule_summary(r, lang) | {"citation": citation, "notes": r.notes, "text": rule_text(r, lang)}

    @v1.get("/facts", response_model=FactsResponse, summary="派生事实 / derived facts")
    def facts(lang: Lang = "zh") -> dict[str, Any]:
        from ..facts.derived import DERIVED

        return {"facts": [{"name": f.name, "label": f.label(lang), "type": f.type.describe(lang), "reads": list(f.reads)}
                          for f in DERIVED.values()]}

    @v1.get("/schema/profile", summary="画像 JSON Schema / profile JSON Schema")
    def profile_schema() -> dict[str, Any]:
        schema = Profile.model_json_schema()
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        return schema

    @v1.get("/schema/rules", summary="规则文件 JSON Schema / rule-file JSON Schema")
    def rules_schema() -> dict[str, Any]:
        from ..io.schema import rule_file_json_schema

        return rule_file_json_schema()

    @v1.post("/admin/reload", response_model=ReloadResponse, dependencies=[Depends(require_admin)],
             summary="重新加载规则 / reload the rules")
    async def reload(svc: Svc) -> dict[str, Any]:
        """重新读取规则文件；进行中的请求仍用旧规则完成。多进程时通知主进程逐个替换工作进程。
        Read the rule files again; requests in flight finish on the old rules. With several workers the
        main process is told (SIGHUP) and replaces the workers one by one."""
        if svc.settings.workers > 1:
            os.kill(os.getppid(), signal.SIGHUP)
            return {"status": "requested", "previous_hash": svc.rulesets.current.rules.hash, "ruleset_hash": None}
        old, new = await anyio.to_thread.run_sync(svc.reload)
        return {"status": "reloaded", "previous_hash": old, "ruleset_hash": new}

    @v1.post("/score", status_code=202, response_model=JobOut, summary="名录打分任务 / score a register (job)")
    async def score(svc: Svc, file: Annotated[UploadFile, File(description="CSV, Parquet, .xlsx/.xls, or a bundle .zip (manifest.yaml and its files) / 登记表文件或名录包 zip")],
                    as_of: Annotated[date | None, Form()] = None,
                    output: Annotated[Literal["csv", "parquet"], Form()] = "csv",
                    rule_set: Annotated[str | None, Form(pattern=HASH_PATTERN)] = None) -> JSONResponse:
        """上传企业名录，后台打分；用 GET /v1/jobs/{id} 查看进度与行数核对。Upload a register to score in the
        background; follow it with GET /v1/jobs/{id} (progress and row reconciliation)."""
        filename = Path(file.filename or "register").name
        try:
            check_register_name(filename)
        except EligibilityError as exc:
            raise ServiceError("register_invalid", exc.zh, exc.en, location="file") from None
        engine = engine_for(svc.rulesets, rule_set)
        jobs = svc.jobs

        def take() -> dict[str, Any] | None:
            fd, tmp = tempfile.mkstemp(dir=jobs.root, prefix=".upload-")
            with os.fdopen(fd, "wb") as f:
                shutil.copyfileobj(file.file, f)
            try:
                return jobs.create(Path(tmp), filename, Path(filename).suffix.lower(), engine.rules.hash,
                                   as_of or date.today(), output)
            finally:
                Path(tmp).unlink(missing_ok=True)

        state = await anyio.to_thread.run_sync(take)
        if state is None:
            raise ServiceError("too_many_jobs", f"任务数已达上限 {svc.settings.max_jobs}，请稍后或删除已完成的任务",
                               f"the job limit of {svc.settings.max_jobs} is reached: retry later or delete finished jobs")
        return JSONResponse(public(state), status_code=202, headers={"Location": f"/v1/jobs/{state['id']}"})

    def _job_folder(svc: Service, job_id: str) -> Path:
        folder = svc.jobs.folder(job_id)
        if folder is None:
            raise ServiceError("not_found", f"没有任务 {job_id}", f"no job {job_id}", location="job_id")
        return folder

    @v1.get("/jobs/{job_id}", response_model=JobOut, summary="任务进度 / job progress")
    def job(job_id: str, svc: Svc) -> dict[str, Any]:
        state = read_state(_job_folder(svc, job_id))
        if state is None:
            raise ServiceError("not_found", f"没有任务 {job_id}", f"no job {job_id}", location="job_id")
        return public(state)

    @v1.get("/jobs/{job_id}/result", summary="任务结果文件 / job result file",
            responses={200: {"content": {"text/csv": {}, "application/vnd.apache.parquet": {}},
                             "description": "the long table"}, 409: {"model": ErrorBody, "description": "conflict"}})
    def job_result(job_id: str, svc: Svc) -> FileResponse:
        folder = _job_folder(svc, job_id)
        state = read_state(folder) or {}
        if state.get("status") != "done":
            raise ServiceError("conflict", f"任务尚未完成（{state.get('status')}）", f"the job is not done ({state.get('status')})",
                               location="job_id")
        output = state["output"]
        media = "text/csv" if output.endswith(".csv") else "application/vnd.apache.parquet"
        download = Path(state["filename"]).stem + ".scored" + Path(output).suffix
        return FileResponse(folder / output, media_type=media, filename=download)

    @v1.delete("/jobs/{job_id}", status_code=204, summary="删除任务 / delete a job")
    def delete_job(job_id: str, svc: Svc) -> Response:
        if not svc.jobs.delete(job_id):
            raise ServiceError("not_found", f"没有任务 {job_id}", f"no job {job_id}", location="job_id")
        return Response(status_code=204)

    return v1


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    svc: Service = app.state.service
    loop = asyncio.get_running_loop()
    with suppress(NotImplementedError, RuntimeError, ValueError):  # only in the main thread of a Unix process
        loop.add_signal_handler(signal.SIGHUP, lambda: loop.run_in_executor(None, _reload_logged, svc))

    async def expire() -> None:
        while True:
            await asyncio.sleep(min(60.0, svc.settings.job_retention))
            await anyio.to_thread.run_sync(svc.jobs.expire)

    # what start-up built (the rule set, its compiled code, the schemas) lives as long as the process:
    # kept out of the cyclic collector's full passes, which would otherwise walk it under load (long pauses)
    gc.collect()
    gc.freeze()
    sweeper = asyncio.create_task(expire())
    try:
        yield
    finally:
        sweeper.cancel()
        with suppress(NotImplementedError, RuntimeError, ValueError):
            loop.remove_signal_handler(signal.SIGHUP)
        svc.jobs.stop_all()


def _reload_logged(svc: Service) -> None:
    """SIGHUP: reload; a bad rule file is logged and the current rules keep answering."""
    try:
        svc.reload()
    except EligibilityError as exc:
        log.error("rule set reload failed; the current rule set keeps answering", extra=error_body(exc))


def create_app(settings: ServiceSettings | None = None) -> FastAPI:
    """The application for ``settings`` (default: from the environment). Loads the rules (and archives
    them) before it returns, so a bad rule file stops start-up with its file and line."""
    settings = settings or settings_from_env()
    configure_logging()
    svc = Service(settings)
    app = FastAPIOffline(
        title="eligibility decision service", version=__version__, lifespan=_lifespan, redoc_url=None,
        description="惠企政策判定服务：按规则判断企业可享受的政策并给出解释。 Enterprise-support policy decisions"
                    " with explanations and provenance. Errors: one body "
                    '`{"error": {"code", "message_zh", "message_en", "location"}}`.',
        responses={404: {"model": ErrorBody, "description": "not_found"}},
    )
    app.state.service = svc
    install_error_handlers(app)

    @app.get("/healthz", response_model=Health, summary="存活 / liveness")
    def healthz() -> dict[str, Any]:
        return {"status": "ok"}

    @app.get("/readyz", response_model=Ready, summary="就绪 / readiness")
    def readyz() -> dict[str, Any]:
        current = svc.rulesets.current
        return {"status": "ready", "version": __version__, "ruleset_hash": current.rules.hash,
                "rules": len(current.rules)}

    v1 = build_router()
    app.include_router(v1)
    if settings.fast_lane:
        routes = {r.path: r for r in v1.routes if getattr(r, "path", None) in FAST_PATHS}
        app.add_middleware(FastLane, service=svc, routes=routes)
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes, upload_limit=settings.max_upload_bytes,
                       upload_paths=frozenset({"/v1/score"}))
    app.add_middleware(RequestLog)
    auth = "on" if settings.auth_required else "off"
    log.info(f"auth {auth}", extra={
        "auth": auth, "host": settings.host, "ruleset_hash": svc.rulesets.current.rules.hash,
        "message_zh": f"访问令牌认证：{'开启' if auth == 'on' else '关闭'}（监听 {settings.host}）"})
    return app


def app_from_env() -> FastAPI:
    """The uvicorn factory of ``eligibility serve`` worker processes."""
    return create_app(settings_from_env())
