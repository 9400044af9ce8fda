"""FHIR validated once, at the first hop: a Bundle whose signature says rxsim's hospital edge
validated it is read without a second full validation at the coordinator, and reads the same
as after one; anyone else's Bundle (a registered key, no claim, a claim forged afterwards) is
validated in full, and one that is not what its claim says is validated after all."""

import base64
import copy
import random
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rxsim import fhir
from rxsim.domain.reasons import Reason
from rxsim.fhir import parse, signing
from schemas.events import State
from services.coordinator import handlers
from tests.support import factories as make
from tests.support import hl7_examples

KEYS = make.KEYS


def both_ways(bundle: dict[str, Any]) -> tuple[Any, Any]:
    """What the full validation and the lean read make of a Bundle (a prescription, or the
    reasons it was refused)."""
    found = []
    for validated in (False, True):
        try:
            found.append(fhir.parse_prescription(copy.deepcopy(bundle), validated=validated))
        except fhir.InvalidPrescription as exc:
            found.append([(i.expression, i.code) for i in exc.issues])
    return found[0], found[1]


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 4))
def test_a_valid_bundle_reads_the_same_without_the_second_validation(seed: int, n: int) -> None:
    rng = random.Random(seed)
    drugs = tuple(rng.sample(make.DRUGS, n))
    full, lean = both_ways(make.bundle(drugs=drugs, seed=seed))
    assert full == lean


@pytest.mark.parametrize("example", hl7_examples.EXAMPLES, ids=hl7_examples.name)
def test_hl7s_published_examples_read_the_same_or_are_refused_the_same(example: Any) -> None:
    request = hl7_examples.request(example)
    bundle = hl7_examples.wrapped(request, make.ONBOARDED_HOSPITAL, make.CITIZEN)
    full, lean = both_ways(bundle)
    assert full == lean


def test_a_bundle_that_is_not_what_its_claim_says_is_validated_after_all() -> None:
    broken = make.bundle()
    broken["entry"][0] = {"resource": "not a resource"}
    full, lean = both_ways(broken)
    assert lean == full
    assert isinstance(full, list) and {code for _, code in full} == {Reason.FHIR_INVALID}


def claim_of(signature: str | None) -> Any:
    assert signature is not None
    header = signature.split(".")[0]
    return orjson.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))


def test_only_rxsims_own_validated_signature_spares_the_validation() -> None:
    bundle = make.bundle()
    validated = signing.simulated_signature(bundle, make.SEED, validated=True)
    plain = signing.simulated_signature(bundle, make.SEED, validated=False)
    assert claim_of(validated)["validated"] == signing.VALIDATED
    assert signing.trusts_validation(validated, KEYS)
    assert not signing.trusts_validation(plain, KEYS)
    assert not signing.trusts_validation(None, KEYS)
    assert not signing.trusts_validation("garbage", KEYS)
    # Another stack's key (another seed) claims in vain, and so does an external system's.
    other = signing.simulated_signature(bundle, make.SEED + 1, validated=True)
    assert not signing.trusts_validation(other, KEYS)
    external = signing.Signer(make.ONBOARDED_HOSPITAL.code, signing.simulated_key(7, "x"), True)
    assert not signing.trusts_validation(external.sign(bundle), KEYS)


def test_a_claim_added_to_a_signature_afterwards_is_refused_as_a_forgery() -> None:
    bundle = make.bundle()
    plain = signing.simulated_signature(bundle, make.SEED, validated=False)
    header = {**claim_of(plain), "validated": signing.VALIDATED}
    assert plain is not None
    forged = signing.b64url(orjson.dumps(header)) + "." + plain.partition(".")[2]
    assert signing.trusts_validation(forged, KEYS)  # believed at first…
    event = make.issued(bundle)
    event = event.model_copy(update={"signature": forged})
    outcome = handlers.handle("rx.issued", None, event, None, make.context())
    assert outcome.record is not None and outcome.record.state == State.REJECTED
    assert "SIGNATURE_INVALID" in orjson.dumps(outcome.record.model_dump(mode="json")).decode()


def test_the_coordinator_does_not_validate_again_what_the_hospital_validated(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[Any] = []
    real = parse.errors

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    bundle = make.bundle()
    signed = make.issued(bundle)  # as the hospital's edge signs it
    unclaimed = signed.model_copy(
        update={"signature": signing.simulated_signature(bundle, make.SEED, validated=False)}
    )
    monkeypatch.setattr(parse, "errors", counted)
    outcome = handlers.handle("rx.issued", None, signed, None, make.context())
    assert outcome.record is not None and outcome.record.state == State.AVAILABLE
    assert calls == []  # the hospital's edge validated it and signed it so

    outcome = handlers.handle("rx.issued", None, unclaimed, None, make.context())
    assert outcome.record is not None and outcome.record.state == State.AVAILABLE
    assert calls == [1]
