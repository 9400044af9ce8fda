"""The synthetic Vietnam (34 provinces, facilities, citizens with CCCDs in the national format, all
from a seed) and the medical catalog it prescribes from, built in or loaded from CSV."""

import random
import re
import shutil
from datetime import date
from pathlib import Path

import pytest

from rxsim import scenario
from rxsim.domain.reference import catalog, catalog_csv
from rxsim.domain.reference.catalog import Diagnosis, Drug
from rxsim.domain.reference.country import PROVINCE_CODE, PROVINCES, Country, cccd_for
from rxsim.domain.reference.formulary import BUILT_IN
from rxsim.domain.rules.switches import age_in_months
from rxsim.scenario import SCENARIO_DIR
from tests.support import factories as make

CITIES = {"Hà Nội", "TP. Hồ Chí Minh", "Hải Phòng", "Đà Nẵng", "Cần Thơ", "Huế"}


def test_there_are_34_provinces_with_distinct_names_and_codes() -> None:
    names = [name for name, _ in PROVINCES]
    codes = [code for _, code in PROVINCES]

    assert len(PROVINCES) == 34
    assert len(set(names)) == 34
    assert len(set(codes)) == 34
    assert all(re.fullmatch(r"\d{3}", code) for code in codes)
    assert set(names) >= CITIES


def test_the_older_code_table_is_used_for_the_two_big_cities() -> None:
    assert PROVINCE_CODE["Hà Nội"] == "001"
    assert PROVINCE_CODE["TP. Hồ Chí Minh"] == "079"


@pytest.mark.parametrize(
    ("birth", "sex", "digit"),
    [
        (date(1950, 6, 1), "male", "0"),
        (date(1999, 12, 31), "female", "1"),
        (date(2000, 1, 1), "male", "2"),
        (date(2012, 3, 4), "female", "3"),
    ],
)
def test_the_cccd_century_and_sex_digit_follows_the_birth_and_sex(
    birth: date, sex: str, digit: str
) -> None:
    cccd = cccd_for(random.Random(1), "Đà Nẵng", birth, sex)

    assert re.fullmatch(r"\d{12}", cccd)
    assert cccd[:3] == "048"
    assert cccd[3] == digit
    assert cccd[4:6] == f"{birth.year % 100:02d}"


def test_every_citizen_has_a_cccd_consistent_with_province_birth_and_sex() -> None:
    country = Country(3, 1, 1, 20)
    for citizen in country.citizens:
        cccd = citizen.cccd
        century = 0 if citizen.birth_date.year < 2000 else 2
        assert re.fullmatch(r"\d{12}", cccd), cccd
        assert cccd[:3] == PROVINCE_CODE[citizen.province], cccd
        assert int(cccd[3]) == century + (citizen.sex == "female"), cccd
        assert cccd[4:6] == f"{citizen.birth_date.year % 100:02d}", cccd


def test_both_sexes_and_both_centuries_occur() -> None:
    digits = {citizen.cccd[3] for citizen in Country(3, 1, 1, 20).citizens}

    assert digits == {"0", "1", "2", "3"}


def test_the_country_is_deterministic_for_a_seed() -> None:
    first, again = Country(42, 2, 3, 5), Country(42, 2, 3, 5)

    assert first.citizens == again.citizens
    assert first.hospitals == again.hospitals
    assert first.pharmacies == again.pharmacies


def test_another_seed_gives_other_citizens() -> None:
    assert Country(42, 1, 1, 5).citizens != Country(43, 1, 1, 5).citizens


def test_the_population_has_the_requested_size_in_every_province() -> None:
    country = Country(1, 2, 3, 4)

    assert len(country.hospitals) == 34 * 2
    assert len(country.pharmacies) == 34 * 3
    assert len(country.citizens) == 34 * 4
    for name, _ in PROVINCES:
        assert len(country.pharmacies_in(name)) == 3


def test_facility_codes_are_five_characters_and_unique() -> None:
    codes = [hospital.code for hospital in make.COUNTRY.hospitals]

    assert all(re.fullmatch(r"[0-9a-z]{5}", code) for code in codes)
    assert len(set(codes)) == len(codes)
    assert len(set(make.COUNTRY.pharmacy_by_id)) == len(make.COUNTRY.pharmacies)


def test_the_first_hospital_of_each_province_has_inpatient_beds() -> None:
    # Narcotic prescriptions only come from facilities with beds: every province has one.
    assert all(h.inpatient_beds for h in make.COUNTRY.hospitals if h.code.endswith("001"))


def test_clinics_have_their_own_five_character_codes_and_no_beds() -> None:
    country = Country(5, 2, 1, 1, clinics_per_province=3)

    assert len(country.clinics) == 34 * 3
    assert all(not c.inpatient_beds and c.kind == "clinic" for c in country.clinics)
    codes = [f.code for f in country.facilities]
    assert all(re.fullmatch(r"[0-9a-z]{5}", code) for code in codes)
    assert len(set(codes)) == len(codes) == 34 * 5


