"""A synthetic Vietnam, deterministic from a seed: provinces, hospitals, pharmacies, citizens,
drugs. Every service builds the same country from the scenario, so no registry is shared."""

import random
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property

from rxsim.catalog import DRUG_BY_CODE, DRUGS, Drug  # noqa: F401  (re-exported)

# The 34 provinces since 1 July 2025 (Resolution 202/2025/QH15), each with the code of its
# main pre-merger province in the older 63-province table that CCCDs use.
PROVINCES: tuple[tuple[str, str], ...] = (
    ("Hà Nội", "001"),
    ("TP. Hồ Chí Minh", "079"),
    ("Hải Phòng", "031"),
    ("Đà Nẵng", "048"),
    ("Cần Thơ", "092"),
    ("Huế", "046"),
    ("An Giang", "089"),
    ("Bắc Ninh", "027"),
    ("Cà Mau", "096"),
    ("Cao Bằng", "004"),
    ("Đắk Lắk", "066"),
    ("Điện Biên", "011"),
    ("Đồng Nai", "075"),
    ("Đồng Tháp", "087"),
    ("Gia Lai", "064"),
    ("Hà Tĩnh", "042"),
    ("Hưng Yên", "033"),
    ("Khánh Hòa", "056"),
    ("Lai Châu", "012"),
    ("Lâm Đồng", "068"),
    ("Lạng Sơn", "020"),
    ("Lào Cai", "010"),
    ("Nghệ An", "040"),
    ("Ninh Bình", "037"),
    ("Phú Thọ", "025"),
    ("Quảng Ngãi", "051"),
    ("Quảng Ninh", "022"),
    ("Quảng Trị", "045"),
    ("Sơn La", "014"),
    ("Tây Ninh", "072"),
    ("Thái Nguyên", "019"),
    ("Thanh Hóa", "038"),
    ("Tuyên Quang", "008"),
    ("Vĩnh Long", "086"),
)
PROVINCE_CODE = dict(PROVINCES)

FAMILY = (
    "Nguyễn",
    "Trần",
    "Lê",
    "Phạm",
    "Hoàng",
    "Huỳnh",
    "Phan",
    "Vũ",
    "Võ",
    "Đặng",
    "Bùi",
    "Đỗ",
    "Hồ",
    "Ngô",
    "Dương",
    "Lý",
)
MIDDLE_MALE = ("Văn", "Hữu", "Đức", "Minh", "Quang", "Công")
MIDDLE_FEMALE = ("Thị", "Ngọc", "Thu", "Thanh", "Minh", "Kim")
GIVEN_MALE = (
    "An",
    "Bình",
    "Cường",
    "Dũng",
    "Hải",
    "Hùng",
    "Khang",
    "Long",
    "Nam",
    "Phúc",
    "Quân",
    "Sơn",
    "Tuấn",
    "Việt",
)
GIVEN_FEMALE = (
    "Anh",
    "Chi",
    "Dung",
    "Hà",
    "Hạnh",
    "Hoa",
    "Hương",
    "Lan",
    "Linh",
    "Mai",
    "Ngọc",
    "Phương",
    "Thảo",
    "Trang",
)
STREETS = (
    "Lê Lợi",
    "Trần Hưng Đạo",
    "Nguyễn Huệ",
    "Hai Bà Trưng",
    "Lý Thường Kiệt",
    "Điện Biên Phủ",
    "Phan Chu Trinh",
    "Quang Trung",
)


@dataclass(frozen=True)
class Hospital:
    code: str  # 5-character facility code
    name: str
    province: str
    inpatient_beds: bool


@dataclass(frozen=True)
class Pharmacy:
    id: str
    name: str
    province: str


@dataclass(frozen=True)
class Citizen:
    cccd: str
    name: str
    birth_date: date
    sex: str  # "male" | "female"
    province: str
    address: str


def cccd_for(rng: random.Random, province: str, birth: date, sex: str) -> str:
    """12 digits: province of birth registration, century/sex, year, 6 random."""
    century = 0 if birth.year < 2000 else 2
    return (
        f"{PROVINCE_CODE[province]}{century + (sex == 'female')}{birth.year % 100:02d}"
        f"{rng.randrange(10**6):06d}"
    )


@dataclass(frozen=True)
class Country:
    seed: int
    hospitals_per_province: int
    pharmacies_per_province: int
    citizens_per_province: int

    @cached_property
    def hospitals(self) -> tuple[Hospital, ...]:
        rng = random.Random(f"{self.seed}:hospitals")
        return tuple(
            Hospital(
                f"{code[1:]}{n:03d}",
                f"Bệnh viện Đa khoa {name} số {n}",
                name,
                inpatient_beds=n == 1 or rng.random() < 0.7,
            )
            for name, code in PROVINCES
            for n in range(1, self.hospitals_per_province + 1)
        )

    @cached_property
    def pharmacies(self) -> tuple[Pharmacy, ...]:
        return tuple(
            Pharmacy(f"NT{code}{n:03d}", f"Nhà thuốc {name} {n}", name)
            for name, code in PROVINCES
            for n in range(1, self.pharmacies_per_province + 1)
        )

    @cached_property
    def citizens(self) -> tuple[Citizen, ...]:
        rng = random.Random(f"{self.seed}:citizens")
        people = []
        for province, _ in PROVINCES:
            for _ in range(self.citizens_per_province):
                sex = rng.choice(("male", "female"))
                birth = date(1940, 1, 1) + timedelta(days=rng.randrange(365 * 84))
                middle = MIDDLE_MALE if sex == "male" else MIDDLE_FEMALE
                given = GIVEN_MALE if sex == "male" else GIVEN_FEMALE
                name = f"{rng.choice(FAMILY)} {rng.choice(middle)} {rng.choice(given)}"
                address = f"{rng.randint(1, 300)} {rng.choice(STREETS)}, {province}"
                people.append(
                    Citizen(
                        cccd_for(rng, province, birth, sex), name, birth, sex, province, address
                    )
                )
        return tuple(people)

    @cached_property
    def hospital_by_code(self) -> dict[str, Hospital]:
        return {h.code: h for h in self.hospitals}

    @cached_property
    def pharmacy_by_id(self) -> dict[str, Pharmacy]:
        return {p.id: p for p in self.pharmacies}

    def pharmacies_in(self, province: str) -> list[Pharmacy]:
        return [p for p in self.pharmacies if p.province == province]
