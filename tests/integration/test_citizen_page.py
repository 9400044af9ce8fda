"""The citizen's page in a real browser (headless Chromium) against the real stack: a citizen
signs in with the simulated VNeID code, sees their prescription, chooses a pharmacy that has
every drug and home delivery, and follows it to the door; a stranger who opens someone else's
prescription is refused. Every state of the page is screenshot (test-artifacts/screenshots/)
and checked with axe-core, for labels and for keyboard reach."""

import random
import re

import pytest
from playwright.sync_api import Browser, Page, expect

from rxsim.domain.reference.country import DRUG_BY_CODE
from rxsim.fhir import synthetic
from rxsim.scenario import load
from tests.integration.conftest import NewCode
from tests.support import browser as chromium
from tests.support.stack_client import STACK_SCENARIO, StackClient

pytestmark = [pytest.mark.integration, pytest.mark.browser]

COUNTRY = load(str(STACK_SCENARIO)).country
HANOI = COUNTRY.hospital_by_code["01001"]
PATIENT, STRANGER = [c for c in COUNTRY.citizens if c.province == HANOI.province][2:4]
DRUG = DRUG_BY_CODE["VD-25123-18"]
LIVE = 60_000  # ms the page may take to show what the stack did


def prescribed(client: StackClient, code: str) -> None:
    """A prescription of HANOI for PATIENT, waiting in the patient's app."""
    bundle = synthetic.prescription(
        random.Random(code), code=code, hospital=HANOI, citizen=PATIENT, drugs=[DRUG],
        simulated=False,
    )  # fmt: skip
    client.post_until_available(bundle, PATIENT.cccd, code)


def sign_in(page: Page, url: str, cccd: str, shots: bool = False) -> None:
    page.goto(f"{url}/app")
    expect(page.get_by_role("heading", name="Đăng nhập")).to_be_visible()
    if shots:
        chromium.check(page, "01-sign-in")
    page.get_by_label("Số định danh cá nhân (CCCD)").fill(cccd)
    page.get_by_role("button", name="Nhận mã OTP").click()
    code = page.locator("#simulated-code")
    expect(code).to_have_text(re.compile(r"^\d{6}$"))
    if shots:
        chromium.check(page, "02-one-time-code")
    page.get_by_label("Mã OTP").fill(code.inner_text())
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_role("heading", name="Đơn thuốc của tôi")).to_be_visible()


def test_a_citizen_orders_home_delivery_and_follows_it_to_the_door(
    client: StackClient, browser: Browser, new_code: NewCode
) -> None:
    # Given a prescription waiting in the patient's app
    code = new_code(HANOI.code)
    prescribed(client, code)
    url = client.stack.urls()["citizen_app"]
    with chromium.phone(browser) as page:
        # When the patient signs in with the code VNeID shows, and opens it
        sign_in(page, url, PATIENT.cccd, shots=True)
        card = page.locator("li.rx", has_text=code)
        expect(card).to_contain_text(DRUG.name)
        expect(card).to_contain_text("Chờ chọn nhà thuốc")
        chromium.check(page, "03-prescriptions")
        card.get_by_role("link", name="Xem đơn thuốc").click()
        expect(page.get_by_role("heading", name=f"Đơn thuốc {code}")).to_be_visible()
        expect(page.get_by_role("table")).to_contain_text(DRUG.name)
        expect(page.get_by_text(f"Bác sĩ kê đơn: {PATIENT.name}")).to_have_count(0)
        expect(page.get_by_text("Hiệu lực đến:")).to_be_visible()
        chromium.check(page, "04-prescription")
        # And chooses a pharmacy of Hà Nội that has every drug, and home delivery
        page.get_by_label("Tỉnh, thành phố").select_option("Hà Nội")
        stocked = page.locator("label.pharmacy", has_text="Có đủ thuốc")
        expect(page.locator("label.pharmacy")).to_have_count(5)
        stocked.first.get_by_role("radio").check()
        page.get_by_label("Giao tận nhà").check()
        page.get_by_label("Địa chỉ giao thuốc").fill("12 Lý Thường Kiệt, Hoàn Kiếm, Hà Nội")
        chromium.check(page, "05-choose-pharmacy")
        page.get_by_role("button", name="Đặt thuốc").click()
        # Then the page follows the order without a reload, to the door
        expect(page.locator("ol.steps li.done").first).to_contain_text("Đã đặt", timeout=LIVE)
        chromium.check(page, "06-order-in-progress")
        delivered = page.locator("ol.steps li.done", has_text="Đã giao")
        expect(delivered).to_be_visible(timeout=LIVE)
        expect(page.locator(".badge")).to_have_text("Đã giao thuốc")
        expect(page.locator("ol.steps li.todo")).to_have_count(0)
        chromium.check(page, "07-delivered")
    assert client["citizen_app"].get(
        f"/citizens/{PATIENT.cccd}/prescriptions/{code}", headers=client.citizen(PATIENT.cccd)
    ).json()["state"] == "DELIVERED"  # fmt: skip


def test_a_stranger_who_opens_someone_elses_prescription_is_refused(
    client: StackClient, browser: Browser, new_code: NewCode
) -> None:
    # Given the patient's prescription, and a stranger signed in on their own phone
    code = new_code(HANOI.code)
    prescribed(client, code)
    url = client.stack.urls()["citizen_app"]
    with chromium.phone(browser) as page:
        sign_in(page, url, STRANGER.cccd)
        expect(page.locator("li.rx", has_text=code)).to_have_count(0)
        # When the stranger opens the patient's prescription by its address
        page.goto(f"{url}/app#/don-thuoc/{PATIENT.cccd}/{code}")
        # Then the page says, in Vietnamese, that it is not theirs, and shows none of it
        refused = page.get_by_role("alert")
        expect(refused).to_contain_text("Bạn không có quyền xem hay thay đổi đơn thuốc")
        expect(refused).to_contain_text("OTHER_CITIZEN")
        expect(page.get_by_text(DRUG.name)).to_have_count(0)
        chromium.check(page, "08-another-citizens-prescription-refused")
