"""A run of the real services, its topics and its logs scanned for the citizens' CCCDs, names
and addresses and for the tokens it used: each topic carries only the personal data that
schemas/topics.py says its readers need (`Topic.personal`), no topic carries a token, and no
log carries any of them in clear.

The run has a stack of its own, so that what the scan finds is what the services sent (other
tests write hostile and forged events on the shared stack's topics on purpose)."""

import re
from collections import defaultdict
from collections.abc import Iterator

import pytest

from rxsim.domain.states import TERMINAL
from rxsim.messaging.settings import Settings
from rxsim.messaging.tokens import Role
from rxsim.scenario import load
from rxsim.tools.stack import Stack, with_free_ports
from rxsim.tools.topic_reader import read
from schemas.topics import ALL_TOPICS, BY_NAME, Personal
from tests.integration.conftest import TEST_SPEEDUP
from tests.support.stack_client import STACK_SCENARIO, StackClient, eventually

pytestmark = pytest.mark.integration

COUNTRY = load(str(STACK_SCENARIO)).country
PRESCRIPTIONS = 30
JWT = re.compile(rb"eyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]{16,}")  # a compact JWS with a payload


def finder(values: set[str]) -> re.Pattern[bytes]:
    alternatives = sorted((re.escape(v.encode()) for v in values if v), key=len, reverse=True)
    return re.compile(rb"(?<![\w])(" + b"|".join(alternatives) + rb")(?![\w])")


PEOPLE = COUNTRY.citizens
PERSONAL = {
    Personal.CCCD: finder({c.cccd for c in PEOPLE}),
    Personal.NAME: finder({c.name for c in PEOPLE} | {c.guardian for c in PEOPLE}),
    Personal.ADDRESS: finder({c.address for c in PEOPLE}),
}


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Stack, list[str]]]:
    """A stack of its own through a generator run until every prescription ended, with a
    citizen, a facility and the operator calling the APIs with their tokens; the tokens."""
    settings = with_free_ports(
        Settings().model_copy(update={"scenario": str(STACK_SCENARIO), "speedup": TEST_SPEEDUP})
    )
    stack = Stack(settings, log_dir=tmp_path_factory.mktemp("scanned-logs"))
    stack.start()
    try:
        client = StackClient(stack)
        started = client["hospital"].post(
            "/generator/runs", json={"count": PRESCRIPTIONS, "rate": 30}, headers=client.operator
        )
        assert started.status_code == 202, started.text

        def ended() -> dict[str, int]:
            stats = client["coordinator"].get("/stats", headers=client.operator).json()
            return {state: n for state, n in stats["by_state"].items()}

        eventually(
            ended,
            lambda by_state: (
                sum(by_state.values()) == PRESCRIPTIONS
                and all(state in TERMINAL for state in by_state)
            ),
            "every prescription of the run at its end",
            timeout=120,
        )
        citizen = COUNTRY.citizens[0]
        code = client["citizen_app"].post("/auth/otp", json={"cccd": citizen.cccd}).json()
        token = (
            client["citizen_app"]
            .post("/auth/token", json={"cccd": citizen.cccd, "code": code["simulated_code"]})
            .json()["access_token"]
        )
        as_citizen = {"Authorization": f"Bearer {token}"}
        mine = client["citizen_app"].get(
            f"/citizens/{citizen.cccd}/prescriptions", headers=as_citizen
        )
        assert mine.status_code == 200
        facility = client.facility(COUNTRY.hospitals[0].code)
        assert client["hospital"].get("/submissions/none", headers=facility).status_code == 404
        used = [token, stack.token(), stack.token(Role.FACILITY, COUNTRY.hospitals[0].code)]
        yield stack, used
    finally:
        stack.stop()


def test_each_topic_carries_only_the_personal_data_its_readers_need(
    run: tuple[Stack, list[str]],
) -> None:
    stack, tokens = run
    found: dict[str, set[Personal]] = defaultdict(set)
    with_tokens: set[str] = set()
    records = 0
    for record in read(stack.bootstrap, [t.name for t in ALL_TOPICS]):
        raw = (record.key or b"") + b" " + (record.value or b"")
        records += 1
        for kind, pattern in PERSONAL.items():
            if pattern.search(raw):
                found[record.topic].add(kind)
        if JWT.search(raw) or any(t.encode() in raw for t in tokens):
            with_tokens.add(record.topic)

    assert records > PRESCRIPTIONS * 10  # the run's whole story is there to scan
    beyond = {
        topic: sorted(kinds - BY_NAME[topic].personal)
        for topic, kinds in found.items()
        if kinds - BY_NAME[topic].personal
    }
    assert beyond == {}, "personal data on topics that do not declare it"
    assert with_tokens == set(), "tokens on topics"
    # and the scan does see what it looks for, where it is declared
    assert Personal.CCCD in found["rx.issued"] and Personal.NAME in found["citizen.inbox"]


def test_no_log_carries_a_cccd_a_name_an_address_or_a_token(
    run: tuple[Stack, list[str]],
) -> None:
    stack, tokens = run
    logs = sorted(stack.log_dir.glob("*.log"))
    assert {log.stem for log in logs} >= {"hospital", "coordinator", "pharmacy", "citizen_app"}
    found: dict[str, list[str]] = defaultdict(list)
    for log in logs:
        text = log.read_bytes()
        assert b"GET /citizens/" in text or log.stem != "citizen_app"  # the access lines are there
        for kind, pattern in PERSONAL.items():
            found[log.name] += [f"{kind}: {m.group(0).decode()}" for m in pattern.finditer(text)][
                :3
            ]
        if JWT.search(text) or any(t.encode() in text for t in tokens):
            found[log.name].append("a token")

    assert {log: seen for log, seen in found.items() if seen} == {}
