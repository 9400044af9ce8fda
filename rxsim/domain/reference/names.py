"""Vietnamese names and streets for the synthetic population. Family names follow their rough
frequency (Nguyễn alone is about four in ten Vietnamese), so they are weighted."""

FAMILY: tuple[tuple[str, float], ...] = (
    ("Nguyễn", 38),
    ("Trần", 11),
    ("Lê", 9.5),
    ("Phạm", 7),
    ("Hoàng", 5),
    ("Huỳnh", 4),
    ("Phan", 4.5),
    ("Vũ", 3.9),
    ("Võ", 3),
    ("Đặng", 2.1),
    ("Bùi", 2),
    ("Đỗ", 1.4),
    ("Hồ", 1.3),
    ("Ngô", 1.3),
    ("Dương", 1),
    ("Lý", 0.5),
)
FAMILY_NAMES = tuple(name for name, _ in FAMILY)
FAMILY_WEIGHTS = tuple(weight for _, weight in FAMILY)

MIDDLE = {
    "male": ("Văn", "Hữu", "Đức", "Minh", "Quang", "Công", "Gia", "Thành"),
    "female": ("Thị", "Ngọc", "Thu", "Thanh", "Minh", "Kim", "Bảo", "Khánh"),
}
GIVEN = {
    "male": (
        *("An", "Bình", "Cường", "Dũng", "Hải", "Hùng", "Khang", "Long", "Nam", "Phúc"),
        *("Quân", "Sơn", "Tuấn", "Việt", "Huy", "Khoa", "Lâm", "Thắng", "Trung", "Vinh"),
    ),
    "female": (
        *("Anh", "Chi", "Dung", "Hà", "Hạnh", "Hoa", "Hương", "Lan", "Linh", "Mai"),
        *("Ngọc", "Phương", "Thảo", "Trang", "Vy", "Yến", "Nhung", "Quyên", "Tâm", "Uyên"),
    ),
}
STREETS = (
    *("Lê Lợi", "Trần Hưng Đạo", "Nguyễn Huệ", "Hai Bà Trưng", "Lý Thường Kiệt"),
    *("Điện Biên Phủ", "Phan Chu Trinh", "Quang Trung", "Nguyễn Trãi", "Lê Duẩn"),
    *("Hùng Vương", "Trần Phú", "Bà Triệu", "Nguyễn Du", "Võ Thị Sáu"),
)
