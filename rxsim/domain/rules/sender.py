"""Rules on who sends the prescription: a facility connected in this rollout phase, a
prescriber with a practising certificate, and narcotics only from hospitals with beds; with
the faults that break them."""

from collections.abc import Collection, Mapping

from rxsim.domain.prescription import Issue, Prescription
from rxsim.domain.reasons import Reason
from rxsim.domain.reference.country import Hospital
from rxsim.domain.rules.lookup import Lookup, missing, refusal
from rxsim.domain.rules.rule import Bundle, Draw, Fault, Rule, resources


def facility_onboarded(
    rx: Prescription, known: Collection[str], onboarded: Collection[str]
) -> list[Issue]:
    """Only facilities connected in the current rollout phase may send prescriptions."""
    if rx.facility_code not in known:
        return [
            refusal(
                f"{rx.organization_where}.identifier",
                Reason.UNKNOWN_FACILITY,
                f"Cơ sở khám chữa bệnh {rx.facility_code} không có trong danh mục "
                "(unknown facility code)",
            )
        ]
    if rx.facility_code not in onboarded:
        return [
            refusal(
                f"{rx.organization_where}.identifier",
                Reason.FACILITY_NOT_ONBOARDED,
                f"Cơ sở {rx.facility_code} chưa được kết nối liên thông đơn thuốc "
                "trong giai đoạn này (facility not onboarded in this rollout phase)",
            )
        ]
    return []


def prescriber_licence(rx: Prescription) -> list[Issue]:
    """The prescriber is identified by the practising certificate (chứng chỉ hành nghề)."""
    if rx.prescriber_licence:
        return []
    return [
        missing(
            f"{rx.practitioner_where}.identifier",
            Reason.MISSING_PRESCRIBER_LICENCE,
            "Thiếu số chứng chỉ hành nghề của người kê đơn (the prescriber needs an identifier "
            "with system http://fhir.hl7.org.vn/core/sid/cchn)",
        )
    ]


def narcotic_facility_beds(
    rx: Prescription, facilities: Mapping[str, Hospital], catalog: Lookup
) -> list[Issue]:
    """TT 26/2025: narcotic prescriptions only from facilities with inpatient beds. A facility
    rxsim does not know is the onboarding rule's concern."""
    facility = facilities.get(rx.facility_code)
    narcotic = rx.type_letter == "n" or any(
        (drug := catalog.drug(item)) and drug.type_letter == "n" for item in rx.items
    )
    if facility is None or facility.inpatient_beds or not narcotic:
        return []
    return [
        refusal(
            f"{rx.organization_where}.identifier",
            Reason.NARCOTIC_FACILITY_NO_BEDS,
            f"Cơ sở {rx.facility_code} không có giường bệnh nội trú nên không được kê thuốc "
            "gây nghiện (narcotics only from facilities with inpatient beds)",
        )
    ]


def without_licence(bundle: Bundle, draw: Draw) -> None:
    for practitioner in resources(bundle, "Practitioner"):
        practitioner.pop("identifier", None)


FACILITY_ONBOARDED = Rule(
    switch="facility_onboarded",
    check=lambda rx, at: facility_onboarded(rx, at.known_facilities, at.onboarded_facilities),
    reasons=(Reason.UNKNOWN_FACILITY, Reason.FACILITY_NOT_ONBOARDED),
    # The generator prescribes from a facility the scenario has not onboarded.
    faults=(Fault("not_onboarded_facility", Reason.FACILITY_NOT_ONBOARDED, share=0.03),),
    summary="the facility is known and connected in the current rollout phase",
    regulation="national e-prescription API, rollout by phase",
)
PRESCRIBER_LICENCE = Rule(
    switch="prescriber_licence",
    check=lambda rx, at: prescriber_licence(rx),
    reasons=(Reason.MISSING_PRESCRIBER_LICENCE,),
    faults=(
        Fault("missing_prescriber_licence", Reason.MISSING_PRESCRIBER_LICENCE, without_licence),
    ),
    summary="the prescriber is named by a practising certificate number (CCHN)",
    regulation="TT 26/2025/TT-BYT, prescriber; national e-prescription API",
)
NARCOTIC_FACILITY_BEDS = Rule(
    switch="narcotic_facility_beds",
    check=lambda rx, at: narcotic_facility_beds(rx, at.facilities, at.catalog),
    reasons=(Reason.NARCOTIC_FACILITY_NO_BEDS,),
    # The generator prescribes narcotics from an onboarded clinic without beds.
    faults=(Fault("narcotic_from_clinic", Reason.NARCOTIC_FACILITY_NO_BEDS),),
    summary="narcotics are prescribed only by facilities with inpatient beds",
    regulation="TT 26/2025/TT-BYT, narcotic prescriptions",
)
