"""`rxsim fhir wrap`, `keygen`, `sign`: FHIR helpers for talking to the stack by hand."""

import json
import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.markup import escape

from rxsim import scenario as scenarios
from rxsim.cli.options import ScenarioOpt, console, err

fhir_app = typer.Typer(help="FHIR helpers for talking to the stack by hand.", no_args_is_help=True)


def _fail(message: str) -> NoReturn:
    err.print(f"[red]error:[/] {escape(message)}")  # stderr, one line however long
    raise typer.Exit(2)


def read_json(path: Path) -> Any:
    """The JSON in `path` ('-': standard input), or a one-line error and exit 2."""
    try:
        text = sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")
    except FileNotFoundError:
        _fail(f"no file {path}")
    except (OSError, UnicodeDecodeError) as exc:
        _fail(f"cannot read {path}: {exc}")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        _fail(f"{path} is not JSON: {exc}")


def _load(scenario: str) -> scenarios.Scenario:
    try:
        return scenarios.load(scenario)
    except (FileNotFoundError, ValueError) as exc:
        _fail(str(exc).splitlines()[0])


def medication_requests(loaded: Any, path: Path) -> list[dict[str, Any]]:
    """The MedicationRequests to wrap: the one given, each of a list, or those of a Bundle;
    anything else is refused, naming what it is."""
    if isinstance(loaded, dict) and loaded.get("resourceType") == "Bundle":
        requests = [
            entry["resource"]
            for entry in loaded.get("entry") or []
            if isinstance(entry, dict)
            and isinstance(entry.get("resource"), dict)
            and entry["resource"].get("resourceType") == "MedicationRequest"
        ]
        if not requests:
            _fail(f"{path} is a Bundle without a MedicationRequest: nothing to wrap")
        return requests
    given = loaded if isinstance(loaded, list) else [loaded]
    if not given:
        _fail(f"{path} is an empty list: nothing to wrap")
    for index, item in enumerate(given):
        kind = item.get("resourceType") if isinstance(item, dict) else None
        if kind != "MedicationRequest":
            what = f"a {kind}" if kind else f"not a FHIR resource ({type(item).__name__})"
            where = f"item {index} of {path}" if isinstance(loaded, list) else str(path)
            _fail(
                f"{where} is {what}: `rxsim fhir wrap` wraps MedicationRequests (one, a list "
                "of them, or a Bundle holding them)"
            )
    return given


def _check_label(
    requests: list[dict[str, Any]], number: str, register: dict[str, Any], scenario: str
) -> None:
    """A registration number names one drug: labelling another with it would relabel the
    prescription (HL7's chlorthalidone sold as amlodipine), so it is refused, naming both."""
    from rxsim.fhir import bundles

    drug = register.get(number)
    if drug is None:
        _fail(f"{number} is not in the drug register of scenario {scenario!r}")
    for index, request in enumerate(requests):
        why = bundles.label_mismatch(request, drug)
        if why is not None:
            which = f"MedicationRequest {index}" if len(requests) > 1 else "the MedicationRequest"
            _fail(f"--registration-number {number} is {drug.name} ({drug.generic or drug.name}), "
                  f"not the drug of {which}: {why}")  # fmt: skip


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
            "the request's own medication coding; it must be in the scenario's drug register "
            "and name the same drug: an ATC coding on the request must match the register's, "
            "else the request's drug text or coding displays (RxNorm, SNOMED CT…) must contain "
            "the register's active ingredient (its generic name; strength and form are not "
            "compared)",
        ),
    ] = None,
    scenario: ScenarioOpt = "pilot",
) -> None:
    """Wrap MedicationRequest(s) into a prescription Bundle ready to POST to the hospital."""
    import random
    from datetime import date

    from rxsim.fhir import bundles, synthetic

    if cccd is not None and not (len(cccd) == 12 and cccd.isdigit()):
        _fail(f"--cccd must be 12 digits (got {cccd!r}): the patient's birth year and sex are "
              "read from it")  # fmt: skip
    requests = medication_requests(read_json(path), path)
    loaded = _load(scenario)
    for icd10 in diagnosis or []:
        requests = [bundles.with_diagnosis(request, icd10) for request in requests]
    if registration_number:
        _check_label(requests, registration_number, loaded.catalog.drug_by_code, scenario)
        requests = [bundles.with_registration_number(r, registration_number) for r in requests]
    country = loaded.country
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


