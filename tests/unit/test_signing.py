"""Signed prescriptions without a broker: the canonical form, signing as a facility, and each
way a signature fails to vouch for what arrived."""

import base64
import copy
import json
from collections.abc import Callable
from typing import Any

import orjson
import pytest
import rfc8785
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from rxsim.domain.reasons import Reason
from rxsim.fhir import signing
from rxsim.fhir.canonical import canonical
from tests.support import factories as make

KEYS = signing.FacilityKeys(make.SEED, frozenset(f.code for f in make.COUNTRY.facilities))
FACILITY = make.ONBOARDED_HOSPITAL.code


def resource(bundle: dict[str, Any], kind: str) -> dict[str, Any]:
    return next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind)


def reason(bundle: dict[str, Any], signature: str | None, keys: Any = KEYS) -> Reason | None:
    issue = signing.verify(bundle, signature, keys, FACILITY)
    return None if issue is None else issue.code


def test_a_bundle_signed_by_its_facility_verifies() -> None:
    bundle = make.bundle()
    assert reason(bundle, signing.simulated_signature(bundle, make.SEED, validated=True)) is None


def test_the_signature_is_a_detached_jws_naming_its_facility_and_key() -> None:
    signature = signing.simulated_signature(make.bundle(), make.SEED, validated=True)
    assert signature is not None
    header, payload, _ = signature.split(".")
    decoded = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))
    assert payload == ""
    assert decoded["alg"] == "EdDSA" and decoded["facility"] == FACILITY
    assert decoded["kid"] == signing.simulated_signer(make.SEED, FACILITY).kid


def _drug(b: dict[str, Any]) -> None:
    resource(b, "MedicationRequest")["medicationCodeableConcept"]["coding"][0]["code"] = "VD-1-1"


def _quantity(b: dict[str, Any]) -> None:
    resource(b, "MedicationRequest")["dispenseRequest"]["quantity"]["value"] += 10


def _patient(b: dict[str, Any]) -> None:
    resource(b, "Patient")["identifier"][0]["value"] = "001099012345"


def _prescriber(b: dict[str, Any]) -> None:
    resource(b, "Practitioner")["identifier"][0]["value"] = "000001/HNO-CCHN"


@pytest.mark.parametrize(
    "tamper", [_drug, _quantity, _patient, _prescriber], ids=lambda f: f.__name__[1:]
)
def test_a_prescription_changed_after_signing_is_refused(
    tamper: Callable[[dict[str, Any]], None],
) -> None:
    bundle = make.bundle()
    signature = signing.simulated_signature(bundle, make.SEED, validated=True)
    tampered = copy.deepcopy(bundle)
    tamper(tampered)
    assert tampered != bundle
    assert reason(tampered, signature) == Reason.SIGNATURE_INVALID


def test_an_unsigned_prescription_is_refused() -> None:
    assert reason(make.bundle(), None) == Reason.SIGNATURE_MISSING
    assert reason(make.bundle(), "") == Reason.SIGNATURE_MISSING


@pytest.mark.parametrize("signature", ["garbage", "a.b.c", "..", "e30..AAAA", "!!..!!"])
def test_what_is_not_a_detached_eddsa_jws_is_refused_as_malformed(signature: str) -> None:
    assert reason(make.bundle(), signature) == Reason.SIGNATURE_MALFORMED


def test_a_facility_outside_the_registry_is_unknown() -> None:
    bundle = make.bundle()
    signature = signing.simulated_signature(bundle, make.SEED, validated=True)
    empty = signing.FacilityKeys(make.SEED)
    assert reason(bundle, signature, keys=empty) == Reason.UNKNOWN_FACILITY


def test_a_key_the_registry_does_not_hold_is_unknown() -> None:
    """Another stack's seed derives another key: its key id is not in this registry."""
    bundle = make.bundle()
    signature = signing.simulated_signature(bundle, make.SEED + 1, validated=True)
    assert reason(bundle, signature) == Reason.SIGNATURE_UNKNOWN_KEY


def test_a_signature_by_another_key_under_the_facilitys_key_id_is_invalid() -> None:
    bundle = make.bundle()
    forger = signing.Signer(FACILITY, Ed25519PrivateKey.generate())
    object.__setattr__(forger, "header", signing.simulated_signer(make.SEED, FACILITY).header)
    assert reason(bundle, forger.sign(bundle)) == Reason.SIGNATURE_INVALID


def test_a_facility_cannot_sign_for_another() -> None:
    bundle = make.bundle()
    other = make.NOT_ONBOARDED_HOSPITAL.code
    signature = signing.simulated_signer(make.SEED, other).sign(bundle)
    assert reason(bundle, signature) == Reason.SIGNATURE_FACILITY_MISMATCH


def test_an_external_systems_registered_key_verifies_its_signatures() -> None:
    private = Ed25519PrivateKey.generate()
    pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    keys = signing.FacilityKeys.of(make.SEED, KEYS.simulated, {FACILITY: pem.decode()})
    bundle = make.bundle()
    own = signing.Signer(FACILITY, private).sign(bundle)
    assert reason(bundle, own, keys) is None
    assert reason(bundle, own) == Reason.SIGNATURE_UNKNOWN_KEY  # not registered here
    simulated = signing.simulated_signature(bundle, make.SEED, validated=True)
    assert reason(bundle, simulated, keys) is None  # the simulated key stays valid


def test_a_registered_key_that_is_not_ed25519_pem_is_refused_at_load() -> None:
    with pytest.raises(ValueError):
        signing.FacilityKeys.of(make.SEED, frozenset(), {FACILITY: "not a key"})


def test_the_signature_survives_key_order_whitespace_and_number_spelling() -> None:
    bundle = make.bundle()
    signature = signing.simulated_signature(bundle, make.SEED, validated=True)
    text = json.dumps(bundle, indent=3, ensure_ascii=True)
    reordered = json.loads(text, object_pairs_hook=lambda pairs: dict(reversed(pairs)))
    dose = resource(reordered, "MedicationRequest")["dosageInstruction"][0]["doseAndRate"][0]
    dose["doseQuantity"]["value"] = float(dose["doseQuantity"]["value"])  # 1 written as 1.0
    assert list(reordered) != list(bundle)
    assert reason(reordered, signature) is None


def test_canonical_form_is_jcs() -> None:
    assert canonical({"b": [1.0, -0.0, 2.5, 1e16, 1e-7], "a": "é\u2028\x1f"}) == (
        b'{"a":"\xc3\xa9\xe2\x80\xa8\\u001f","b":[1,0,2.5,10000000000000000,1e-7]}'
    )
    assert canonical({"\ue000": 1, "\U0001f600": 2}) == rfc8785.dumps(
        {"\ue000": 1, "\U0001f600": 2}
    )


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53) + 1, 2**53 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(st.dictionaries(st.text(), JSON, max_size=5))
def test_canonical_form_is_the_reference_jcs_for_any_json(document: dict[str, Any]) -> None:
    assert canonical(document) == rfc8785.dumps(document)
    assert canonical(orjson.loads(orjson.dumps(document))) == canonical(document)
