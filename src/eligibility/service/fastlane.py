"""The fast lane of ``POST /v1/match`` and ``POST /v1/decide``: an ASGI middleware that answers a
well-formed, authorised JSON request itself — the body parsed and validated once, the work done on the
event loop when it is one firm's (no thread hop), the response serialised once — without FastAPI's
routing, dependency and request-model machinery, which cost about as much as one firm's explanation.

It sits inside the access log and the body limit, so both see every request as before. Anything it does
not answer (another route, another content type, NDJSON, a token that does not pass, a body that does
not parse or validate, a request the routes refuse, any unexpected error) goes to the application
unchanged, its body replayed: every error is the regular path's own. The routes stay the OpenAPI
description and the reference the tests hold the fast lane to."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from datetime import date
from typing import TYPE_CHECKING, Any

import pydantic_core
from fastapi.security import HTTPAuthorizationCredentials
from fastapi.security.utils import get_authorization_scheme_param
from starlette.responses import Response

from .answering import authorised, engine_for, match_results, requested_profiles
from .deciding import decide_chunks
from .errors import ServiceError, error_response
from .models import DecisionRequest

if TYPE_CHECKING:
    from .state import Service

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

NDJSON = b"application/x-ndjson"
JSON_TYPE = (b"content-type", b"application/json")
FAST_PATHS = frozenset({"/v1/match", "/v1/decide"})
INLINE_DECIDE = 16
"""A ``/v1/decide`` request of at most this many profiles is decided on the event loop (a few ms at most); a
larger one, or a ``/v1/match`` of several firms, on a worker thread within the time limit, as the routes do."""


def _header(scope: Scope, name: bytes) -> bytes | None:
    """The first value of a request header (as Starlette's ``request.headers.get``)."""
    for key, value in scope["headers"]:
        if key == name:
            return value  # type: ignore[no-any-return]
    return None


def _replay(messages: list[Message], receive: Receive, error: BaseException | None) -> Receive:
    """A ``receive`` giving the messages already read again, then the error reading stopped on (a body
    limit), then the connection's own."""
    pending = list(messages)
    failure = [error] if error is not None else []

    async def replayed() -> Message:
        if pending:
            return pending.pop(0)
        if failure:
            raise failure.pop()
        return await receive()

    return replayed


class FastLane:
    """Answers ``POST /v1/match`` and ``POST /v1/decide`` (JSON) as their routes would, faster; hands
    everything else to ``app``. ``routes`` maps each path to its route (named in the access log)."""

    def __init__(self, app: ASGIApp, service: Service, routes: dict[str, Any]) -> None:
        self.app = app
        self.service = service
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] not in self.routes \
                or not self._takes(scope):
            await self.app(scope, receive, send)
            return
        messages: list[Message] = []
        chunks: list[bytes] = []
        try:
            while True:
                message = await receive()
                messages.append(message)
                if message["type"] != "http.request":
                    break
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    break
        except Exception as exc:  # the body limit, refusing a body longer than it said
            await self.app(scope, _replay(messages, receive, exc), send)
            return
        if messages[-1]["type"] != "http.request":
            await self.app(scope, _replay(messages, receive, None), send)
            return
        response: bytes | Response | None
        try:
            response = await self._answer(scope["path"], b"".join(chunks))
        except ServiceError as exc:  # the time limit, met while working: answered as the routes' handler does
            response = error_response(exc.body, exc.headers)
        except Exception:
            response = None
        if response is None:
            await self.app(scope, _replay(messages, receive, None), send)
            return
        scope["route"] = self.routes[scope["path"]]
        if isinstance(response, bytes):  # the results: the headers a JSON Response sends, in its order
            await send({"type": "http.response.start", "status": 200,
                        "headers": [(b"content-length", str(len(response)).encode("latin-1")), JSON_TYPE]})
            await send({"type": "http.response.body", "body": response})
        else:
            await response(scope, receive, send)

    def _takes(self, scope: Scope) -> bool:
        """A JSON body (``application/json``, whatever its parameters), a JSON answer, and the token check
        passed (when auth is on)."""
        media = (_header(scope, b"content-type") or b"").split(b";", 1)[0]
        if media.strip().lower() != b"application/json":  # parameters (a charset) aside: the routes read it as JSON
            return False
        if scope["path"] == "/v1/decide" and NDJSON in (_header(scope, b"accept") or b""):
            return False
        svc = self.service
        if not svc.settings.auth_required:
            return True
        given = _header(scope, b"authorization")
        scheme, credentials = get_authorization_scheme_param(given.decode("latin-1") if given is not None else None)
        if not (given and scheme and credentials):
            return False
        return authorised(HTTPAuthorizationCredentials(scheme=scheme, credentials=credentials), svc.tokens)

    async def _answer(self, path: str, body: bytes) -> bytes | None:
        """The JSON body of the results of a request the routes would answer with results (parsed and
        validated straight from its bytes); None for one they would refuse (the routes then say why). A
        time limit met while working raises its ServiceError."""
        if not body:
            return None
        try:
            req = DecisionRequest.model_validate_json(body)
            svc = self.service
            profiles = requested_profiles(req, svc.settings.max_profiles)
            engine = engine_for(svc.rulesets, req.rule_set)
        except (ValueError, ServiceError):  # bad JSON, a validation error, a refused request
            return None
        day = req.as_of or date.today()
        seconds = svc.settings.request_timeout
        work: Callable[[], list[dict[str, Any]]]
        if path == "/v1/match":
            def work() -> list[dict[str, Any]]:
                return match_results(engine, profiles, day, req.lang, req.explain, svc.deadline(), seconds)

            inline = len(profiles) == 1
        else:
            chunks = decide_chunks(engine, profiles, day, svc.deadline(), seconds, svc.settings.vectorized_min_profiles)

            def work() -> list[dict[str, Any]]:
                return [item for chunk in chunks for item in chunk]

            inline = len(profiles) <= INLINE_DECIDE
        results = work() if inline else await svc.limited(work)
        return pydantic_core.to_json({"results": results})
