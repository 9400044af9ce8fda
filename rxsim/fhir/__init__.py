"""FHIR at the edge: parse and validate what comes in (`parse`, `content`), build what goes
out (`outgoing`, `bundles`, `synthetic`). Identifier systems are in rxsim.domain.systems.

The names below are the package's public face, so callers write `fhir.parse_prescription`.
"""

from rxsim.domain.prescription import InvalidPrescription
from rxsim.fhir.cancellation import cancellation, kept_for_cancelling
from rxsim.fhir.outgoing import (
    TASK_STATUS,
    fulfilment_task,
    medication_dispense,
    operation_outcome,
    status_task,
)
from rxsim.fhir.parse import facility_code, parse_prescription, prescription_code

__all__ = [
    "TASK_STATUS",
    "InvalidPrescription",
    "cancellation",
    "facility_code",
    "fulfilment_task",
    "kept_for_cancelling",
    "medication_dispense",
    "operation_outcome",
    "parse_prescription",
    "prescription_code",
    "status_task",
]
