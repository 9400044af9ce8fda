"""`rxsim fhir wrap`: FHIR helpers for talking to the stack by hand."""

import sys
from pathlib import Path
from typing import Annotated

import typer

from rxsim import scenario as scenarios
from rxsim.cli.options import ScenarioOpt, console

fhir_app = typer.Typer(help="FHIR helpers for talking to the stack by hand.", no_args_is_help=True)


@fhir_app.command("wrap")
def fhir_wrap(
    path: Annotated[
        Path,
        typer.Argument(
            help="a MedicationRequest, a JSON list of them, or a "
            "Bundle holding them ('-' reads standard input)"
        ),
    ],
    facility: Annotated[str, typer.Option(help="facility code of the issuing hospital")] = "01001",
    cccd: Annotated[
        str | None,
        typer.Option(
            help="the patient's CCCD; birth year and sex are taken from it "
            "(default: a synthetic adult of the hospital's province)"
        ),
    ] = None,
    name: Annotated[str, typer.Option(help="the patient's name, with --cccd")] = "Nguyễn Văn An",
    code: Annotated[
        str | None,
        typer.Option(help="prescription code (default: a new one, typed by the drugs)"),
    ] = None,
    diagnosis: Annotated[
        list[str] | None,
        typer.Option(
            "--diagnosis", help="ICD-10 code added to each MedicationRequest's reasonCode"
        ),
    ] = None,
    registration_number: Annotated[
        str | None,
        typer.Option(
            "--registration-number",
            help="the drug's registration number (số đăng ký, e.g. VD-25123-18), added beside "
            "the request's own medication coding",
        ),
    ] = None,
    scenario: ScenarioOpt = "pilot",
) -> None:
    """Wrap MedicationRequest(s) into a prescription Bundle ready to POST to the hospital."""
    import json
    import random
    from datetime import date

    from rxsim.fhir import bundles, synthetic

    text = sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")
    loaded = json.loads(text)
    if isinstance(loaded, dict) and loaded.get("resourceType") == "Bundle":
        requests = [
            e["resource"]
            for e in loaded.get("entry", [])
            if e.get("resource", {}).get("resourceType") == "MedicationRequest"
        ]
    else:
        requests = loaded if isinstance(loaded, list) else [loaded]
    for icd10 in diagnosis or []:
        requests = [bundles.with_diagnosis(request, icd10) for request in requests]
    if registration_number:
        requests = [bundles.with_registration_number(r, registration_number) for r in requests]
    country = scenarios.load(scenario).country
    hospital = country.hospital_by_code.get(facility)
    if hospital is None:
        console.print(f"[red]error:[/] no facility {facility!r} in scenario {scenario!r}")
        raise typer.Exit(2)
    if cccd:
        citizen = synthetic.citizen_of_cccd(cccd, name, hospital.province)
    else:  # an adult: a child's prescription needs a weight and a guardian the requests lack
        citizen = next(
            c
            for c in country.citizens
            if c.province == hospital.province
            and not synthetic.REGULATION.is_child(c.birth_date, date.today())
        )
    letter = bundles.type_letter_of(requests)
    bundle = bundles.wrap(
        requests,
        code=code or bundles.new_code(random.SystemRandom(), facility, letter),
        hospital=hospital,
        citizen=citizen,
        prescriber=("BS. Trần Thị Lan", f"000123/{facility}-CCHN"),
    )
    print(json.dumps(bundle, ensure_ascii=False, indent=2))
