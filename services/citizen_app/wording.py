"""What the citizen's page says about a prescription, in Vietnamese, as plain functions of the
view the API gives (`Inbox.view`): the state in words, the order's progress as steps, and why
something did not happen. The page only draws it, so what it says is tested here without a
browser."""

from dataclasses import asdict, dataclass
from typing import Any

from rxsim.domain.reasons import Reason

STATE_LABEL = {
    "AVAILABLE": "Chờ chọn nhà thuốc",
    "ORDERED": "Đã đặt thuốc",
    "ACCEPTED": "Nhà thuốc đã nhận đơn",
    "PENDING_CANCELLATION": "Đang hủy theo yêu cầu của bác sĩ",
    "DISPENSED": "Đã cấp phát thuốc",
    "OUT_FOR_DELIVERY": "Đang giao hàng",
    "DELIVERY_FAILED": "Giao hàng không thành công",
    "DELIVERED": "Đã giao thuốc",
    "PICKED_UP": "Đã nhận thuốc tại nhà thuốc",
    "CANCELLED": "Đơn thuốc đã bị hủy",
    "EXPIRED": "Đơn thuốc đã hết hạn",
    "REJECTED": "Đơn thuốc bị từ chối",
}
FINISHED = frozenset({"DELIVERED", "PICKED_UP", "CANCELLED", "EXPIRED", "REJECTED"})

# The order's road, by how the drugs reach the citizen.
DELIVERY_STEPS = ("ORDERED", "ACCEPTED", "DISPENSED", "OUT_FOR_DELIVERY", "DELIVERED")
PICKUP_STEPS = ("ORDERED", "ACCEPTED", "DISPENSED", "PICKED_UP")
STEP_LABEL = {
    "ORDERED": "Đã đặt",
    "ACCEPTED": "Nhà thuốc nhận đơn",
    "DISPENSED": "Đã cấp phát thuốc",
    "OUT_FOR_DELIVERY": "Đang giao",
    "DELIVERED": "Đã giao",
    "PICKED_UP": "Đã nhận tại quầy",
}
CONTROLLED_PICKUP_ONLY = (
    "Đơn có thuốc kiểm soát đặc biệt (gây nghiện, hướng thần): chỉ nhận tại nhà thuốc, "
    "không giao tận nhà."
)


@dataclass(frozen=True)
class Step:
    state: str
    label: str
    done: bool
    at: str | None  # when it happened, ISO 8601


def steps(view: dict[str, Any]) -> list[Step]:
    """The order's progress: each step of its road, done or not yet, since the latest order
    (a declined order and its re-choice start the road again)."""
    history = view.get("history") or []
    since = [i for i, step in enumerate(history) if step["state"] == "ORDERED"]
    if not since:
        return []
    reached = {step["state"]: step["at"] for step in history[since[-1] :]}
    road = PICKUP_STEPS if view.get("fulfilment") == "pickup" else DELIVERY_STEPS
    return [Step(s, STEP_LABEL[s], s in reached, reached.get(s)) for s in road]


def failed_attempts(view: dict[str, Any]) -> int:
    return sum(1 for step in view.get("history") or [] if step["state"] == "DELIVERY_FAILED")


def notices(view: dict[str, Any]) -> list[str]:
    """Why something did not happen, plainly: the prescription refused, declined, cancelled or
    expired, a failed delivery, or a request of the citizen's that could not be applied."""
    state, reason, code = view["state"], view.get("reason"), view.get("reason_code")
    why = f": {reason}" if reason else "."
    said = []
    if state == "REJECTED":
        said.append(f"Cổng dữ liệu y tế quốc gia đã từ chối đơn thuốc này{why}")
    elif state == "CANCELLED":
        said.append(f"Bác sĩ đã hủy đơn thuốc này{why}")
    elif state == "EXPIRED":
        said.append(f"Đơn thuốc đã hết hạn: không mua thuốc trong thời hạn hiệu lực{why}")
    elif state == "AVAILABLE" and code == Reason.PHARMACY_DECLINED:
        said.append(f"Nhà thuốc đã từ chối đơn{why} Vui lòng chọn nhà thuốc khác.")
    elif state == "AVAILABLE" and code == Reason.PARTIALLY_DISPENSED:
        said.append(f"Nhà thuốc mới bán một phần{why} Hãy chọn nhà thuốc cho phần còn lại.")
    attempts = failed_attempts(view)
    if attempts:
        said.append(f"Giao hàng không thành công {attempts} lần; nhà thuốc sẽ giao lại.")
    refused = view.get("refused")
    if refused:
        said.append(f"Yêu cầu chọn nhà thuốc của bạn không thực hiện được: {refused['reason']}")
    return said


def display(view: dict[str, Any]) -> dict[str, Any]:
    """What the page shows of one prescription, beside the view itself."""
    return {
        "state_label": STATE_LABEL.get(view["state"], view["state"]),
        "finished": view["state"] in FINISHED,
        "steps": [asdict(step) for step in steps(view)],
        "notices": notices(view),
        "pickup_only": None if view.get("home_delivery_allowed", True) else CONTROLLED_PICKUP_ONLY,
    }
