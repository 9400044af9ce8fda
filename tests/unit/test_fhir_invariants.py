"""FHIR R4's invariants and full required bindings at the edge (rxsim.fhir.definitions): for
each invariant a prescription may meet, a resource that breaks it is refused with the key, the
element's FHIRPath and issue type `invariant`, and one that keeps it is not."""

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from rxsim.fhir import definitions as spec
from rxsim.fhir.validate import errors, validate
from tests.support import factories as make

MR = "Bundle.entry[0].resource.ofType(MedicationRequest)"
DATA = Path(__file__).parents[1] / "data"


def bundle_with(change: dict[str, Any] | None = None, **bundle_changes: Any) -> dict[str, Any]:
    bundle = copy.deepcopy(make.bundle())
    bundle["entry"][0]["resource"].update(change or {})
    bundle.update(bundle_changes)
    return bundle


def timing(**repeat: Any) -> dict[str, Any]:
    return {"dosageInstruction": [{"text": "x", "timing": {"repeat": repeat}}]}


CASES: list[tuple[str, dict[str, Any], dict[str, Any], str]] = [
    # (key, what breaks it, what keeps it, the element named)
    ("dom-2",  # (the nested Substance, referred to by nothing, breaks dom-3 as well)
     {"contained": [{"resourceType": "Medication", "id": "m",
                     "contained": [{"resourceType": "Substance", "id": "s",
                                    "code": {"text": "s"}}]}],
      "medicationReference": {"reference": "#m"}},
     {"contained": [{"resourceType": "Medication", "id": "m"}],
      "medicationReference": {"reference": "#m"}},
     MR),
    ("dom-3",
     {"contained": [{"resourceType": "Medication", "id": "m", "code": {"text": "x"}}]},
     {"contained": [{"resourceType": "Medication", "id": "m", "code": {"text": "x"}}],
      "medicationReference": {"reference": "#m"}},
     MR),
    ("dom-4",
     {"contained": [{"resourceType": "Medication", "id": "m", "meta": {"versionId": "2"}}],
      "medicationReference": {"reference": "#m"}},
     {"contained": [{"resourceType": "Medication", "id": "m", "meta": {"source": "#x"}}],
      "medicationReference": {"reference": "#m"}},
     MR),
    ("dom-5",
     {"contained": [{"resourceType": "Medication", "id": "m",
                     "meta": {"security": [{"code": "R"}]}}],
      "medicationReference": {"reference": "#m"}},
     {"contained": [{"resourceType": "Medication", "id": "m", "meta": {"tag": [{"code": "R"}]}}],
      "medicationReference": {"reference": "#m"}},
     MR),
    ("ref-1", {"requester": {"reference": "#nobody"}},
     {"requester": {"reference": "Practitioner/1"}}, f"{MR}.requester"),
    ("ele-1", {"category": [{}]}, {"category": [{"text": "outpatient"}]}, f"{MR}.category[0]"),
    ("ext-1", {"extension": [{"url": "http://x"}]},
     {"extension": [{"url": "http://x", "valueString": "y"}]}, f"{MR}.extension[0]"),
    ("qty-3", {"dispenseRequest": {"quantity": {"value": 1, "code": "TAB"}}},
     {"dispenseRequest": {"quantity": {"value": 1, "code": "TAB", "system": "http://x"}}},
     f"{MR}.dispenseRequest.quantity"),
    ("per-1", {"dispenseRequest": {"validityPeriod": {"start": "2025-02-01", "end": "2025-01-01"}}},
     {"dispenseRequest": {"validityPeriod": {"start": "2025-01-01", "end": "2025-02-01"}}},
     f"{MR}.dispenseRequest.validityPeriod"),
    ("rat-1",
     {"dosageInstruction": [{"doseAndRate": [{"rateRatio": {"numerator": {"value": 1}}}]}]},
     {"dosageInstruction": [{"doseAndRate": [{"rateRatio": {"numerator": {"value": 1},
                                                           "denominator": {"value": 2}}}]}]},
     f"{MR}.dosageInstruction[0].doseAndRate[0].rateRatio"),
    ("drt-1",
     {"dispenseRequest": {"expectedSupplyDuration": {
         "value": 5, "code": "d", "system": "http://x"}}},
     {"dispenseRequest": {"expectedSupplyDuration": {
         "value": 5, "code": "d", "system": "http://unitsofmeasure.org"}}},
     f"{MR}.dispenseRequest.expectedSupplyDuration"),
    ("tim-1", timing(duration=1), timing(duration=1, durationUnit="h"), "timing.repeat"),
    ("tim-2", timing(period=1), timing(period=1, periodUnit="d"), "timing.repeat"),
    ("tim-4", timing(duration=-1, durationUnit="h"), timing(duration=0, durationUnit="h"),
     "timing.repeat"),
    ("tim-5", timing(period=-1, periodUnit="d"), timing(period=1, periodUnit="d"),
     "timing.repeat"),
    ("tim-6", timing(periodMax=2), timing(period=1, periodMax=2, periodUnit="d"),
     "timing.repeat"),
    ("tim-7", timing(durationMax=2), timing(duration=1, durationMax=2, durationUnit="h"),
     "timing.repeat"),
    ("tim-8", timing(countMax=2), timing(count=1, countMax=2), "timing.repeat"),
    ("tim-9", timing(offset=30, when=["C"]), timing(offset=30, when=["ACM"]), "timing.repeat"),
    ("tim-10", timing(timeOfDay=["08:00:00"], when=["MORN"]), timing(timeOfDay=["08:00:00"]),
     "timing.repeat"),
]  # fmt: skip


