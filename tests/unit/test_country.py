"""The synthetic Vietnam: 34 provinces, CCCDs that follow the national format, all from a seed."""

import random
import re
from datetime import date

import pytest

from rxsim.country import PROVINCE_CODE, PROVINCES, Country, cccd_for

from . import factories as make

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
