"""Hospitals: send FHIR prescriptions to the coordinator and follow their status."""
