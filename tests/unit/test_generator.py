"""The built-in generator: deterministic synthetic prescriptions that all pass the edge, with the
scenario's share of deliberate faults."""

import re
from functools import cache

from rxsim import fhir, scenario
from rxsim.fhir import Prescription
from rxsim.scenario import Faults, Scenario
from services.hospital.generator import synthetic_prescriptions

CODE = re.compile(r"^[0-9a-z]{12}-[cnhy]$")
COUNT = 200


@cache
def pilot() -> Scenario:
    return scenario.load("pilot")


def with_faults(**shares: float) -> Scenario:
    faults = Faults(
        **{"not_onboarded_facility": 0, "duplicate_code": 0, "malformed_code": 0, **shares}
    )
    return pilot().model_copy(update={"faults": faults})


def generate(s: Scenario, count: int = COUNT) -> list[Prescription]:
    return [fhir.parse_prescription(bundle) for bundle in synthetic_prescriptions(s, count)]


def fingerprint(rx: Prescription) -> tuple[object, ...]:
    return (rx.code, rx.facility_code, rx.citizen_id, rx.prescriber_name, rx.items)


def test_the_prescriptions_are_deterministic_for_the_scenario() -> None:
    first = [fingerprint(rx) for rx in generate(pilot())]
    again = [fingerprint(rx) for rx in generate(pilot())]

    assert first == again


def test_another_seed_gives_other_prescriptions() -> None:
    other = pilot().model_copy(update={"seed": pilot().seed + 1})

    assert [rx.code for rx in generate(pilot(), 20)] != [rx.code for rx in generate(other, 20)]


def test_every_generated_bundle_passes_the_edge() -> None:
    # parse_prescription raises on any bundle that would be refused at the edge
    prescriptions = generate(pilot())

    assert len(prescriptions) == COUNT
    assert all(rx.simulated for rx in prescriptions)


def test_codes_follow_the_national_pattern_except_the_deliberately_malformed() -> None:
    # Given the pilot scenario, which makes a share of codes malformed on purpose
    codes = [rx.code for rx in generate(pilot())]
    # Then every code matches the pattern, or is a valid code turned upper case
    malformed = [code for code in codes if not CODE.match(code)]
    assert malformed, "the pilot's malformed_code share should produce at least one"
    assert len(malformed) < len(codes) * 0.1
    assert all(CODE.match(code.lower()) and code != code.lower() for code in malformed)


def test_without_faults_every_code_is_well_formed_unique_and_from_its_facility() -> None:
    s = with_faults()

    prescriptions = generate(s)

    codes = [rx.code for rx in prescriptions]
    assert all(CODE.match(code) for code in codes)
    assert len(set(codes)) == len(codes)
    assert all(rx.code[:5] == rx.facility_code for rx in prescriptions)
    assert all(rx.facility_code in s.onboarded_facilities for rx in prescriptions)


def test_a_malformed_share_of_one_makes_every_code_malformed() -> None:
    codes = [rx.code for rx in generate(with_faults(malformed_code=1.0), 30)]

    assert not [code for code in codes if CODE.match(code)]


def test_a_not_onboarded_share_of_one_sends_from_facilities_not_onboarded() -> None:
    s = with_faults(not_onboarded_facility=1.0)

    facilities = {rx.facility_code for rx in generate(s, 30)}

    assert facilities
    assert not facilities & s.onboarded_facilities


def test_a_duplicate_share_re_uses_codes_already_sent() -> None:
    codes = [rx.code for rx in generate(with_faults(duplicate_code=0.5), 60)]

    assert len(set(codes)) < len(codes)
