"""`rxsim chaos`: a bounded fault campaign against a local stack under its supervisor. Services
are killed and frozen while generator runs issue prescriptions, every consumed topic is replayed
and sent hostile messages, and the hospital is sent mutated FHIR. Then every prescription must
be terminal, none dispensed twice, every accepted request answered, no answer a 5xx
(`chaos_figures.Figures` keeps the count and gives the verdict)."""

import asyncio
import random
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from rxsim.fhir import bundles, synthetic
from rxsim.messaging.settings import SERVICES
from rxsim.messaging.tokens import Role
from rxsim.scenario import Scenario
from rxsim.tools import hostile, mutation, replay
from rxsim.tools.chaos_figures import Figures
from rxsim.tools.demo import patience
from rxsim.tools.ledger import Story, dispensed_twice
from rxsim.tools.observer import Observer
from rxsim.tools.sender import post_prescription
from rxsim.tools.stack import Stack
from schemas import topics

CAMPAIGNS = ("fhir", "hostile", "kill", "stop", "replay")
STOP_SECONDS = 3.0  # frozen for less than a consumer group's session, so no rebalance is due
READY_WITHIN = 90.0  # seconds a restarted service may take to report ready again
# The replay and the quiet before and after it take at most this long (wait_until_quiet is
# bounded at 90 s each, the replay itself seconds).
REPLAY_WITHIN_S = 300.0
FAULT_AFTER = 1 / 3  # of a run's prescriptions issued: the fault lands mid-run


@dataclass(frozen=True)
class Plan:
    campaigns: tuple[str, ...] = CAMPAIGNS
    rounds: int = 2
    count: int = 30  # prescriptions per generator run
    rate: float = 10.0  # per second
    fhir_inputs: int = 200
    seed: int = 1


