// The operations dashboard. Plain JavaScript, no library: it signs in with the operator's
// token, polls /api/overview and draws it; the search asks /api/history. Data goes into the
// page as text, never as HTML.
"use strict";

const POLL_MS = 2000;
const store = window.sessionStorage; // the token lives as long as this tab, and only in it
const main = document.getElementById("main");
const signOutButton = document.getElementById("sign-out");
const updated = document.getElementById("updated");
const live = document.getElementById("live");
let poll = null;

const REFUSAL = {
  TOKEN_MISSING: "No token: paste the operator's token.",
  TOKEN_INVALID: "This token is not one of this stack's (a stopped stack's, or mistyped).",
  TOKEN_EXPIRED: "This token has expired: ask for a new one.",
  WRONG_AUDIENCE: "This is not an operator's token (a citizen's, a facility's or a pharmacy's).",
  RATE_LIMITED: "Too many requests: wait a moment.",
  AUDIT_UNAVAILABLE: "The audit trail cannot be written just now, so nothing is shown.",
};
const STATES = ["ISSUED", "VALIDATED", "AVAILABLE", "ORDERED", "ACCEPTED", "PENDING_CANCELLATION",
  "DISPENSED", "OUT_FOR_DELIVERY", "DELIVERY_FAILED", "DELIVERED", "PICKED_UP", "CANCELLED",
  "EXPIRED", "REJECTED"];
const KIND = { hospital: "hospital (bệnh viện)", clinic: "clinic (phòng khám)" };
const WAVE = { pilot: "pilot (thí điểm)", national: "national (toàn quốc)" };

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

async function call(path) {
  const token = store.getItem("operator-token");
  const headers = { Accept: "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch(path, { headers });
  } catch (error) {
    return { ok: false, status: 0, said: "The dashboard does not answer: is the stack running?" };
  }
  let data = null;
  try {
    data = await response.json();
  } catch (error) {
    data = null;
  }
  let said = null;
  if (!response.ok) {
    const code = data && data.reason_code;
    said = code
      ? `${REFUSAL[code] || "Refused."} (${code}: ${data.detail})`
      : `Refused (HTTP ${response.status}).`;
  }
  return { ok: response.ok, status: response.status, data, said };
}

const number = (n) => (n === null || n === undefined ? "—" : Number(n).toLocaleString("en"));

function ms(value) {
  if (!value) return "—";
  if (value < 1000) return `${value} ms`;
  if (value < 60000) return `${(value / 1000).toFixed(1)} s`;
  return `${(value / 60000).toFixed(1)} min`;
}

function table(caption, heads, rows, empty) {
  const head = el("tr", {}, heads.map((h) => el("th", { scope: "col", class: h.num ? "num" : null }, h.text || h)));
  const body = rows.length
    ? rows.map((cells) => el("tr", {}, cells.map((c, i) =>
      el("td", { class: heads[i].num ? "num" : null }, c))))
    : [el("tr", {}, el("td", { colspan: String(heads.length), class: "empty" }, empty))];
  return el("table", {}, el("caption", {}, caption), el("thead", {}, head), el("tbody", {}, body));
}
const num = (text) => ({ text, num: true });

// --- Sign in: the operator's token, kept in this tab only ---

function signIn(message) {
  stop();
  signOutButton.hidden = true;
  updated.hidden = true;
  const token = el("input", {
    id: "token", name: "token", type: "password", autocomplete: "off", required: true,
    "aria-describedby": "token-hint",
  });
  const form = el("form", { class: "card signin", onsubmit: async (event) => {
    event.preventDefault();
    store.setItem("operator-token", token.value.trim());
    const first = await call("/api/overview");
    if (!first.ok) {
      store.removeItem("operator-token");
      return signIn(first.said);
    }
    dashboard(first.data);
  } },
    el("h1", {}, "Sign in"),
    el("label", { for: "token" }, "Operator token"),
    token,
    el("p", { id: "token-hint", class: "hint" }, "Print one for the running stack with ",
      el("code", {}, "rxsim token operator"), " (rxsim demo prints its own). It stays in this tab only."),
    message ? el("p", { class: "alert", role: "alert" }, message) : null,
    el("button", { type: "submit", class: "primary" }, "Sign in"),
  );
  main.replaceChildren(form);
  token.focus();
}

