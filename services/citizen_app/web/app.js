// The citizen's prescriptions page. Plain JavaScript, no library: it only signs in, calls the
// app's JSON API with the citizen's token and draws what the API says (the wording comes from
// the server, services/citizen_app/wording.py). Data is put in the page as text, never as HTML.
"use strict";

const POLL_MS = 2000; // an order in flight is asked for again this often, until it finishes
const store = window.sessionStorage; // the token lives as long as this tab, and only in it
const main = document.getElementById("main");
const signOutButton = document.getElementById("sign-out");
let poll = null;
let waiting = null; // a choice sent and not yet answered: {id, refused, until}

// Refusals the API names by reason code, said in Vietnamese (the API's own detail follows).
const REFUSAL = {
  TOKEN_MISSING: "Bạn chưa đăng nhập.",
  TOKEN_INVALID: "Phiên đăng nhập không hợp lệ. Vui lòng đăng nhập lại.",
  TOKEN_EXPIRED: "Phiên đăng nhập đã hết hạn. Vui lòng đăng nhập lại.",
  WRONG_AUDIENCE: "Tài khoản này không dùng được cho ứng dụng công dân.",
  OTHER_CITIZEN: "Bạn không có quyền xem hay thay đổi đơn thuốc của người khác.",
  CODE_NOT_SENT: "Chưa có mã OTP cho số định danh này. Hãy nhận mã mới.",
  CODE_WRONG: "Mã OTP không đúng.",
  CODE_EXPIRED: "Mã OTP đã hết hạn. Hãy nhận mã mới.",
  CODE_ATTEMPTS_EXCEEDED: "Nhập sai mã quá nhiều lần. Hãy nhận mã mới.",
  RATE_LIMITED: "Bạn thao tác quá nhanh. Vui lòng thử lại sau ít phút.",
  AUDIT_UNAVAILABLE: "Hệ thống tạm thời không ghi được nhật ký truy cập. Vui lòng thử lại.",
};

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined) node.append(child);
  }
  return node;
}

function session() {
  const token = store.getItem("token");
  const cccd = store.getItem("cccd");
  return token && cccd ? { token, cccd } : null;
}

