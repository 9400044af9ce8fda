"""The operations dashboard in a real browser (headless Chromium) against the real stack: the
operator signs in with the operator's token and watches a generator run move the figures
without a reload; the counts equal the coordinator's /stats and the ledger of what the topics
say; a prescription is found by its code and by its submission id and its history shown as a
timeline, without whose it is; a wrong token is refused with its reason code. Every state of
the page is screenshot (test-artifacts/screenshots/dashboard-*.png) and checked with axe-core,
for labels and for keyboard reach."""

import re
import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from rxsim.domain.states import TERMINAL
from rxsim.messaging.codec import Undecodable, decode
from rxsim.messaging.tokens import Role
from rxsim.scenario import load
from rxsim.tools.ledger import Ledger, Story
from rxsim.tools.live import parse
from rxsim.tools.stack import Stack
from rxsim.tools.topic_reader import read
from schemas import topics
from schemas.events import State, StatusChanged
from tests.support import browser as chromium
from tests.support.stack_client import STACK_SCENARIO, StackClient, eventually

pytestmark = [pytest.mark.integration, pytest.mark.browser]

CITIZENS = load(str(STACK_SCENARIO)).country.citizens

LIVE = 60_000  # ms the page may take to show what the stack did
RUN = {"count": 60, "rate": 5}  # twelve seconds of prescriptions: long enough to watch
UNFINISHED = {s.value for s in State} - {s.value for s in TERMINAL}


@pytest.fixture(scope="module")
def dashboard(stack: Stack) -> Iterator[str]:
    """The dashboard's page, started beside the session's stack as `rxsim up` starts it."""
    url = stack.start_dashboard()
    yield url
    stack.stop_dashboard()


def ledger_of(bootstrap: str) -> Ledger:
    """Every submission and how it ended, from rx.issued and rx.status (as load runs count)."""
    ledger = Ledger()
    for record in read(bootstrap, [topics.RX_ISSUED.name, topics.RX_STATUS.name]):
        try:
            envelope, data = decode(topics.BY_NAME[record.topic], record.value, record.headers)
        except Undecodable:
            continue
        if isinstance(data, StatusChanged):
            ledger.status(envelope, data)
        else:
            ledger.issued(envelope)
    return ledger


def figure(page: Page, name: str) -> int:
    return int(page.locator(f'[data-figure="{name}"] .n').inner_text().replace(",", ""))


def sign_in(page: Page, url: str, token: str) -> None:
    page.goto(url)
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_label("Operator token").fill(token)
    page.get_by_role("button", name="Sign in").click()


def settled(client: StackClient, submissions: set[str]) -> tuple[Ledger, dict[str, int]]:
    """The ledger once every one of `submissions` has ended (the tests' clock makes the 5-day
    validity 10 s), and the coordinator's counts once they stop changing (prescriptions of
    earlier tests may still be ending)."""
    ledger = eventually(
        lambda: ledger_of(client.stack.bootstrap),
        lambda found: all(
            s.final is not None for s in found.stories.values() if s.submission_id in submissions
        ),
        "the run's prescriptions at an end",
    )
    last: dict[str, int] = {}

    def by_state() -> dict[str, int]:
        answer = client["coordinator"].get("/stats", headers=client.operator)
        return dict(answer.json()["by_state"])

    def same_as_before(now: dict[str, int]) -> bool:
        nonlocal last
        unchanged, last = now == last, now
        time.sleep(2.5)  # longer than the coordinator takes to count an event
        return unchanged

    return ledger, eventually(by_state, same_as_before, "steady counts")


def test_the_operator_watches_a_generator_run_and_the_counts_agree(
    client: StackClient, browser: Browser, dashboard: str
) -> None:
    hospital = client["hospital"]
    with chromium.desk(browser) as page:
        # Given the operator signed in with the operator's token
        page.goto(dashboard)
        chromium.check(page, "dashboard-01-sign-in")
        sign_in(page, dashboard, client.stack.token())
        expect(page.get_by_role("heading", name="Operations dashboard")).to_be_visible()
        page.evaluate("() => { window.notReloaded = true; }")
        before = figure(page, "submitted")
        known = set(ledger_of(client.stack.bootstrap).stories)
        chromium.check(page, "dashboard-02-before-the-run")
        # When a generator run issues prescriptions
        started = hospital.post("/generator/runs", json=RUN, headers=client.operator)
        assert started.status_code == 202, started.text
        # Then the figures move as it goes, without a reload
        page.wait_for_function(
            """before => Number(document.querySelector('[data-figure="submitted"] .n')
                 .textContent.replace(/,/g, '')) > before""",
            arg=before,
            timeout=LIVE,
        )
        page.wait_for_function(
            """() => parseFloat(document.querySelector('[data-figure="submitted-per-s"]')
                 .textContent) > 0""",
            timeout=LIVE,
        )
        chromium.check(page, "dashboard-03-during-the-run")
        run = eventually(
            lambda: hospital.get("/generator/runs/current", headers=client.operator).json(),
            lambda current: current["finished"],
            "the generator run to finish",
        )
        assert run["issued"] + run["refused_at_edge"] == RUN["count"]
        # And once they have ended, the page says what the coordinator says
        ran = set(ledger_of(client.stack.bootstrap).stories) - known
        assert len(ran) == run["issued"]  # the run's ledger: each one it issued, on rx.issued
        ledger, by_state = settled(client, ran)
        for state, count in by_state.items():
            row = page.locator(f'#by-state tr[data-state="{state}"]')
            expect(row).to_contain_text(f"{count:,}", timeout=LIVE)
        total = page.locator('#by-state tr[data-state="total"]')
        expect(total).to_contain_text(f"{sum(by_state.values()):,}", timeout=LIVE)
        # and what the topics say: every submission, and how each ended
        assert ledger.total == before + run["issued"]  # the run's ledger: each one it issued
        outcomes = ledger.outcomes()
        expect(page.locator('[data-figure="submitted"] .n')).to_have_text(f"{ledger.total:,}")
        delivered = outcomes["DELIVERED"] + outcomes["PICKED_UP"]
        expect(page.locator('[data-figure="delivered"] .n')).to_have_text(f"{delivered:,}")
        expect(page.locator('[data-figure="rejected"] .n')).to_have_text(
            f"{outcomes['REJECTED']:,}"
        )
        in_flight = len(ledger.in_flight())  # earlier tests' prescriptions held at a counter
        expect(page.locator('[data-figure="in-flight"] .n')).to_have_text(f"{in_flight:,}")
        assert outcomes["REJECTED"] > 0  # the scenario's faulty prescriptions: refusals to show
        refusals = page.locator("#panel-refusals")
        expect(refusals).to_contain_text(next(iter(ledger.rejections())))
        expect(page.locator("#panel-stages")).to_contain_text("issued → in the citizen's app")
        expect(page.locator("#panel-adoption")).to_contain_text("pilot (thí điểm)")
        expect(page.locator("#panel-lag")).to_contain_text("coordinator")
        assert page.evaluate("() => window.notReloaded") is True
        chromium.check(page, "dashboard-04-after-the-run")