@fhir_app.command("keygen")
def fhir_keygen(
    out: Annotated[Path, typer.Argument(help="where to write the new private key (PEM, PKCS#8)")],
    facility: Annotated[str, typer.Option(help="the facility code the key signs for")],
) -> None:
    """Make an Ed25519 key pair for a hospital system: the private key to a file it keeps,
    and the public key as the scenario's \\[security.public_keys] line that registers it."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from rxsim.fhir import signing

    if out.exists():
        console.print(f"[red]error:[/] {out} exists: a private key is not overwritten")
        raise typer.Exit(2)
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    try:
        out.touch(mode=0o600)  # private before the key is in it
        out.write_bytes(private)
    except OSError as exc:
        _fail(f"cannot write {out}: {exc.strerror or exc}")
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    print(f"# key id {signing.key_id(key.public_key())}; private key in {out}")
    print("[security.public_keys]")
    print(f'"{facility}" = """\n{public.decode().strip()}\n"""')


@fhir_app.command("sign")
def fhir_sign(
    path: Annotated[Path, typer.Argument(help="a prescription Bundle ('-' reads standard input)")],
    key: Annotated[
        Path | None,
        typer.Option(
            help="the facility's Ed25519 private key (PEM); default: the simulated key of the "
            "Bundle's facility in --scenario"
        ),
    ] = None,
    envelope: Annotated[
        bool,
        typer.Option(
            "--envelope", help="print the whole rx.issued event, signed, ready to produce"
        ),
    ] = False,
    scenario: ScenarioOpt = "pilot",
) -> None:
    """Sign a prescription Bundle as its facility (the Organization's facility code): print
    the signature for the envelope's `signature`, or the whole event with --envelope."""
    from rxsim.fhir import InvalidPrescription, parse, signing
    from rxsim.messaging import codec
    from schemas import topics

    bundle = read_json(path)
    kind = bundle.get("resourceType") if isinstance(bundle, dict) else None
    if kind != "Bundle":
        what = f"a {kind}" if kind else "not a FHIR resource"
        _fail(f"{path} is {what}, not a prescription Bundle: make one with `rxsim fhir wrap`")
    facility = parse.facility_code(bundle) if isinstance(bundle, dict) else None
    code = parse.prescription_code(bundle) if isinstance(bundle, dict) else None
    if facility is None or code is None:
        console.print("[red]error:[/] not a prescription Bundle with a facility code and a code")
        raise typer.Exit(2)
    try:  # a Bundle that passes is signed as validated, which spares a second validation
        parse.parse_prescription(bundle)
        validated = True
    except InvalidPrescription:
        validated = False  # signed all the same: the coordinator validates it and says why
    if key is None:
        signer = signing.simulated_signer(_load(scenario).seed, facility, validated)
    else:
        try:
            private = signing.private_key_from_pem(key.read_bytes())
        except OSError as exc:
            _fail(f"cannot read the key {key}: {exc.strerror or exc}")
        except (ValueError, TypeError) as exc:  # TypeError: an encrypted key
            _fail(f"{key} is not an unencrypted Ed25519 private key in PEM: {exc}")
        signer = signing.Signer(facility, private, validated)
    signature = signer.sign(bundle)
    if not envelope:
        print(signature)
        return
    event = codec.new_event(
        topics.RX_ISSUED, source=f"urn:facility:{facility}", subject=code, data=bundle,
        signature=signature,
    )  # fmt: skip
    print(json.dumps(event, ensure_ascii=False))


@fhir_app.command("validate")
def fhir_validate(
    path: Annotated[Path, typer.Argument(help="a FHIR R4 resource in JSON ('-': standard input)")],
    edge: Annotated[
        bool,
        typer.Option(
            "--edge",
            help="also what the hospital's edge asks of every prescription Bundle (its "
            "resources, code, CCCD, facility, status, quantities); the national rules run later",
        ),
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="print the OperationOutcome (application/fhir+json)")
    ] = False,
) -> None:
    """Validate a FHIR R4 resource as the hospital's edge does: structure, required value
    sets, formats, FHIR's invariants, contained resources. Exit 0 valid (warnings, such as
    dom-6, are shown), 1 invalid (each problem with its FHIRPath), 2 unreadable."""
    from rxsim.fhir import InvalidPrescription, parse_prescription
    from rxsim.fhir.outgoing import operation_outcome
    from rxsim.fhir.validate import validate

    resource = read_json(path)
    issues = validate(resource)
    invalid = any(issue.severity == "error" for issue in issues)
    if edge and not invalid:
        try:
            parse_prescription(resource)
        except InvalidPrescription as refused:
            issues, invalid = refused.issues, True
    if as_json:
        outcome = operation_outcome(issues)
        if not issues:
            outcome["issue"] = [{"severity": "information", "code": "informational"}]
        sys.stdout.write(json.dumps(outcome, ensure_ascii=False, indent=2) + "\n")
    else:
        for issue in issues:
            colour = "red" if issue.severity == "error" else "yellow"
            console.print(
                f"[{colour}]{issue.severity}[/] {issue.fhir_code} {escape(issue.expression)}: "
                f"{escape(issue.message)}",
                soft_wrap=True,
            )
        if not invalid:
            kind = resource.get("resourceType") if isinstance(resource, dict) else None
            console.print(f"{escape(str(path))}: valid FHIR R4 {kind}", soft_wrap=True)
    if invalid:
        raise typer.Exit(1)