// Every answer as {ok, status, data}; a refusal's message in Vietnamese in `said`.
async function call(method, path, body) {
  const headers = { Accept: "application/json" };
  const who = session();
  if (who) headers.Authorization = `Bearer ${who.token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(path, { method, headers, body: body && JSON.stringify(body) });
  } catch (error) {
    return { ok: false, status: 0, said: "Không kết nối được máy chủ. Vui lòng thử lại." };
  }
  let data = null;
  try {
    data = await response.json();
  } catch (error) {
    data = null;
  }
  return { ok: response.ok, status: response.status, data, said: refusal(response.status, data) };
}

function refusal(status, data) {
  if (status < 400) return null;
  const code = data && data.reason_code;
  if (code === "TOKEN_EXPIRED" || code === "TOKEN_INVALID") forget();
  if (code) return `${REFUSAL[code] || "Yêu cầu bị từ chối."} (${code}: ${data.detail})`;
  const detail = data && data.detail;
  if (status === 422 && Array.isArray(detail)) {
    const where = detail.map((d) => `${d.loc.slice(1).join(".")}: ${d.msg}`).join("; ");
    return `Thông tin chưa hợp lệ (${where}).`;
  }
  if (status === 404) return `Không tìm thấy trong ứng dụng của bạn (${detail || status}).`;
  if (status === 409) return `Không thực hiện được lúc này: ${detail}`;
  return `Có lỗi xảy ra (${status}${detail ? `: ${detail}` : ""}).`;
}

function forget() {
  store.removeItem("token");
  store.removeItem("cccd");
}

function alertBox(text) {
  return el("p", { class: "alert", role: "alert" }, text);
}

function show(...nodes) {
  if (poll) clearTimeout(poll);
  poll = null;
  main.replaceChildren(...nodes);
  signOutButton.hidden = !session();
}

function date(iso) {
  return iso ? new Date(iso).toLocaleString("vi-VN") : "";
}

// --- Sign in: CCCD, then the one-time code VNeID sends (shown, this being a simulator) ---

function signIn(message) {
  const error = el("div");
  const cccd = el("input", {
    id: "cccd", name: "cccd", inputmode: "numeric", autocomplete: "username",
    pattern: "\\d{12}", maxlength: "12", required: true, "aria-describedby": "cccd-hint",
  });
  const form = el("form", { class: "card", onsubmit: async (event) => {
    event.preventDefault();
    const sent = await call("POST", "/auth/otp", { cccd: cccd.value.trim() });
    if (!sent.ok) return error.replaceChildren(alertBox(sent.said));
    askCode(cccd.value.trim(), sent.data);
  } },
    el("h1", {}, "Đăng nhập"),
    el("label", { for: "cccd" }, "Số định danh cá nhân (CCCD)"),
    cccd,
    el("p", { id: "cccd-hint", class: "hint" }, "12 chữ số, in trên căn cước công dân."),
    el("button", { type: "submit", class: "primary" }, "Nhận mã OTP"),
    error);
  show(message ? alertBox(message) : null, form);
  cccd.focus();
}

function askCode(cccd, sent) {
  const error = el("div");
  const code = el("input", {
    id: "otp", name: "otp", inputmode: "numeric", autocomplete: "one-time-code",
    pattern: "\\d{6}", maxlength: "6", required: true,
  });
  const form = el("form", { class: "card", onsubmit: async (event) => {
    event.preventDefault();
    const answer = await call("POST", "/auth/token", { cccd, code: code.value.trim() });
    if (!answer.ok) {
      const why = answer.data && answer.data.reason_code;
      const text = why ? `${REFUSAL[why] || ""} (${why}: ${answer.data.detail})` : answer.said;
      return error.replaceChildren(alertBox(text));
    }
    store.setItem("token", answer.data.access_token);
    store.setItem("cccd", cccd);
    location.hash = "#/don-thuoc";
    route();
  } },
    el("h1", {}, "Nhập mã OTP"),
    el("p", { class: "simulated" },
      "VNeID đã gửi mã tới điện thoại đăng ký của bạn. Bản mô phỏng hiển thị mã tại đây: ",
      el("strong", { id: "simulated-code" }, sent.simulated_code)),
    el("label", { for: "otp" }, `Mã OTP (6 chữ số, hiệu lực ${Math.round(sent.expires_in / 60)} phút)`),
    code,
    el("button", { type: "submit", class: "primary" }, "Đăng nhập"),
    el("button", { type: "button", class: "link-button", onclick: () => signIn() }, "Đổi số định danh"),
    error);
  show(form);
  code.focus();
}

// --- The list of prescriptions ---

async function list() {
  const who = session();
  const answer = await call("GET", `/citizens/${who.cccd}/prescriptions`);
  if (!answer.ok) return session() ? show(alertBox(answer.said)) : signIn(answer.said);
  const items = answer.data.map((rx) => el("li", { class: "card rx" },
    el("div", { class: "rx-head" },
      el("h2", {}, rx.facility_name || `Cơ sở ${rx.facility_code}`),
      badge(rx)),
    el("p", { class: "meta" }, `Mã đơn ${rx.prescription_id}`),
    rx.items.length ? el("p", {}, rx.items.map((i) => i.name).join(", ")) : null,
    rx.valid_until ? el("p", { class: "meta" }, `Hiệu lực đến ${date(rx.valid_until)}`) : null,
    rx.display.notices.map((text) => el("p", { class: "notice" }, text)),
    el("a", { href: `#/don-thuoc/${who.cccd}/${encodeURIComponent(rx.prescription_id)}`,
      class: "open" }, "Xem đơn thuốc", el("span", { class: "visually-hidden" }, ` ${rx.prescription_id}`))));
  show(
    el("h1", {}, "Đơn thuốc của tôi"),
    el("p", { class: "meta" }, `Công dân ${who.cccd.slice(0, 3)}•••••••${who.cccd.slice(-2)}`),
    items.length ? el("ul", { class: "list" }, items)
      : el("p", { class: "card" }, "Chưa có đơn thuốc nào. Đơn thuốc bác sĩ kê sẽ hiện ở đây."));
  poll = setTimeout(route, POLL_MS * 3);
}

