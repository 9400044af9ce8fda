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
    # Appended, so that the batch registry below keeps its lots for the drugs above.
    Drug("VD-34120-20", "Perindopril 5mg", "viên", "c", 1, "perindopril", "C09AA04", 2_200),
    Drug("VN-21544-18", "Bisoprolol 2.5mg", "viên", "c", 1, "bisoprolol", "C07AB07", 1_900),
    Drug("VD-35201-21", "Gliclazid 30mg", "viên", "c", 1, "gliclazide", "A10BB09", 1_300),
    Drug("VN-22890-19", "Rosuvastatin 10mg", "viên", "c", 1, "rosuvastatin", "C10AA07", 3_800),
    Drug("VD-32876-19", "Aspirin 81mg", "viên", "c", 1, "acetylsalicylic acid", "B01AC06", 200),
    Drug("VN-20611-17", "Clopidogrel 75mg", "viên", "c", 1, "clopidogrel", "B01AC04", 5_500),
    Drug("VD-27301-17", "Furosemid 40mg", "viên", "c", 1, "furosemide", "C03CA01", 300),
    Drug("VN-23017-20", "Montelukast 10mg", "viên", "c", 1, "montelukast", "R03DC03", 4_500),
    Drug("VD-33390-20", "Amoxicilin/Clavulanat 625mg", "viên", "c", 2, "", "J01CR02", 6_500),
    Drug("VD-31211-19", "Azithromycin 500mg", "viên", "c", 1, "azithromycin", "J01FA10", 6_000),
    Drug("VD-29876-18", "Ciprofloxacin 500mg", "viên", "c", 2, "ciprofloxacin", "J01MA02", 1_500),
    Drug("VD-30045-18", "Oresol 245", "gói", "c", 3, "oral rehydration salts", "A07CA", 1_500),
    Drug("VD-33760-20", "Domperidon 10mg", "viên", "c", 3, "domperidone", "A03FA03", 400),
    Drug("VD-28102-17", "Esomeprazol 40mg", "viên", "c", 1, "esomeprazole", "A02BC05", 3_500),
    Drug("VD-31555-19", "Bromhexin 8mg", "viên", "c", 3, "bromhexine", "R05CB02", 300),
    Drug("VD-35877-21", "Acetylcystein 200mg", "gói", "c", 3, "acetylcysteine", "R05CB01", 1_000),
    Drug("VD-27734-17", "Meloxicam 7.5mg", "viên", "c", 1, "meloxicam", "M01AC06", 700),
    Drug("VD-30998-18", "Eperison 50mg", "viên", "c", 3, "eperisone", "M03BX09", 1_500),
    Drug("VD-32451-19", "Cetirizin 10mg", "viên", "c", 1, "cetirizine", "R06AE07", 400),
    Drug("VD-36012-22", "Paracetamol 250mg", "gói", "c", 3, "paracetamol", "N02BE01", 1_200),
    Drug("VN-21980-19", "Valproat natri 500mg", "viên", "c", 2, "valproic acid", "N03AG01", 4_500),
    Drug("VN-22405-19", "Sertralin 50mg", "viên", "c", 1, "sertraline", "N06AB06", 5_000),
    Drug("QLĐB-733-20", "Oxycodon 10mg", "viên", "n", 2, "oxycodone", "N02AA05", 25_000),
    Drug("QLĐB-640-18", "Alprazolam 0.5mg", "viên", "h", 1, "alprazolam", "N05BA12", 1_500),
    Drug("QLĐB-692-19", "Zolpidem 10mg", "viên", "h", 1, "zolpidem", "N05CF02", 6_000),
    Drug("QLĐB-615-18", "Clonazepam 2mg", "viên", "h", 1, "clonazepam", "N03AE01", 2_500),
    Drug("VD-34455-20", "Hoàn phong thấp", "viên", "y", 2, "", "", 1_500),
    Drug("VD-33817-20", "An thần bổ tâm", "viên", "y", 2, "", "", 1_200),
    Drug("VD-35066-21", "Viên ngậm ho Bảo Thanh", "viên", "y", 6, "", "", 800),
    # A thiazide-like diuretic for hypertension: the drug of HL7's example medrx0311, which the
    # README wraps into a Vietnamese prescription.
    Drug("VD-36250-22", "Chlorthalidon 50mg", "viên", "c", 1, "chlorthalidone", "C03BA04", 900),
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
    Diagnosis("J18.9", "Viêm phổi", 2),
    Diagnosis("K21.0", "Trào ngược dạ dày thực quản", 3),
    Diagnosis("R50.9", "Sốt", 3),
    Diagnosis("M15.9", "Thoái hóa đa khớp", 3, chronic=True),
    Diagnosis("I50.9", "Suy tim", 1.5, chronic=True),
    Diagnosis("I67.9", "Bệnh mạch máu não", 1.5, chronic=True),
    Diagnosis("K76.0", "Gan nhiễm mỡ", 1.5),
    Diagnosis("G47.0", "Mất ngủ", 1.5),
    Diagnosis("F32.9", "Giai đoạn trầm cảm", 1, chronic=True),
    Diagnosis("C22.0", "Ung thư gan", 0.4, chronic=True, cancer=True),
    Diagnosis("C16.9", "Ung thư dạ dày", 0.3, chronic=True, cancer=True),
    Diagnosis("S52.5", "Gãy đầu dưới xương quay", 0.3),
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