@pytest.mark.parametrize(("key", "broken", "kept", "where"), CASES, ids=[c[0] for c in CASES])
def test_a_resource_that_breaks_an_invariant_is_refused_and_one_that_keeps_it_is_not(
    key: str, broken: dict[str, Any], kept: dict[str, Any], where: str
) -> None:
    found = [i for i in errors(bundle_with(broken)) if i.fhir_code == "invariant"]
    named = [i.expression for i in found if i.message.startswith(f"{key}:")]
    assert len(named) == 1 and named[0].startswith(MR) and named[0].endswith(where), found
    assert all(i.expression.startswith(MR) for i in found)
    assert [i for i in errors(bundle_with(kept)) if i.fhir_code == "invariant"] == []


BUNDLE_CASES = [
    ("bdl-1", {"total": 3}, {"type": "searchset", "total": 3}),
    ("bdl-9", {"type": "document", "identifier": {"value": "x"}}, None),
    ("bdl-12", {"type": "message"}, None),
]


@pytest.mark.parametrize(("key", "broken", "kept"), BUNDLE_CASES, ids=[c[0] for c in BUNDLE_CASES])
def test_the_bundles_own_invariants(
    key: str, broken: dict[str, Any], kept: dict[str, Any] | None
) -> None:
    keys = {
        i.message.split(":")[0] for i in errors(bundle_with(**broken)) if i.expression == "Bundle"
    }
    assert key in keys
    if kept is not None:
        assert key not in {i.message.split(":")[0] for i in errors(bundle_with(**kept))}


def test_an_entry_with_a_version_specific_full_url_breaks_bdl_8() -> None:
    bundle = bundle_with()
    bundle["entry"][1]["fullUrl"] = "http://x/Patient/1/_history/2"
    found = [i for i in errors(bundle) if i.fhir_code == "invariant"]
    assert [(i.expression, i.message.split(":")[0]) for i in found] == [
        ("Bundle.entry[1]", "bdl-8")
    ]


def test_a_resource_without_narrative_is_warned_of_but_valid() -> None:
    issues = validate(make.bundle())
    assert issues and {(i.severity, i.message.split(":")[0]) for i in issues} == {
        ("warning", "dom-6")
    }
    assert errors(make.bundle()) == []


def test_organization_telecom_of_use_home_breaks_org_3() -> None:
    bundle = bundle_with()
    index = make.entry_index(bundle, "Organization")
    organization = make.resource(bundle, "Organization")
    organization["telecom"] = [{"system": "phone", "value": "1", "use": "home"}]
    found = [(i.expression, i.message.split(":")[0]) for i in errors(bundle)]
    assert found == [(f"Bundle.entry[{index}].resource.ofType(Organization).telecom[0]", "org-3")]


@pytest.mark.parametrize(
    ("resource", "where"),
    [
        ({"resourceType": "Task", "status": "rejected-ish", "intent": "order"}, "Task.status"),
        ({"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "oops"}]},
         "OperationOutcome.issue[0].code"),
        ({"resourceType": "AuditEvent", "type": {"code": "rest"}, "action": "X",
          "recorded": "2025-01-01T00:00:00Z", "agent": [{"requestor": True}],
          "source": {"observer": {"display": "x"}}}, "AuditEvent.action"),
    ],
    ids=["Task.status", "OperationOutcome.issue.code", "AuditEvent.action"],
)  # fmt: skip
def test_a_binding_fhir_resources_cuts_short_or_omits_is_enforced_in_full(
    resource: dict[str, Any], where: str
) -> None:
    assert [(i.expression, i.fhir_code) for i in errors(resource)] == [(where, "code-invalid")]
    kept = copy.deepcopy(resource)
    node: Any = kept
    *steps, last = where.replace("[0]", ".0").split(".")[1:]
    for step in steps:
        node = node[int(step)] if step.isdigit() else node[step]
    node[last] = {"Task.status": "rejected", "AuditEvent.action": "R"}.get(where, "invalid")
    assert errors(kept) == []


def _published() -> list[dict[str, Any]]:
    paths = [*DATA.glob("fhir-corpus/*/*.json"), *DATA.glob("hl7-r4-examples/*.json")]
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(paths)]


def test_skipping_elements_an_invariant_cannot_fail_on_changes_no_verdict(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The shortcuts of rxsim.fhir.definitions (an element with none of the names an
    invariant's paths start with gets the answer for an empty one; the plain-Python verdicts
    of rxsim.fhir.plain_invariants) give what evaluating the FHIRPath always gives."""
    resources = [
        *_published(), make.bundle(), *(bundle_with(broken) for _, broken, _, _ in CASES),
    ]  # fmt: skip
    quick = [validate(r) for r in resources]

    monkeypatch.setattr(spec.Invariant, "holds", spec.Invariant.published)
    assert [validate(r) for r in resources] == quick