function stop() {
  if (poll) clearTimeout(poll);
  poll = null;
}

// --- The dashboard: built once, its panels filled again at every poll ---

const panels = {};

function dashboard(first) {
  stop();
  signOutButton.hidden = false;
  for (const id of ["tiles", "throughput", "states", "stages", "adoption", "refusals",
    "quality", "alerts", "deadletters", "lag"]) {
    // Data quality names each facility: a row needs the page's width.
    panels[id] = el("section", { class: id === "quality" ? "card wide" : "card", id: `panel-${id}` });
  }
  panels.tiles = el("section", { class: "tiles", id: "panel-tiles", "aria-label": "Totals" });
  main.replaceChildren(
    el("h1", {}, "Operations dashboard"),
    panels.tiles,
    el("div", { class: "grid" },
      searchPanel(), panels.throughput, panels.states, panels.stages, panels.adoption,
      panels.refusals, panels.quality, panels.alerts, panels.deadletters, panels.lag),
  );
  draw(first);
  poll = setTimeout(refresh, POLL_MS);
}

async function refresh() {
  const answer = await call("/api/overview");
  if (!answer.ok && answer.status === 401) {
    store.removeItem("operator-token");
    return signIn(answer.said);
  }
  if (answer.ok) draw(answer.data);
  else updated.textContent = answer.said;
  poll = setTimeout(refresh, POLL_MS);
}

function draw(data) {
  updated.hidden = false;
  updated.textContent = `Live · updated ${new Date(data.generated_at * 1000).toLocaleTimeString("en-GB")}`;
  drawTiles(data);
  drawThroughput(data.throughput);
  drawStates(data.by_state, data.state_labels || {});
  panels.stages.replaceChildren(table("Latency per stage (since the dashboard started reading)",
    ["stage", "clock", num("n"), num("p50"), num("p90"), num("p99"), num("max")],
    data.stages.map((s) => [s.label, s.clock, number(s.n), ms(s.p50), ms(s.p90), ms(s.p99), ms(s.max)]),
    "no prescription has moved yet"));
  panels.adoption.replaceChildren(table("Adoption by province and facility kind (triển khai)",
    ["province", "kind", "wave", num("facilities prescribing"), num("submissions")],
    data.adoption.map((r) => [el("span", { lang: "vi" }, r.province), KIND[r.kind] || r.kind,
      el("span", { class: r.wave === "pilot" ? "pilot" : null }, WAVE[r.wave] || r.wave),
      `${number(r.prescribing)} of ${number(r.facilities)}`, number(r.submitted)]),
    "no facility has sent a prescription yet"));
  panels.refusals.replaceChildren(table("Top refusal reasons",
    ["what was refused", "reason code", num("count")],
    data.refusals.map((r) => [r.kind, el("code", {}, r.reason_code), number(r.count)]),
    "nothing refused yet"));
  panels.quality.replaceChildren(table("Data quality per facility (accepted the first time)",
    ["facility", num("submissions"), num("accepted first time"), "most frequent reasons"],
    data.quality.map((q) => [el("span", {}, q.facility, " ",
      el("span", { class: "hint", lang: "vi" }, q.name || "")), number(q.submitted),
      `${number(q.accepted_first_time)} (${Math.round((q.share || 0) * 100)}%)`,
      q.reasons.map((r) => `${r.reason_code} ×${r.count}`).join(", ") || "—"]),
    "no submission yet"));
  panels.alerts.replaceChildren(table(
    `Counterfeit and recalled lots blocked (thuốc giả, lô thu hồi): ${number(data.alerts.total)}`,
    ["why the pharmacy refused to sell", num("count")],
    Object.entries(data.alerts.by_reason).map(([why, n]) => [why, number(n)]),
    "no lot blocked"));
  panels.deadletters.replaceChildren(table(`Dead letters: ${number(data.dead_letters.total)}`,
    ["consumer", "from topic", num("count")],
    data.dead_letters.by_consumer.map((d) => [d.consumer, d.topic, number(d.count)]),
    "no message refused by a consumer"));
  const lags = Object.entries(data.lag).map(([service, topics]) => {
    const each = Object.entries(topics);
    return [service, number(each.reduce((sum, [, n]) => sum + n, 0)),
      el("span", { class: "hint" }, each.map(([topic, n]) => `${topic} ${number(n)}`).join(" · "))];
  });
  panels.lag.replaceChildren(table("Consumer lag (events not yet handled)",
    ["reader", num("behind"), "per topic"], lags, "no service has answered yet"));
}

