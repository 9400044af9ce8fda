"""The coordinator takes a prescription only as its facility signed it: what is unsigned,
forged or changed since is refused on rx.status with a reason code, before any national rule,
and takes nothing from the real prescription of that code."""

import copy

from rxsim.domain.reasons import Reason
from schemas.events import State as S
from schemas.events import StatusChanged
from services.coordinator import handlers
from tests.support import factories as make


def refusal(outcome: handlers.Outcome) -> StatusChanged:
    [out] = outcome.out  # one status, and no inbox entry
    status = out.data
    assert isinstance(status, StatusChanged)
    assert (status.previous_state, status.state) == (S.ISSUED, S.REJECTED)
    return status


def test_a_signed_prescription_becomes_available() -> None:
    outcome = handlers.on_issued(None, make.issued(make.bundle()), make.context())
    assert outcome.record is not None and outcome.record.state == S.AVAILABLE


def test_an_unsigned_prescription_is_refused() -> None:
    event = make.issued(make.bundle(), signed=False)
    outcome = handlers.on_issued(None, event, make.context())
    assert refusal(outcome).reason_code == Reason.SIGNATURE_MISSING
    assert outcome.record is not None and outcome.record.state == S.REJECTED


def test_an_unsigned_prescription_goes_on_where_the_scenario_does_not_require_signatures() -> None:
    event = make.issued(make.bundle(), signed=False)
    outcome = handlers.on_issued(None, event, make.context(require_signatures=False))
    assert outcome.record is not None and outcome.record.state == S.AVAILABLE


def test_a_signature_that_is_there_is_checked_even_where_not_required() -> None:
    event = make.issued(make.bundle())
    tampered = event.model_copy(update={"data": copy.deepcopy(event.data)})
    tampered.data["entry"][0]["resource"]["dispenseRequest"]["quantity"]["value"] = 999
    outcome = handlers.on_issued(None, tampered, make.context(require_signatures=False))
    assert refusal(outcome).reason_code == Reason.SIGNATURE_INVALID


def test_a_prescription_changed_after_signing_is_refused_before_the_rules() -> None:
    event = make.issued(make.bundle())
    tampered = event.model_copy(update={"data": copy.deepcopy(event.data)})
    patient = next(e for e in tampered.data["entry"] if e["resource"]["resourceType"] == "Patient")
    patient["resource"]["name"][0]["text"] = "Người Khác"
    outcome = handlers.on_issued(None, tampered, make.context())
    status = refusal(outcome)
    assert status.reason_code == Reason.SIGNATURE_INVALID
    assert status.outcome is not None
    assert status.outcome["issue"][0]["expression"] == ["envelope.signature"]


def test_a_facility_in_no_national_list_cannot_sign() -> None:
    event = make.issued(make.bundle(hospital=make.UNKNOWN_HOSPITAL))
    outcome = handlers.on_issued(None, event, make.context())
    assert refusal(outcome).reason_code == Reason.UNKNOWN_FACILITY


def test_the_national_rule_still_names_an_unknown_facility_of_an_unsigned_pilot() -> None:
    event = make.issued(make.bundle(hospital=make.UNKNOWN_HOSPITAL), signed=False)
    outcome = handlers.on_issued(None, event, make.context(require_signatures=False))
    assert outcome.record is not None
    assert [step.state for step in outcome.record.history] == [S.ISSUED, S.REJECTED]
    assert outcome.record.history[-1].reason_code == Reason.UNKNOWN_FACILITY


def test_a_forgery_does_not_take_the_code_from_the_real_prescription() -> None:
    bundle = make.bundle()
    forged = make.issued(bundle, signed=False)
    first = handlers.on_issued(None, forged, make.context())
    real = handlers.on_issued(first.record, make.issued(bundle), make.context())
    assert real.record is not None and real.record.state == S.AVAILABLE
