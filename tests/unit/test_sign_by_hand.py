"""An external hospital system signs by hand as the README shows: `rxsim fhir keygen`, the
public key registered in a scenario file, `rxsim fhir sign --envelope`; the coordinator of
that scenario takes the event, and refuses it once the Bundle is changed."""

import copy
import json
import random
from pathlib import Path

from typer.testing import CliRunner

from rxsim import scenario as scenarios
from rxsim.cli.fhir import fhir_app
from rxsim.domain.reasons import Reason
from rxsim.fhir import bundles, synthetic
from schemas.envelope import Envelope
from schemas.events import State
from services.coordinator import handlers
from services.coordinator.context import context_for

runner = CliRunner()


def test_a_key_made_registered_and_signed_with_by_hand_is_trusted(tmp_path: Path) -> None:
    pilot = scenarios.load("pilot")
    hospital = next(h for h in pilot.country.hospitals if h.code in pilot.onboarded_facilities)
    citizen = next(c for c in pilot.country.citizens if c.province == hospital.province)
    rng = random.Random(7)
    bundle = synthetic.prescription(
        rng,
        code=bundles.new_code(rng, hospital.code),
        hospital=hospital,
        citizen=citizen,
        drugs=[d for d in pilot.catalog.drugs if d.type_letter == "c"][:1],
        diagnoses=["J06.9"],
    )
    # Given a key pair made for the facility, its public key registered in a scenario
    made = runner.invoke(
        fhir_app, ["keygen", str(tmp_path / "key.pem"), "--facility", hospital.code]
    )
    assert made.exit_code == 0, made.output
    assert (
        runner.invoke(fhir_app, ["keygen", str(tmp_path / "key.pem"), "--facility", "x"]).exit_code
        == 2
    )
    pilot_toml = scenarios.SCENARIO_DIR.joinpath("pilot.toml").read_text(encoding="utf-8")
    registered = tmp_path / "registered.toml"
    registered.write_text(pilot_toml + "\n" + made.output.split("\n", 1)[1], encoding="utf-8")
    scenario = scenarios.load(str(registered))
    # When the Bundle is signed with the private key into an rx.issued event
    (tmp_path / "bundle.json").write_text(json.dumps(bundle), encoding="utf-8")
    signed = runner.invoke(
        fhir_app,
        ["sign", str(tmp_path / "bundle.json"), "--key", str(tmp_path / "key.pem"), "--envelope"],
    )
    assert signed.exit_code == 0, signed.output
    event = Envelope.model_validate_json(signed.output)
    # Then that scenario's coordinator takes it, and pilot's (which does not hold the key) not
    taken = handlers.on_issued(None, event, context_for(scenario))
    assert taken.record is not None and taken.record.state == State.AVAILABLE
    elsewhere = handlers.on_issued(None, event, context_for(pilot))
    assert elsewhere.record is not None
    assert elsewhere.record.history[-1].reason_code == Reason.SIGNATURE_UNKNOWN_KEY
    # ...nor once a quantity is changed after signing
    changed = event.model_copy(update={"data": copy.deepcopy(event.data)})
    request = next(
        e["resource"]
        for e in changed.data["entry"]
        if e["resource"]["resourceType"] == "MedicationRequest"
    )
    request["dispenseRequest"]["quantity"]["value"] += 1
    refused = handlers.on_issued(None, changed, context_for(scenario))
    assert refused.record is not None
    assert refused.record.history[-1].reason_code == Reason.SIGNATURE_INVALID


def test_a_public_key_can_be_registered_as_a_pem_file_beside_the_scenario(tmp_path: Path) -> None:
    made = runner.invoke(fhir_app, ["keygen", str(tmp_path / "key.pem"), "--facility", "01001"])
    pem = made.output.split('"""')[1].strip()
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "01001.pem").write_text(pem, encoding="ascii")
    pilot_toml = scenarios.SCENARIO_DIR.joinpath("pilot.toml").read_text(encoding="utf-8")
    path = tmp_path / "with-file.toml"
    path.write_text(pilot_toml + '\n[security.public_keys]\n"01001" = "keys/01001.pem"\n')
    keys = scenarios.load(str(path)).facility_keys()
    [kid] = keys.registered["01001"]
    assert made.output.startswith(f"# key id {kid};")
