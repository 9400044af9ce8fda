"""Medical reference data: the drug catalog (by registration number), ICD-10 diagnoses, and
the batch registry. Shared by every service; a scenario may load real catalogs from CSV."""

from dataclasses import dataclass

# Prescription types of TT 26/2025: c ordinary, n narcotic (gây nghiện), h psychotropic or
# precursor (hướng thần, tiền chất), y traditional medicine (y học cổ truyền).
TYPE_NAMES = {
    "c": "thuốc thông thường",
    "n": "thuốc gây nghiện",
    "h": "thuốc hướng thần, tiền chất",
    "y": "thuốc y học cổ truyền",
}
SYSTEM_ICD10 = "http://hl7.org/fhir/sid/icd-10"
SYSTEM_ATC = "http://www.whocc.no/atc"


@dataclass(frozen=True)
class Drug:
    registration_number: str  # số đăng ký, e.g. VD-25123-18
    name: str
    unit: str
    type_letter: str
    daily_units: int  # a usual adult daily dose, in units
    generic: str = ""
    atc: str = ""
    price_vnd: int = 0


@dataclass(frozen=True)
class Diagnosis:
    code: str  # ICD-10
    name: str
    weight: float  # how often it appears on prescriptions, relative
    chronic: bool = False  # on the ministry's list of chronic conditions (up to 90 days)
    cancer: bool = False


@dataclass(frozen=True)
class Batch:
    lot: str
    registration_number: str
    expires: str  # ISO date
    recalled: bool = False


DRUGS: tuple[Drug, ...] = (
    Drug("VD-25123-18", "Amoxicillin 500mg", "viên", "c", 3, "amoxicillin", "J01CA04", 1_200),
    Drug("VD-21470-14", "Paracetamol 500mg", "viên", "c", 3, "paracetamol", "N02BE01", 300),
    Drug("VD-26911-17", "Metformin 850mg", "viên", "c", 2, "metformin", "A10BA02", 900),
    Drug("VN-20187-16", "Amlodipin 5mg", "viên", "c", 1, "amlodipine", "C08CA01", 1_500),
    Drug("VD-30372-18", "Omeprazol 20mg", "viên", "c", 1, "omeprazole", "A02BC01", 800),
    Drug("VN-19322-15", "Atorvastatin 20mg", "viên", "c", 1, "atorvastatin", "C10AA05", 2_500),
    Drug("VD-28745-18", "Cefuroxim 500mg", "viên", "c", 2, "cefuroxime", "J01DC02", 4_000),
    Drug("VD-24512-16", "Loratadin 10mg", "viên", "c", 1, "loratadine", "R06AX13", 600),
    Drug("VD-33105-19", "Salbutamol 2mg", "viên", "c", 3, "salbutamol", "R03CC02", 250),
    Drug("VD-27456-17", "Losartan 50mg", "viên", "c", 1, "losartan", "C09CA01", 1_800),
    Drug("VD-31893-19", "Ibuprofen 400mg", "viên", "c", 3, "ibuprofen", "M01AE01", 700),
    Drug("VD-29001-18", "Vitamin B1-B6-B12", "viên", "c", 2, "", "A11DB", 500),
    Drug("QLĐB-650-17", "Morphin sulfat 30mg", "viên", "n", 2, "morphine", "N02AA01", 9_000),
    Drug("QLĐB-712-19", "Fentanyl 25mcg/h", "miếng dán", "n", 1, "fentanyl", "N02AB03", 120_000),
    Drug("QLĐB-588-16", "Diazepam 5mg", "viên", "h", 1, "diazepam", "N05BA01", 400),
    Drug("QLĐB-601-18", "Phenobarbital 100mg", "viên", "h", 1, "phenobarbital", "N03AA02", 350),
    Drug("VD-32210-19", "Hoạt huyết dưỡng não", "viên", "y", 3, "", "", 1_000),
    Drug("VD-26534-17", "Boganic", "viên", "y", 3, "", "", 1_100),
)
DRUG_BY_CODE = {drug.registration_number: drug for drug in DRUGS}

DIAGNOSES: tuple[Diagnosis, ...] = (
    Diagnosis("J06.9", "Nhiễm trùng đường hô hấp trên cấp", 12),
    Diagnosis("J02.9", "Viêm họng cấp", 8),
    Diagnosis("J20.9", "Viêm phế quản cấp", 6),
    Diagnosis("A09", "Tiêu chảy và viêm dạ dày ruột", 4),
    Diagnosis("K29.7", "Viêm dạ dày", 6),
    Diagnosis("N39.0", "Nhiễm khuẩn đường tiết niệu", 3),
    Diagnosis("M54.5", "Đau thắt lưng", 4),
    Diagnosis("L30.9", "Viêm da", 2),
    Diagnosis("I10", "Tăng huyết áp vô căn", 14, chronic=True),
    Diagnosis("E11.9", "Đái tháo đường type 2", 9, chronic=True),
    Diagnosis("E78.5", "Rối loạn lipid máu", 5, chronic=True),
    Diagnosis("J45.9", "Hen phế quản", 3, chronic=True),
    Diagnosis("J44.9", "Bệnh phổi tắc nghẽn mạn tính", 2, chronic=True),
    Diagnosis("I25.9", "Bệnh tim thiếu máu cục bộ mạn", 2, chronic=True),
    Diagnosis("G40.9", "Động kinh", 1, chronic=True),
    Diagnosis("F41.1", "Rối loạn lo âu lan tỏa", 1),
    Diagnosis("C34.9", "Ung thư phế quản và phổi", 0.5, chronic=True, cancer=True),
    Diagnosis("C50.9", "Ung thư vú", 0.5, chronic=True, cancer=True),
    Diagnosis("S82.2", "Gãy xương chày", 0.5),
)
DIAGNOSIS_BY_CODE = {d.code: d for d in DIAGNOSES}

# Lots known to the national batch registry; recalled ones must never be dispensed.
BATCHES: tuple[Batch, ...] = tuple(
    Batch(
        f"{drug.registration_number.split('-')[1][:3]}{year}{n:02d}",
        drug.registration_number,
        f"20{year + 2}-12-31",
        recalled=(n == 3 and index % 4 == 0),
    )
    for index, drug in enumerate(DRUGS)
    for year in (25, 26)
    for n in (1, 2, 3)
)
BATCH_BY_LOT = {batch.lot: batch for batch in BATCHES}


def prescription_type(drugs: list[Drug]) -> str:
    """The type letter a prescription of these drugs must carry (narcotics first)."""
    letters = {drug.type_letter for drug in drugs}
    return next((t for t in ("n", "h", "y") if t in letters), "c")