def test_the_operator_finds_a_prescription_by_code_and_by_submission_id(
    client: StackClient, browser: Browser, dashboard: str
) -> None:
    # Given a prescription that went to the door (the run above's, or a run of its own)
    def delivered(ledger: Ledger) -> list[Story]:
        return [s for s in ledger.stories.values() if s.final == State.DELIVERED]

    if not delivered(ledger_of(client.stack.bootstrap)):
        client["hospital"].post("/generator/runs", json=RUN, headers=client.operator)
    ledger = eventually(
        lambda: ledger_of(client.stack.bootstrap), delivered, "a prescription delivered"
    )
    story = delivered(ledger)[0]
    with chromium.desk(browser) as page:
        sign_in(page, dashboard, client.stack.token())
        history = page.locator("#history")
        # When the operator searches its code
        page.get_by_label("Prescription code or submission id").fill(story.prescription_id)
        page.get_by_role("button", name="Search").click()
        # Then its whole history shows, in time order, from the hospital to the door
        timeline = history.get_by_role("list", name="event history")
        expect(timeline).to_contain_text("rx.issued", timeout=LIVE)
        expect(timeline.locator("li.moved").last).to_contain_text("DELIVERED")
        expect(history).to_contain_text(story.submission_id)
        for where in ("hospital", "coordinator", "citizen_app", "pharmacy", "pharmacy.orders"):
            expect(timeline).to_contain_text(where)
        # without whose it is: no CCCD, the name as initials
        shown = history.inner_text()
        assert not [c for c in CITIZENS if c.cccd in shown or c.name in shown]
        expect(timeline).to_contain_text(re.compile(r"in ([^ ]\. )*[^ ]\.'s app"))
        page.locator("#panel-search").scroll_into_view_if_needed()
        chromium.check(page, "dashboard-05-history-by-code")
        # And by its submission id, the same prescription
        page.get_by_label("Prescription code or submission id").fill(story.submission_id)
        page.get_by_role("button", name="Search").click()
        expect(history.get_by_role("heading")).to_have_text(
            f"Prescription {story.prescription_id}", timeout=LIVE
        )
        expect(timeline.locator("li.moved").last).to_contain_text("DELIVERED")
        chromium.check(page, "dashboard-06-history-by-submission")
    # and each search is in the audit trail, as the operator's read of that prescription
    eventually(
        lambda: searches_audited(client, story.prescription_id, story.submission_id),
        lambda found: found == {story.prescription_id, story.submission_id},
        "the dashboard's searches in the audit",
    )


def searches_audited(client: StackClient, *asked: str) -> set[str]:
    """Which of `asked` the dashboard recorded on rx.audit as searched for."""
    found = set()
    for record in read(client.stack.bootstrap, [topics.RX_AUDIT.name]):
        event = parse(record.value) or {}
        searched = (event.get("data") or {}).get("prescription_id")
        if event.get("source") == "rxsim/dashboard" and searched in asked:
            found.add(searched)
    return found


def test_a_wrong_token_is_refused_with_its_reason(
    client: StackClient, browser: Browser, dashboard: str
) -> None:
    with chromium.desk(browser) as page:
        # A token that is not this stack's
        sign_in(page, dashboard, "not-a-token")
        refused = page.get_by_role("alert")
        expect(refused).to_contain_text("TOKEN_INVALID")
        expect(page.get_by_role("heading", name="Operations dashboard")).to_have_count(0)
        chromium.check(page, "dashboard-07-wrong-token-refused")
        # A citizen's token: this stack's, but not the operator's
        sign_in(page, dashboard, client.stack.token(Role.CITIZEN, "001085001234"))
        expect(page.get_by_role("alert")).to_contain_text("WRONG_AUDIENCE")
        expect(page.locator("[data-figure]")).to_have_count(0)
        chromium.check(page, "dashboard-08-citizen-token-refused")
    # and each refusal is in the audit trail, as every service's are
    assert client.audited("127.0.0.1", "GET /api/overview", "TOKEN_INVALID") >= 1
    assert client.audited("001085001234", "GET /api/overview", "WRONG_AUDIENCE") >= 1