def test_the_coordinators_registry_knows_clinics_as_well_as_hospitals() -> None:
    country = Country(5, 1, 1, 1, clinics_per_province=1)

    assert set(country.hospital_by_code) == {f.code for f in country.facilities}
    assert {f.kind for f in country.hospital_by_code.values()} == {"hospital", "clinic"}


def test_hospitals_come_with_and_without_inpatient_beds() -> None:
    beds = {h.inpatient_beds for h in Country(5, 4, 1, 1).hospitals}

    assert beds == {True, False}


@pytest.mark.parametrize("clinics", [-1, 500])
def test_facility_numbers_beyond_the_code_space_are_refused(clinics: int) -> None:
    with pytest.raises(ValueError, match="clinics_per_province"):
        Country(5, 1, 1, 1, clinics_per_province=clinics)


def test_young_children_are_under_72_months_all_year_with_weight_and_guardian() -> None:
    as_of = date(2026, 1, 1)
    country = Country(7, 1, 1, 30, child_share=0.2, as_of=as_of)
    year_end = date(2026, 12, 31)

    children = [c for c in country.citizens if c.weight_kg is not None]

    assert len(children) > 34 * 30 * 0.1
    for child in children:
        assert age_in_months(child.birth_date, year_end) < 72, child
        assert 2 < child.weight_kg < 30, child  # type: ignore[operator]
        assert len(child.guardian.split()) == 3, child
    adults = [c for c in country.citizens if c.weight_kg is None]
    assert all(age_in_months(c.birth_date, as_of) >= 72 and not c.guardian for c in adults)


def test_citizens_have_vietnamese_three_part_names_and_unique_cccds() -> None:
    country = Country(8, 1, 1, 40)

    assert all(len(c.name.split()) == 3 for c in country.citizens)
    assert len(country.citizen_by_cccd) == len(country.citizens)
    assert all(
        c.province == province for province, _ in PROVINCES for c in country.citizens_in(province)
    )


# The catalog: drugs, diagnoses, and which drugs treat which diagnosis.


def test_every_drug_has_a_registration_number_type_dose_and_price() -> None:
    numbers = [drug.registration_number for drug in catalog.DRUGS]

    assert len(set(numbers)) == len(numbers)
    for drug in catalog.DRUGS:
        assert re.fullmatch(r"(VD|VN|QLĐB)-\d{3,5}-\d{2}", drug.registration_number), drug
        assert drug.type_letter in catalog.TYPE_NAMES, drug
        assert drug.daily_units > 0 and drug.price_vnd > 0, drug
    assert {drug.type_letter for drug in catalog.DRUGS} == set("cnhy")


def test_every_diagnosis_is_treated_by_some_drug() -> None:
    for diagnosis in BUILT_IN.diagnoses:
        assert BUILT_IN.drugs_for(diagnosis), diagnosis


@pytest.mark.parametrize(
    ("icd10", "atc_prefixes"),
    [
        ("I10", ("C07", "C08", "C09")),  # antihypertensives
        ("E11.9", ("A10",)),  # blood glucose lowering
        ("E78.5", ("C10",)),  # statins
        ("J45.9", ("R03",)),  # asthma
        ("N39.0", ("J01",)),  # antibiotics for a urinary infection
    ],
)
def test_drugs_fit_their_diagnosis(icd10: str, atc_prefixes: tuple[str, ...]) -> None:
    drugs = BUILT_IN.drugs_for(BUILT_IN.diagnosis_by_code[icd10])

    assert all(drug.atc.startswith(atc_prefixes) for drug in drugs), drugs


def test_cancer_pain_is_treated_with_morphine_or_fentanyl_and_never_with_psychotropics() -> None:
    for diagnosis in (d for d in BUILT_IN.diagnoses if d.cancer):
        drugs = BUILT_IN.drugs_for(diagnosis)
        generics = {drug.generic for drug in drugs if drug.type_letter == "n"}
        assert {"morphine", "fentanyl"} <= generics, diagnosis
        assert not [drug for drug in drugs if drug.type_letter == "h"], diagnosis


def test_traditional_medicines_are_prescribed_for_what_they_treat() -> None:
    boganic = BUILT_IN.drug_by_code["VD-26534-17"]

    assert boganic in BUILT_IN.drugs_for(BUILT_IN.diagnosis_by_code["K76.0"])
    assert boganic not in BUILT_IN.drugs_for(BUILT_IN.diagnosis_by_code["I10"])


def test_a_diagnosis_no_indication_covers_gets_symptomatic_relief() -> None:
    odd = Diagnosis("Z99.9", "Phụ thuộc máy móc hỗ trợ", 1)

    assert {drug.generic for drug in BUILT_IN.drugs_for(odd)} == {"paracetamol"}


def test_the_diagnosis_weights_make_common_conditions_common() -> None:
    by_code = BUILT_IN.diagnosis_by_code

    assert by_code["I10"].weight > by_code["F41.1"].weight > by_code["C34.9"].weight
    assert all(d.chronic for d in BUILT_IN.diagnoses if d.cancer)