function badge(rx) {
  const tone = rx.state === "REJECTED" || rx.state === "CANCELLED" || rx.state === "EXPIRED"
    ? "bad" : rx.display.finished ? "done" : "active";
  return el("span", { class: `badge ${tone}` }, rx.display.state_label);
}

// --- One prescription: drugs, validity, progress, and the choice of a pharmacy ---

async function detail(cccd, id) {
  const answer = await call("GET", `/citizens/${cccd}/prescriptions/${encodeURIComponent(id)}`);
  const back = el("a", { href: "#/don-thuoc", class: "back" }, "‹ Đơn thuốc của tôi");
  if (!answer.ok) return session() ? show(back, alertBox(answer.said)) : signIn(answer.said);
  const rx = answer.data;
  const nodes = [
    back,
    el("h1", {}, `Đơn thuốc ${rx.prescription_id}`),
    el("section", { class: "card" },
      el("div", { class: "rx-head" }, el("h2", {}, rx.facility_name || `Cơ sở ${rx.facility_code}`), badge(rx)),
      rx.prescriber_name ? el("p", {}, `Bác sĩ kê đơn: ${rx.prescriber_name}`) : null,
      rx.valid_until ? el("p", {}, `Hiệu lực đến: ${date(rx.valid_until)}`) : null,
      rx.display.notices.map((text) => el("p", { class: "notice", role: "status" }, text)),
      rx.items.length ? drugs(rx.items) : null),
  ];
  if (rx.display.steps.length) nodes.push(progress(rx));
  // A choice just sent shows as sent until the coordinator moves the prescription or refuses
  // the choice (the form would otherwise come back as if nothing had been asked).
  const refused = JSON.stringify(rx.refused);
  const sent = waiting && waiting.id === rx.prescription_id && rx.state === "AVAILABLE"
    && waiting.refused === refused && Date.now() < waiting.until;
  if (!sent) waiting = null;
  if (sent) {
    nodes.push(el("p", { class: "card ok", role: "status" },
      "Đã gửi yêu cầu đặt thuốc. Đang chờ nhà thuốc xác nhận…"));
  } else if (rx.state === "AVAILABLE") nodes.push(chooser(cccd, rx));
  show(...nodes);
  if (sent || (!rx.display.finished && rx.state !== "AVAILABLE")) {
    poll = setTimeout(route, POLL_MS);
  }
}

function drugs(items) {
  return el("table", { class: "drugs" },
    el("caption", {}, "Thuốc được kê"),
    el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "Thuốc"),
      el("th", { scope: "col" }, "Số lượng"), el("th", { scope: "col" }, "Cách dùng"))),
    el("tbody", {}, items.map((item) => el("tr", {},
      el("td", {}, item.name), el("td", {}, `${item.quantity} ${item.unit}`),
      el("td", {}, item.instructions || "")))));
}

function progress(rx) {
  const where = rx.fulfilment === "pickup" ? "Nhận tại nhà thuốc" : "Giao tận nhà";
  document.getElementById("live").textContent = rx.display.state_label;
  return el("section", { class: "card" },
    el("h2", {}, `Theo dõi đơn hàng · ${where}`),
    rx.pharmacy_id ? el("p", { class: "meta" }, `Nhà thuốc ${rx.pharmacy_id}`) : null,
    el("ol", { class: "steps" }, rx.display.steps.map((step) =>
      el("li", { class: step.done ? "done" : "todo" },
        el("span", {}, step.label),
        el("span", { class: "meta" }, step.done ? date(step.at) : "chưa")))));
}

