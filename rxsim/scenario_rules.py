"""A scenario's rule switches: which national rules the coordinator applies, and their limits."""

from pydantic import BaseModel, ConfigDict, Field


class Rules(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    prescription_code_format: bool = True
    duplicate_code: bool = True
    facility_onboarded: bool = True
    validity_days: float = Field(default=5.0, gt=0)