# Real catalogs from CSV.

DATA = SCENARIO_DIR / "data"


def test_the_example_csv_catalogs_load() -> None:
    drugs = catalog_csv.load_drugs(DATA / "drugs.csv")
    diagnoses = catalog_csv.load_diagnoses(DATA / "diagnoses.csv")

    assert {drug.type_letter for drug in drugs} == set("cnhy")
    assert drugs[0] == catalog.DRUG_BY_CODE["VD-25123-18"]
    assert next(d for d in diagnoses if d.code == "C34.9").cancer
    assert next(d for d in diagnoses if d.code == "I10").chronic


def test_optional_columns_may_be_left_out_and_come_in_any_order(tmp_path: Path) -> None:
    path = tmp_path / "drugs.csv"
    path.write_text("name,registration_number,unit,daily_units,type_letter\nX,VD-1-25,viên,2,c\n")

    (drug,) = catalog_csv.load_drugs(path)

    assert drug == Drug("VD-1-25", "X", "viên", "c", 2)


def test_a_scenario_reads_its_catalog_files_relative_to_itself(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    shutil.copy(DATA / "drugs.csv", tmp_path / "data" / "drugs.csv")
    shutil.copy(DATA / "diagnoses.csv", tmp_path / "data" / "diagnoses.csv")
    path = tmp_path / "mine.toml"
    path.write_text(
        'name = "mine"\ndescription = "x"\n[population]\nonboarded_provinces = ["Huế"]\n'
        '[catalog]\ndrugs_csv = "data/drugs.csv"\ndiagnoses_csv = "data/diagnoses.csv"\n',
        encoding="utf-8",
    )

    loaded = scenario.load(str(path))

    assert len(loaded.catalog.drugs) == 12
    assert len(loaded.catalog.diagnoses) == 10
    assert scenario.load("pilot").catalog.drugs == catalog.DRUGS


DRUG_HEADER = "registration_number,name,unit,type_letter,daily_units,price_vnd\n"


@pytest.mark.parametrize(
    ("text", "where"),
    [
        (
            DRUG_HEADER + "VD-1-25,A,viên,c,2,100\nVD-2-25,B,viên,x,2,100\n",
            ":3: column 'type_letter'",
        ),
        (DRUG_HEADER + "VD-1-25,A,viên,c,0,100\n", ":2: column 'daily_units'"),
        (DRUG_HEADER + "VD-1-25,A,viên,c,2,nhiều\n", ":2: column 'price_vnd'"),
        (DRUG_HEADER + "VD-1-25,,viên,c,2,100\n", ":2: column 'name'"),
        (DRUG_HEADER + "VD-1-25,A,viên,c,2\n", ":2: 5 values for 6 columns"),
        (DRUG_HEADER + "VD-1-25,A,viên,c,2,1\nVD-1-25,B,viên,c,2,1\n", ":3: column 'registration"),
        ("registration_number,name,unit,type_letter\nVD-1-25,A,viên,c\n", ":1: header"),
        (DRUG_HEADER, ": no rows"),
    ],
)
def test_a_bad_drug_csv_is_refused_naming_file_line_and_column(
    tmp_path: Path, text: str, where: str
) -> None:
    path = tmp_path / "drugs.csv"
    path.write_text(text, encoding="utf-8")

    with pytest.raises(catalog_csv.CatalogError) as refused:
        catalog_csv.load_drugs(path)

    assert f"{path}{where}" in str(refused.value)


@pytest.mark.parametrize(
    ("row", "column"),
    [
        ("I10,Tăng huyết áp,nhiều", "weight"),
        ("I-10,Tăng huyết áp,3", "code"),
        ("I10,x,3,maybe", "chronic"),
    ],
)
def test_a_bad_diagnosis_csv_is_refused_naming_the_column(
    tmp_path: Path, row: str, column: str
) -> None:
    path = tmp_path / "diagnoses.csv"
    header = "code,name,weight,chronic\n" if row.count(",") == 3 else "code,name,weight\n"
    path.write_text(header + row + "\n", encoding="utf-8")

    with pytest.raises(catalog_csv.CatalogError, match=f":2: column '{column}'"):
        catalog_csv.load_diagnoses(path)


def test_a_scenario_with_a_bad_catalog_fails_to_load_with_the_csv_error(tmp_path: Path) -> None:
    (tmp_path / "drugs.csv").write_text(DRUG_HEADER + "VD-1-25,A,viên,q,2,1\n", encoding="utf-8")
    path = tmp_path / "bad.toml"
    path.write_text(
        'name = "bad"\ndescription = "x"\n[population]\nonboarded_provinces = ["Huế"]\n'
        '[catalog]\ndrugs_csv = "drugs.csv"\n',
        encoding="utf-8",
    )

    with pytest.raises(ValueError, match=r"drugs.csv:2: column 'type_letter'"):
        scenario.load(str(path))