function chooser(cccd, rx) {
  const error = el("div");
  const pharmacies = el("fieldset", {}, el("legend", {}, "Nhà thuốc"),
    el("p", { class: "hint" }, "Chọn tỉnh, thành phố để xem nhà thuốc."));
  const province = el("select", { id: "province", name: "province", required: true,
    onchange: () => loadPharmacies(cccd, rx, province.value, pharmacies, error) },
    el("option", { value: "" }, "— Chọn tỉnh, thành phố —"));
  call("GET", "/provinces").then((answer) => {
    if (!answer.ok) return error.replaceChildren(alertBox(answer.said));
    province.append(...answer.data.map((name) => el("option", { value: name }, name)));
  });
  const address = el("textarea", { id: "address", name: "address", rows: "2", maxlength: "300",
    autocomplete: "street-address" });
  const addressField = el("div", { class: "field" },
    el("label", { for: "address" }, "Địa chỉ giao thuốc"), address);
  const way = (value, label, disabled) => el("label", { class: "choice" },
    el("input", { type: "radio", name: "fulfilment", value, disabled,
      checked: value === (rx.home_delivery_allowed ? "delivery" : "pickup"),
      onchange: () => { addressField.hidden = value !== "delivery"; } }), label);
  addressField.hidden = !rx.home_delivery_allowed;
  const form = el("form", { class: "card", onsubmit: async (event) => {
    event.preventDefault();
    const chosen = form.querySelector("input[name=pharmacy]:checked");
    const fulfilment = form.querySelector("input[name=fulfilment]:checked").value;
    if (!chosen) return error.replaceChildren(alertBox("Vui lòng chọn một nhà thuốc."));
    if (fulfilment === "delivery" && !address.value.trim()) {
      return error.replaceChildren(alertBox("Vui lòng nhập địa chỉ giao thuốc."));
    }
    const answer = await call("POST",
      `/citizens/${cccd}/prescriptions/${encodeURIComponent(rx.prescription_id)}/choice`,
      { pharmacy_id: chosen.value, fulfilment,
        address: fulfilment === "delivery" ? address.value.trim() : null });
    if (!answer.ok) return error.replaceChildren(alertBox(answer.said));
    waiting = { id: rx.prescription_id, refused: JSON.stringify(rx.refused),
      until: Date.now() + 60000 };
    route();
  } },
    el("h2", {}, "Chọn nhà thuốc"),
    el("div", { class: "field" }, el("label", { for: "province" }, "Tỉnh, thành phố"), province),
    pharmacies,
    el("fieldset", {}, el("legend", {}, "Cách nhận thuốc"),
      way("delivery", "Giao tận nhà", !rx.home_delivery_allowed),
      way("pickup", "Nhận tại nhà thuốc", false),
      rx.display.pickup_only ? el("p", { class: "notice" }, rx.display.pickup_only) : null),
    addressField,
    el("button", { type: "submit", class: "primary" }, "Đặt thuốc"),
    error);
  return form;
}

async function loadPharmacies(cccd, rx, province, box, error) {
  const legend = box.querySelector("legend");
  box.replaceChildren(legend, el("p", { class: "hint" }, "Đang kiểm tra tồn kho…"));
  if (!province) return;
  const answer = await call("GET",
    `/citizens/${cccd}/prescriptions/${encodeURIComponent(rx.prescription_id)}/pharmacies?province=${encodeURIComponent(province)}`);
  if (!answer.ok) return error.replaceChildren(alertBox(answer.said));
  box.replaceChildren(legend, ...answer.data.map((p) => el("label", { class: "choice pharmacy" },
    el("input", { type: "radio", name: "pharmacy", value: p.id }),
    el("span", {}, el("span", { class: "name" }, p.name),
      el("span", { class: `stock ${p.has_everything ? "yes" : "no"}` }, stockText(p))))));
}

function stockText(p) {
  if (p.has_everything === null) return "Chưa rõ tồn kho";
  if (p.has_everything) return "Có đủ thuốc";
  return `Thiếu: ${p.lacking.join(", ")}`;
}

// --- Where we are: #/don-thuoc (the list), #/don-thuoc/CCCD/ID (one prescription) ---

function route() {
  if (!session()) return signIn();
  const parts = location.hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
  if (parts[0] === "don-thuoc" && parts.length === 3) return detail(parts[1], parts[2]);
  return list();
}

signOutButton.addEventListener("click", () => {
  forget();
  location.hash = "";
  signIn("Bạn đã đăng xuất.");
});
window.addEventListener("hashchange", route);
route();