function drawTiles(data) {
  const ended = data.ended || {};
  const tiles = [
    ["submitted", "prescriptions submitted", data.submitted],
    ["in-flight", "in flight", data.in_flight],
    ["delivered", "delivered or picked up", (ended.DELIVERED || 0) + (ended.PICKED_UP || 0)],
    ["rejected", "rejected by the national rules", ended.REJECTED || 0],
    ["alerts", "lots blocked", data.alerts.total],
    ["dead-letters", "dead letters", data.dead_letters.total],
  ];
  panels.tiles.replaceChildren(...tiles.map(([id, what, n]) =>
    el("div", { class: "tile", "data-figure": id }, el("span", { class: "n" }, number(n)),
      el("span", { class: "what" }, what))));
}

function drawThroughput(t) {
  const svgNs = "http://www.w3.org/2000/svg";
  const peak = Math.max(1, ...t.submitted, ...t.ended);
  const svg = document.createElementNS(svgNs, "svg");
  svg.setAttribute("class", "chart");
  svg.setAttribute("viewBox", `0 0 ${t.seconds * 4} 100`);
  svg.setAttribute("preserveAspectRatio", "none");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", `Per second over the last ${t.seconds} s: at most ${peak}`);
  t.submitted.forEach((n, i) => {
    for (const [value, dx, colour] of [[n, 0, "#1d4ed8"], [t.ended[i], 2, "#166534"]]) {
      if (!value) continue;
      const bar = document.createElementNS(svgNs, "rect");
      const h = (value / peak) * 96;
      bar.setAttribute("x", String(i * 4 + dx));
      bar.setAttribute("y", String(100 - h));
      bar.setAttribute("width", "1.8");
      bar.setAttribute("height", String(h));
      bar.setAttribute("fill", colour);
      svg.append(bar);
    }
  });
  panels.throughput.replaceChildren(
    el("h2", {}, "Throughput (last minute)"),
    el("p", { class: "rates" },
      el("span", { class: "key-submitted", "data-figure": "submitted-per-s" }, `${t.submitted_per_s}/s submitted`),
      el("span", { class: "key-ended", "data-figure": "ended-per-s" }, `${t.ended_per_s}/s ended`)),
    svg,
    el("p", { class: "hint" }, `Mean of the last 10 s; bars: each second, submitted (blue) and ended (green), highest ${peak}.`),
  );
}

