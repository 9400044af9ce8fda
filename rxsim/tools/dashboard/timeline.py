"""A prescription's whole history for the dashboard's search, read from every topic on demand
as `rxsim trace` reads it (nothing is kept between searches), and told without whose it is: the
operator sees where a prescription went, as at the coordinator, not the citizen's name, CCCD
or address."""

from typing import Any

from rxsim.domain.privacy import initials, masked
from rxsim.tools.live import parse
from rxsim.tools.story import data_of, prescription_of, story
from rxsim.tools.topic_reader import read
from schemas.topics import ALL_TOPICS

MAX_STEPS = 500  # a code resubmitted without end would make an endless page


def matches(topic: str, event: dict[str, Any], query: str) -> bool:
    """The event is about the prescription `query` names, or belongs to the submission."""
    return prescription_of(topic, event) == query or event.get("correlationid") == query


def without_whose(event: dict[str, Any]) -> dict[str, Any]:
    """The event with the patient's name as initials and no address (the story's summaries
    would quote them)."""
    data = dict(data_of(event))
    if data.get("patient_name"):
        data["patient_name"] = initials(str(data["patient_name"]))
    if data.get("address"):
        data["address"] = "an address"
    return {**event, "data": data}


def steps_of(found: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    """The story's steps as the page shows them, any CCCD in them masked but its province."""
    return [
        {
            "at": step.at, "service": step.service, "topic": step.topic,
            "event": step.event,
            "summary": masked(step.summary), "state": step.state,
            "state_changed": step.state_changed,
        }
        for step in story([(topic, without_whose(event)) for topic, event in found])
    ][:MAX_STEPS]  # fmt: skip


def search(bootstrap: str, query: str) -> tuple[dict[str, Any], str | None]:
    """Every event about a prescription code or a submission id, oldest first, for the page;
    and whose prescription it is (the CCCD, for the audit record only)."""
    found = []
    for record in read(bootstrap, [t.name for t in ALL_TOPICS]):
        event = parse(record.value, record.headers)
        if event is not None and matches(record.topic, event, query):
            found.append((record.topic, event))
    codes = sorted({str(e.get("subject")) for t, e in found if t == "rx.status"})
    submissions = sorted({str(e["correlationid"]) for _, e in found if e.get("correlationid")})
    citizen = next(
        (str(data_of(e)["citizen_id"]) for t, e in found if data_of(e).get("citizen_id")), None
    )
    return {
        "query": query,
        "prescriptions": codes,
        "submissions": submissions,
        "steps": steps_of(found),
    }, citizen
