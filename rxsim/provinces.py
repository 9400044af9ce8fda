"""The 34 provinces since 1 July 2025 (Resolution 202/2025/QH15)."""

# Each with the code of its main pre-merger province in the older 63-province table that
# CCCDs use.
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

# Residents in millions after the merger, rounded (from the merged provinces' 2024 figures):
# the national load is spread by population, so TP. Hồ Chí Minh sends ~25× Lai Châu.
POPULATION_MILLIONS: dict[str, float] = {
    **{"Hà Nội": 8.7, "TP. Hồ Chí Minh": 14.0, "Hải Phòng": 4.7, "Đà Nẵng": 3.1},
    **{"Cần Thơ": 4.2, "Huế": 1.4, "An Giang": 4.9, "Bắc Ninh": 3.6, "Cà Mau": 2.6},
    **{"Cao Bằng": 0.6, "Đắk Lắk": 3.3, "Điện Biên": 0.6, "Đồng Nai": 4.5, "Đồng Tháp": 4.4},
    **{"Gia Lai": 3.6, "Hà Tĩnh": 1.6, "Hưng Yên": 3.6, "Khánh Hòa": 2.2, "Lai Châu": 0.5},
    **{"Lâm Đồng": 3.9, "Lạng Sơn": 0.8, "Lào Cai": 1.8, "Nghệ An": 3.8, "Ninh Bình": 4.4},
    **{"Phú Thọ": 4.0, "Quảng Ngãi": 2.2, "Quảng Ninh": 1.4, "Quảng Trị": 1.9, "Sơn La": 1.3},
    **{"Tây Ninh": 3.3, "Thái Nguyên": 1.8, "Thanh Hóa": 4.3, "Tuyên Quang": 1.9},
    **{"Vĩnh Long": 4.3},
}