function drawStates(byState, labels) {
  if (!byState) {
    panels.states.replaceChildren(el("h2", {}, "Prescriptions by state"),
      el("p", { class: "empty" }, "the coordinator has not answered yet"));
    return;
  }
  const total = Object.values(byState).reduce((a, b) => a + b, 0);
  const rows = STATES.filter((s) => byState[s]).map((s) => [
    el("span", {}, s, " ", el("span", { class: "hint", lang: "vi" }, labels[s] || "")),
    number(byState[s]),
    el("div", { class: "meter", "aria-hidden": "true" },
      el("span", { style: `width: ${Math.round((byState[s] / Math.max(1, total)) * 100)}%` })),
  ]);
  const t = table("Prescriptions by state (trạng thái đơn thuốc), as the coordinator counts them",
    ["state", num("prescriptions"), { text: "share" }], rows, "none yet");
  t.id = "by-state";
  t.querySelectorAll("tbody tr").forEach((tr, i) => {
    if (rows.length) tr.dataset.state = STATES.filter((s) => byState[s])[i];
    const meter = tr.lastChild;
    if (meter) meter.className = "bar-cell";
  });
  t.append(el("tfoot", {}, el("tr", { "data-state": "total" }, el("th", { scope: "row" }, "total"),
    el("td", { class: "num" }, number(total)), el("td"))));
  panels.states.replaceChildren(t);
}

// --- Search: a prescription's whole history, across every topic ---

function searchPanel() {
  const query = el("input", { id: "query", name: "q", autocomplete: "off", required: true,
    maxlength: "64", "aria-describedby": "query-hint" });
  const result = el("div", { id: "history" });
  const form = el("form", { class: "search", role: "search", onsubmit: async (event) => {
    event.preventDefault();
    const q = query.value.trim();
    result.replaceChildren(el("p", { class: "hint" }, `Reading every topic for ${q}…`));
    const answer = await call(`/api/history?q=${encodeURIComponent(q)}`);
    if (!answer.ok) {
      if (answer.status === 401) store.removeItem("operator-token");
      return result.replaceChildren(el("p", { class: "alert", role: "alert" }, answer.said));
    }
    drawHistory(result, answer.data);
  } },
    el("div", { class: "field" },
      el("label", { for: "query" }, "Prescription code or submission id"),
      query),
    el("button", { type: "submit", class: "primary" }, "Search"),
  );
  return el("section", { class: "card wide", id: "panel-search" },
    el("h2", {}, "Find a prescription (tra cứu đơn thuốc)"),
    form,
    el("p", { id: "query-hint", class: "hint" }, "Its whole history on every topic, in time order; the patient's name as initials, no CCCD or address."),
    result);
}

function drawHistory(result, data) {
  if (!data.steps.length) {
    result.replaceChildren(el("p", { class: "alert", role: "alert" }, `No event about ${data.query} on any topic.`));
    live.textContent = `No event about ${data.query}.`;
    return;
  }
  const head = el("li", { class: "head", "aria-hidden": "true" },
    el("span", {}, "time"), el("span", {}, "service"), el("span", {}, "topic · event"),
    el("span", {}, "what happened"), el("span", {}, "state after"));
  const items = data.steps.map((s) => el("li", { class: s.state_changed ? "moved" : null },
    el("time", { datetime: s.at }, new Date(s.at).toLocaleTimeString("en-GB", { hour12: false }) +
      `.${String(new Date(s.at).getMilliseconds()).padStart(3, "0")}`),
    el("span", {}, s.service),
    el("span", {}, s.topic, el("br"), el("span", { class: "event" }, s.event)),
    el("span", {}, s.summary),
    el("span", { class: "state" }, s.state || "—")));
  result.replaceChildren(
    el("h3", {}, `Prescription ${data.prescriptions.join(", ") || data.query}`),
    el("p", { class: "hint" }, `submission ${data.submissions.join(", ")} · ${data.steps.length} events`),
    el("ol", { class: "timeline", "aria-label": "event history" }, head, items),
  );
  live.textContent = `${data.steps.length} events about ${data.query}.`;
}

signOutButton.addEventListener("click", () => {
  store.removeItem("operator-token");
  signIn(null);
});

if (store.getItem("operator-token")) {
  call("/api/overview").then((first) => (first.ok ? dashboard(first.data) : signIn(first.said)));
} else {
  signIn(null);
}