class Chaos:
    """One campaign's stack, observer and figures; `say` reports progress."""

    def __init__(
        self, stack: Stack, scenario: Scenario, plan: Plan, say: Callable[[str], None]
    ) -> None:
        self.stack, self.scenario, self.plan, self.say = stack, scenario, plan, say
        self.rng = random.Random(plan.seed)
        self.figures = Figures()
        self.observer = Observer(stack.bootstrap)
        # The campaign runs its own stack, so it holds the key: it reads and runs as an operator.
        self.hospital = httpx.AsyncClient(
            base_url=stack.settings.url_of("hospital"), timeout=10, headers=stack.auth()
        )
        self.accepted: dict[str, str] = {}  # submission id -> the FHIR input that made it

    async def run(self) -> Figures:
        await self.observer.start()
        try:
            await self._campaigns()
        finally:
            await self.observer.stop()
            await self.hospital.aclose()
        return self.figures

    async def _campaigns(self) -> None:
        chosen = self.plan.campaigns
        if "fhir" in chosen:
            await self.send_mutated_fhir()
        if "hostile" in chosen:
            await self.send_hostile_messages()
        for round_ in range(1, self.plan.rounds + 1):
            for service in SERVICES if "kill" in chosen else ():
                await self.kill(service, round_)
            for service in SERVICES if "stop" in chosen else ():
                await self.freeze(service, round_)
        if not self.figures.runs:  # a replay needs prescriptions to replay
            await self.wait_finished(await self.start_run())
        await self.settle()
        if "replay" in chosen:
            await self.replay()
        self.figures.issued = self.observer.ledger.total
        stories = list(self.observer.ledger.stories.values())
        for code in dispensed_twice(stories):
            self.figures.fail("dispensed_twice", code)
        self.figures.dead_letters = len(
            await asyncio.to_thread(hostile.dead_letters, self.bootstrap)
        )

    @property
    def bootstrap(self) -> str:
        return self.stack.bootstrap

    # Generator runs -------------------------------------------------------------------------

    async def start_run(self) -> dict[str, Any]:
        """Start a generator run (after the one going, if any); its first progress report."""
        deadline = time.monotonic() + READY_WITHIN
        body = {"count": self.plan.count, "rate": self.plan.rate}
        answer = "no answer"
        while time.monotonic() < deadline:
            try:
                response = await self.hospital.post("/generator/runs", json=body)
            except httpx.TransportError:
                await asyncio.sleep(0.5)  # the hospital is restarting
                continue
            if response.status_code == 202:
                self.figures.runs += 1
                return dict(response.json())
            answer = f"{response.status_code} {response.text}"
            # 409: a run is still going; 503: the hospital is catching up after a restart
            if response.status_code not in (409, 503):
                break
            await asyncio.sleep(0.5)
        raise ChaosError(f"the hospital did not start a generator run: {answer}")

    async def progress(self, run: dict[str, Any]) -> dict[str, Any] | None:
        """The run as the hospital reports it now; None while it cannot say."""
        try:
            response = await self.hospital.get("/generator/runs/current", timeout=2)
        except httpx.TransportError:
            return None
        current = response.json() if response.status_code == 200 else {}
        return current if current.get("run_id") == run["run_id"] else None

    async def wait_issued(self, run: dict[str, Any], at_least: int) -> None:
        deadline = time.monotonic() + READY_WITHIN
        while time.monotonic() < deadline:
            current = await self.progress(run)
            if current and (current["issued"] >= at_least or current["finished"]):
                return
            await asyncio.sleep(0.1)

    async def wait_finished(self, run: dict[str, Any]) -> None:
        """Until the run has issued all it was asked to; one it stops short of (or never
        finishes) dropped the prescriptions it accepted to issue."""
        patience = self.plan.count / self.plan.rate + 2 * READY_WITHIN
        deadline = time.monotonic() + patience
        current = None
        while time.monotonic() < deadline:
            current = await self.progress(run) or current
            if current and current["finished"]:
                break
            await asyncio.sleep(0.5)
        made = (current or {}).get("issued", 0) + (current or {}).get("refused_at_edge", 0)
        if made < run["target"]:
            self.figures.fail(
                "dropped", f"generator run {run['run_id']}: {made} of {run['target']} issued"
            )

    # Faults to processes --------------------------------------------------------------------

    async def kill(self, service: str, round_: int) -> None:
        """kill -9 mid-run: the supervisor starts it again, and it reports ready."""
        run = await self.start_run()
        await self.wait_issued(run, int(self.plan.count * FAULT_AFTER))
        restarts = sum(1 for r in self.stack.restarts if r.service == service)
        pid = self.stack.signal(service, signal.SIGKILL)
        self.figures.kills += 1
        began = time.monotonic()
        # The supervisor waits longer before each restart of the same service.
        within = self.stack.restart_pause * (restarts + 1) + READY_WITHIN
        back = await self.until(
            lambda: self.stack.processes[service].pid != pid and self.stack.ready(service), within
        )
        if back:
            self.say(f"kill -9 {service} (round {round_}): ready again after "
                     f"{time.monotonic() - began:.0f} s")  # fmt: skip
        else:
            self.figures.fail("kills", f"{service} (round {round_}): not ready {within:.0f} s on")
            self.say(f"[red]kill -9 {service} (round {round_}): not back in {within:.0f} s[/]")
        await self.wait_finished(run)

    async def freeze(self, service: str, round_: int) -> None:
        """SIGSTOP for a few seconds mid-run, then SIGCONT: the same process goes on."""
        run = await self.start_run()
        await self.wait_issued(run, int(self.plan.count * FAULT_AFTER))
        pid = self.stack.signal(service, signal.SIGSTOP)
        try:
            await asyncio.sleep(STOP_SECONDS)
        finally:
            self.stack.signal(service, signal.SIGCONT)
        self.figures.stops += 1
        same = await self.until(
            lambda: self.stack.processes[service].pid == pid and self.stack.ready(service),
            READY_WITHIN,
        )
        if same and self.stack.processes[service].pid == pid:
            self.say(f"SIGSTOP {service} for {STOP_SECONDS:.0f} s (round {round_}): went on")
        else:
            self.figures.fail("stops", f"{service} (round {round_}): died or not ready after")
            self.say(f"[red]SIGSTOP {service} (round {round_}): did not go on[/]")
        await self.wait_finished(run)

    async def until(self, check: Callable[[], bool], within: float) -> bool:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if await asyncio.to_thread(check):
                return True
            await asyncio.sleep(0.5)
        return False

    # Hostile input --------------------------------------------------------------------------

    async def send_mutated_fhir(self) -> None:
        """Valid Bundles, each with a few values dropped, replaced or retyped, to the hospital:
        any answer but a 5xx is right, and every 202 must reach a visible outcome."""
        country = self.scenario.country
        hospital = next(
            h for h in country.hospitals if h.code in self.scenario.onboarded_facilities
        )
        citizens = [c for c in country.citizens if c.province == hospital.province]
        as_hospital = self.stack.token(Role.FACILITY, hospital.code)
        drugs = [d for d in self.scenario.catalog.drugs if d.type_letter == "c"]
        for number in range(1, self.plan.fhir_inputs + 1):
            bundle = synthetic.prescription(
                self.rng,
                code=bundles.new_code(self.rng, hospital.code),
                hospital=hospital,
                citizen=self.rng.choice(citizens),
                drugs=self.rng.sample(drugs, self.rng.randint(1, 2)),
            )
            payload, done = mutation.mutate(bundle, self.rng)
            what = f"FHIR input {number} (seed {self.plan.seed}): {'; '.join(done)}"
            self.figures.fhir_inputs += 1
            try:
                response = await post_prescription(self.hospital, payload, as_hospital)
            except httpx.TransportError as exc:
                self.figures.fail("server_errors", f"{what}: no answer ({exc!r})")
                continue
            self.figures.answers[response.status_code] += 1
            if response.status_code >= 500:
                self.figures.fail("server_errors", f"{what}: {response.status_code}")
            elif response.status_code == 202:
                self.accepted[response.json()["submission_id"]] = what
        answers = ", ".join(f"{n}× {s}" for s, n in sorted(self.figures.answers.items()))
        self.say(f"mutated FHIR: {self.plan.fhir_inputs} inputs answered {answers}")

    async def send_hostile_messages(self) -> None:
        """Malformed, oversized and huge-key messages on every consumed topic: each consumer
        leaves a dead letter for each, no service stops, and a run after them completes."""
        pids = {name: proc.pid for name, proc in self.stack.processes.items()}
        messages = [
            message
            for name in replay.CONSUMED
            for message in hostile.hostile_messages(topics.BY_NAME[name], self.rng)
        ]
        landed = await asyncio.to_thread(hostile.produce, self.bootstrap, messages)
        self.figures.hostile_sent += len(landed)

        letters = await self.dead_letters_for(landed)
        for sent in landed:
            if not sent.dead_lettered(letters):
                where = f"{sent.topic}[{sent.partition}]@{sent.offset}"
                self.figures.fail("not_dead_lettered", f"{sent.what} on {where}")
        for name in SERVICES:
            alive = await self.answers(name, "/healthz") and await self.answers(name, "/readyz")
            if self.stack.processes[name].pid != pids[name] or not alive:
                self.figures.fail("consumers_stopped", f"{name} after the hostile messages")
        self.say(f"hostile messages: {len(landed)} sent to {len(replay.CONSUMED)} topics")
        await self.wait_finished(await self.start_run())  # and the pipeline still works

    async def dead_letters_for(self, landed: list[hostile.Landed]) -> list[hostile.DeadLetterAt]:
        """The dead letters so far, once each message has one or none has come for 10 s (a
        message nobody dead-letters must not hold the campaign for long)."""
        deadline, last, since = time.monotonic() + 90, -1, time.monotonic()
        while True:
            letters = list(await asyncio.to_thread(hostile.dead_letters, self.bootstrap))
            if all(sent.dead_lettered(letters) for sent in landed):
                return letters
            if len(letters) != last:
                last, since = len(letters), time.monotonic()
            if time.monotonic() - since > 10 or time.monotonic() > deadline:
                return letters
            await asyncio.sleep(1)

    async def answers(self, service: str, path: str) -> bool:
        try:
            async with httpx.AsyncClient(timeout=5) as client:
                url = self.stack.settings.url_of(service) + path
                return (await client.get(url)).status_code == 200
        except httpx.HTTPError:
            return False

    # The end: settle, replay ----------------------------------------------------------------

    async def settle(self) -> None:
        """Wait (bounded) until every prescription is terminal and every accepted FHIR input
        has a visible outcome; name those that never got there."""
        deadline = time.monotonic() + patience(self.scenario, 1, self.plan.rate)
        ledger = self.observer.ledger
        waiting = dict(self.accepted)
        while time.monotonic() < deadline:
            for submission_id in list(waiting):
                if await self.visible(submission_id):
                    del waiting[submission_id]
            if not waiting and not ledger.in_flight():
                break
            await asyncio.sleep(1)
        for story in ledger.in_flight():
            self.figures.fail(
                "lost", f"{story.prescription_id} still {story.state} "
                f"(submission {story.submission_id})"
            )  # fmt: skip
        for submission_id, what in waiting.items():
            self.figures.fail("dropped", f"{what}: submission {submission_id} never answered")
        self.say(f"settled: {ledger.terminal()} of {ledger.total} prescriptions terminal")

    async def visible(self, submission_id: str) -> bool:
        """Accepted or refused with a reason, as the hospital's status URL shows it."""
        try:
            response = await self.hospital.get(f"/submissions/{submission_id}")
        except httpx.TransportError:
            return False
        if response.status_code != 200:
            return False
        submission = response.json()
        if submission["state"] == "REJECTED":
            return bool(submission["reason_code"])
        return bool(submission["state"] != "SUBMITTED")

    async def replay(self) -> None:
        """Every consumed topic produced again once all is quiet: nothing may change."""
        try:
            await asyncio.to_thread(replay.wait_until_quiet, self.bootstrap)
            before = await self.snapshot()
            self.figures.replayed += await asyncio.to_thread(replay.replay, self.bootstrap)
            await asyncio.to_thread(replay.wait_until_quiet, self.bootstrap)
        except replay.StillGrowing as exc:
            self.figures.fail("replay_changes", f"the replay could not be checked: {exc}")
            return
        after = await self.snapshot()
        for what, was in before.items():
            for change in differences(was, after.get(what)):
                self.figures.fail("replay_changes", f"{what}: {change}")
        self.say(f"replay: {self.figures.replayed} messages produced again")

    async def snapshot(self) -> dict[str, Any]:
        """What the replay must not change: the record at the coordinator and at the hospital
        and the steps of every prescription already terminal, and, when none is in flight any
        more, every pharmacy's stock (those still in flight may move on their own)."""
        urls = self.stack.urls()
        found: dict[str, Any] = {}
        async with httpx.AsyncClient(timeout=10, headers=self.stack.auth()) as client:

            async def get(what: str, service: str, path: str) -> None:
                response = await client.get(urls[service] + path)
                found[what] = {"status": response.status_code, **response.json()}

            stories = list(self.observer.ledger.stories.values())
            for story in stories:
                if story.final is None:
                    continue
                code, submission = story.prescription_id, story.submission_id
                if not forgotten_within(story, self.scenario, REPLAY_WITHIN_S):
                    await get(f"coordinator {code}", "coordinator", f"/prescriptions/{code}")
                await get(f"hospital {submission}", "hospital", f"/submissions/{submission}")
                found[f"steps of {submission}"] = {
                    "steps": [f"{s.state.value} {s.reason_code or ''}".strip() for s in story.steps]
                }
            if all(story.final for story in stories):
                pharmacies = (await client.get(urls["pharmacy"] + "/pharmacies")).json()
                for pharmacy in pharmacies:
                    path = f"/pharmacies/{pharmacy['id']}/stock"
                    await get(f"stock {pharmacy['id']}", "pharmacy", path)
        return found


def forgotten_within(story: Story, scenario: Scenario, seconds: float) -> bool:
    """Whether the coordinator may forget this finished prescription within `seconds` (its
    validity and retention end by then): a replay's second look would find it gone, which is
    no change the replay made."""
    if story.issued_at is None:
        return False
    kept = (scenario.validity + scenario.kept_after_validity) / scenario.speedup
    left = story.issued_at + kept - datetime.now(UTC)
    return left.total_seconds() < seconds


def differences(before: dict[str, Any], after: dict[str, Any] | None) -> list[str]:
    """What changed between two views of one thing, field by field, each value cut short."""
    if after is None:
        return ["gone"]
    return [
        f"{key} {before.get(key)!r:.200} → {after.get(key)!r:.200}"
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    ]


class ChaosError(RuntimeError):
    """The campaign could not go on (the stack stopped answering)."""


async def run_chaos(
    stack: Stack, scenario: Scenario, plan: Plan, say: Callable[[str], None]
) -> Figures:
    """Run the plan's campaigns on a started, supervised stack; the figures and the verdict."""
    return await Chaos(stack, scenario, plan, say).run()
