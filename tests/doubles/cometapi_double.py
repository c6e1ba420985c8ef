"""An in-process stand-in for CometAPI's Midjourney video API, served on 127.0.0.1.

It behaves like the real gateway as ``shared/reference/cometapi.md`` describes it (Bearer auth,
upstream-style validation and codes, the ``status:""`` quirk, DTO field set, four MP4 clips per job)
and offers knobs for every failure the client must survive. See ``README_cometapi.md``.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import functools
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any

from aiohttp import web

from tests.doubles import cometapi_images as images
from tests.doubles.cometapi_faults import (
    CannedReply,
    Chaos,
    Fault,
    FaultKind,
    Hold,
    SubmitRule,
    canned_response,
    comet_error,
    fault_response,
    reset_connection,
    slow_down,
    submit_body,
    upstream_error,
    wait_if_held,
)
from tests.doubles.cometapi_jobs import (
    DoubleTask,
    TaskIds,
    TaskPlan,
    clip_bytes,
    end_image,
    image_answer,
    phase_at,
    task_json,
)
from tests.doubles.cometapi_submits import NO_INSTANCE, submit_problem

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
AUTHENTICATED = frozenset({"submit", "fetch", "list"})
ACCEPT_DESCRIPTIONS = {1: "提交成功", 21: "Waiting for window confirm", 22: "排队中，前面还有1个任务"}
DISCORD_IDS = {"discordChannelId": "5e6ca8e1f40e4de6", "discordInstanceId": "5e6ca8e1f40e4de6"}
_dumps = functools.partial(json.dumps, ensure_ascii=False)


@dataclass(frozen=True)
class RequestRecord:
    """One request the double received; ``at`` is ``time.monotonic()`` on arrival."""

    endpoint: str
    method: str
    path: str
    at: float


class CometAPIDouble:
    """The CometAPI double: an aiohttp application plus the knobs that steer it."""

    def __init__(
        self,
        *,
        api_key: str = "test-key",
        default_plan: TaskPlan | None = None,
        clock: Callable[[], float] = time.monotonic,
        seed: int = 0,
    ) -> None:
        self.api_key = api_key
        self.default_plan = default_plan or TaskPlan()
        self.tasks: dict[str, DoubleTask] = {}
        self.submissions: list[dict[str, Any]] = []
        self.end_fetches: list[str] = []
        self.received_images: dict[str, images.ReceivedImage] = {}  # task id -> the first frame it got
        self.counts: collections.Counter[str] = collections.Counter()
        self.request_log: list[RequestRecord] = []
        self.list_queries: list[list[str]] = []
        self.faults: list[Fault] = []
        self.holds: list[Hold] = []
        self.rules: list[SubmitRule] = []
        self.chaos = Chaos()
        self.base_url = ""
        self._clock = clock
        self._offset = 0.0
        self._ids = TaskIds(seed)
        self._closing = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.app = self._build_app()

    @classmethod
    @contextlib.asynccontextmanager
    async def serve(cls, **kwargs: Any) -> AsyncIterator[CometAPIDouble]:
        """Start a double on 127.0.0.1 (random port) for the duration of the ``async with``."""
        double = cls(**kwargs)
        await double.start()
        try:
            yield double
        finally:
            await double.stop()

    async def start(self) -> None:
        """Listen on 127.0.0.1 on a free port and set ``base_url``."""
        self._runner = web.AppRunner(self.app, handler_cancellation=True, shutdown_timeout=0.5)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        host, port = self._runner.addresses[0][:2]
        self.base_url = f"http://{host}:{port}"

    async def stop(self) -> None:
        """Stop listening, cutting slow answers short."""
        self._closing.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # --- clock -------------------------------------------------------------------------------

    def now(self) -> float:
        """Return the double's clock: ``clock()`` plus everything passed to ``advance``."""
        return self._clock() + self._offset

    def advance(self, seconds: float) -> None:
        """Move the double's clock forward, so tasks progress without waiting."""
        self._offset += seconds

    # --- knobs -------------------------------------------------------------------------------

    def inject(
        self,
        kind: FaultKind,
        *,
        times: int = 1,
        endpoint: str | None = None,
        status: int | None = None,
        retry_after: str | None = None,
        delay: float = 1.0,
    ) -> None:
        """Make the next ``times`` requests of ``endpoint`` (None: any) fail with ``kind``."""
        fault = Fault(kind, endpoint, status=status, retry_after=retry_after, delay=delay)
        self.faults.extend(replace(fault) for _ in range(times))

    def hold(self, endpoint: str, *, times: int = 1) -> Hold:
        """Keep the next ``times`` requests of ``endpoint`` unanswered until ``Hold.release()``."""
        held = Hold(endpoint, times)
        self.holds.append(held)
        return held

    def reply(
        self,
        status: int,
        body: Any,
        *,
        endpoint: str = "submit",
        headers: dict[str, str] | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` requests of ``endpoint`` with a fixed status and body."""
        fault = Fault(FaultKind.CANNED, endpoint, status=status, body=body, headers=headers or {})
        self.faults.extend(replace(fault) for _ in range(times))

    def set_chaos(
        self,
        rate: float,
        *,
        seed: int = 0,
        slow_delay: float = 2.0,
        endpoints: frozenset[str] | None = None,
    ) -> None:
        """Fail each request (of ``endpoints``, None: all) with probability ``rate``, seeded (0: off)."""
        self.chaos = Chaos(rate, seed=seed, slow_delay=slow_delay, endpoints=endpoints)

    def plan_tasks(
        self, plan: TaskPlan, *, prompt: str | None = None, times: int | None = 1, accept_code: int = 1
    ) -> None:
        """Give the next ``times`` accepted submits (whose prompt contains ``prompt``) this plan."""
        self.rules.append(SubmitRule(prompt, times, plan=plan, accept_code=accept_code))

    def reply_to_submits(
        self,
        status: int,
        body: Any,
        *,
        prompt: str | None = None,
        times: int | None = 1,
        video_type: str | None = None,
    ) -> None:
        """Answer matching valid submits with a fixed status and body instead of creating a task."""
        reply = CannedReply(status, body, {})
        self.rules.append(SubmitRule(prompt, times, reply=reply, video_type=video_type))

    def refuse_submits(
        self,
        code: int,
        description: str,
        *,
        prompt: str | None = None,
        times: int | None = 1,
        video_type: str | None = None,
    ) -> None:
        """Refuse matching submits with an HTTP 200 ``{"code": code, "description": ...}``."""
        body = submit_body(code, description)
        self.reply_to_submits(200, body, prompt=prompt, times=times, video_type=video_type)

    def moderate_submits(
        self,
        banned_word: str | None,
        *,
        reason: str = "可能包含敏感词",
        prompt: str | None = None,
        times: int | None = 1,
    ) -> None:
        """Refuse matching submits as banned (code 24, ``properties.bannedWord``)."""
        properties = {"promptEn": prompt or "", "bannedWord": banned_word} if banned_word else {}
        self.reply_to_submits(200, submit_body(24, reason, **properties), prompt=prompt, times=times)

    def queue_full(self, *, times: int | None = 1, trueai: bool = False) -> None:
        """Refuse the next submits as queue full: code 23, or trueai's code 9 wording."""
        if trueai:
            self.refuse_submits(9, "提交失败，队列已满，请稍后重试", times=times)
        else:
            self.refuse_submits(23, "队列已满，请稍后尝试", times=times)

    def no_instance(self, *, times: int | None = 1, video_type: str | None = None) -> None:
        """Refuse the next submits with code 3 "无可用的账号实例": no upstream account is free (capacity).

        ``video_type="vid_1.1_i2v_720"``: only HD submits, as when no account can make HD video (HD
        needs an HD-capable upstream account, else code 3: shared/reference/cometapi.md, ``videoType``).
        """
        self.refuse_submits(*NO_INSTANCE, times=times, video_type=video_type)

    def add_task(self, body: dict[str, Any] | None = None, *, plan: TaskPlan | None = None) -> str:
        """Create a task directly (no HTTP, not counted) and return its id; ``body`` is the submit."""
        submit = body or {"image": "https://example.com/seed.png", "motion": "low", "prompt": "seeded"}
        return self._create_task(submit, plan or self.default_plan)

    def finish(self, task_id: str) -> None:
        """Make a task succeed now."""
        self._force(task_id, "SUCCESS", "")

    def fail(self, task_id: str, reason: str = "任务超时") -> None:
        """Make a task fail now with ``reason``."""
        self._force(task_id, "FAILURE", reason)

    def task_json(self, task_id: str) -> dict[str, Any]:
        """Return what a fetch of ``task_id`` would answer right now."""
        return task_json(self.tasks[task_id], self.now(), self.base_url)

    def _force(self, task_id: str, status: str, reason: str) -> None:
        task = self.tasks[task_id]
        task.forced_status, task.forced_reason, task.forced_at = status, reason, self.now()

    # --- HTTP ---------------------------------------------------------------------------------

    def _build_app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware], client_max_size=images.REQUEST_BODY_LIMIT)
        app.router.add_post("/mj/submit/video", self._submit, name="submit")
        app.router.add_get("/mj/task/{task_id}/fetch", self._fetch, name="fetch")
        app.router.add_post("/mj/task/list-by-condition", self._list, name="list")
        app.router.add_get("/cdn/video/{task_id}/{index:\\d+}.mp4", self._clip, name="clip")
        # new-api registers the relay for GET only (router/relay-router.go registerMjRouterGroup), and
        # gin answers any other method with 404: a HEAD tells nothing about what GET would serve.
        app.router.add_get("/mj/image/{task_id}", self._image, name="image", allow_head=False)
        app.router.add_route("HEAD", "/mj/image/{task_id}", self._no_route, name="image_head")
        return app

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        endpoint = request.match_info.route.name or "other"
        self.counts[endpoint] += 1
        self.request_log.append(RequestRecord(endpoint, request.method, request.path, time.monotonic()))
        await wait_if_held(self.holds, endpoint, self._closing)
        fault = self._take_fault(endpoint)
        if fault is not None and fault.kind is FaultKind.RESET:
            return reset_connection(request)
        if fault is not None and fault.kind is not FaultKind.SLOW:
            return fault_response(fault)
        if endpoint in AUTHENTICATED and not self._authorized(request):
            return web.json_response(comet_error("无效的令牌"), status=401, dumps=_dumps)
        response = await handler(request)
        if fault is not None:
            await slow_down(fault.delay, self._closing)
        return response

    def _take_fault(self, endpoint: str) -> Fault | None:
        for position, fault in enumerate(self.faults):
            if fault.matches(endpoint):
                return self.faults.pop(position)
        return self.chaos.pick(endpoint)

    def _authorized(self, request: web.Request) -> bool:
        header = request.headers.get("Authorization", "")
        return bool(self.api_key) and header.removeprefix("Bearer ").strip() == self.api_key

    async def _submit(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return web.json_response(upstream_error("bind_request_body_failed", 4), status=400)
        self.submissions.append(body)
        problem = submit_problem(body, self.tasks, self.now())
        if problem is not None:
            return web.json_response(submit_body(*problem), dumps=_dumps)
        rule = self._take_rule(body)
        if rule is not None and rule.reply is not None:
            return canned_response(rule.reply.status, rule.reply.body, rule.reply.headers)
        end_problem = await images.end_image_problem(end_image(str(body.get("prompt", ""))), self.end_fetches)
        return self._accept(body, rule, end_problem, await images.received_for(body))

    def _take_rule(self, body: dict[str, Any]) -> SubmitRule | None:
        for position, rule in enumerate(self.rules):
            if not rule.matches(body):
                continue
            if rule.times is not None:
                rule.times -= 1
                if rule.times <= 0:
                    del self.rules[position]
            return rule
        return None

    def _accept(
        self,
        body: dict[str, Any],
        rule: SubmitRule | None,
        end_problem: str | None,
        received: images.ReceivedImage | None = None,
    ) -> web.Response:
        plan = rule.plan if rule is not None and rule.plan is not None else self.default_plan
        if end_problem is not None:
            plan = replace(plan, fail_reason=end_problem)
        task_id = self._create_task(body, plan)
        if received is not None:
            self.received_images[task_id] = received
        code = rule.accept_code if rule is not None else 1
        description = ACCEPT_DESCRIPTIONS.get(code, "提交成功")
        extra = {"numberOfQueues": 1} if code == 22 else {}
        return web.json_response(
            submit_body(code, description, task_id, **DISCORD_IDS, **extra), dumps=_dumps
        )

    def _create_task(self, body: dict[str, Any], plan: TaskPlan) -> str:
        task_id = self._ids.next()
        submit_ms = int(time.time() * 1000)
        self.tasks[task_id] = DoubleTask(task_id, body, replace(plan), self.now(), submit_ms)
        return task_id

    async def _fetch(self, request: web.Request) -> web.Response:
        task = self.tasks.get(request.match_info["task_id"])
        if task is None:
            return web.json_response(upstream_error("task_no_found ", 4), status=400)
        return web.json_response(task_json(task, self.now(), self.base_url), dumps=_dumps)

    async def _list(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
        except ValueError:
            body = None
        ids = body.get("ids") if isinstance(body, dict) else None
        queried = [str(task_id) for task_id in ids] if isinstance(ids, list) else []
        self.list_queries.append(queried)
        wanted = set(queried)
        now = self.now()
        found = [
            task_json(task, now, self.base_url)
            for task in self.tasks.values()
            if task.task_id in wanted and not task.plan.omit_from_list
        ]
        return web.json_response(found, dumps=_dumps)

    async def _clip(self, request: web.Request) -> web.Response:
        task = self.tasks.get(request.match_info["task_id"])
        index = int(request.match_info["index"])
        if task is None or index >= task.clip_count or phase_at(task, self.now()).status != "SUCCESS":
            raise web.HTTPNotFound(text="no such clip")
        data = task.plan.clip_data or clip_bytes(task.task_id, index, task.plan.clip_min_bytes)
        return web.Response(body=data, content_type="video/mp4")

    async def _image(self, request: web.Request) -> web.Response:
        # new-api's RelayMidjourneyImage: 400 for a task it does not know, else the upstream imageUrl's
        # bytes with the upstream's Content-Type (relay/mjproxy_handler.go).
        task = self.tasks.get(request.match_info["task_id"])
        if task is None:
            return web.json_response({"error": "midjourney_task_not_found"}, status=400)
        body, content_type = image_answer(task, self.now())
        return web.Response(body=body, content_type=content_type)

    async def _no_route(self, request: web.Request) -> web.Response:
        return web.Response(status=404, text="404 page not found", content_type="text/plain")
