// SKP dashboard: one cycle at a glance, kept live over Server-Sent Events.
// The token stays in sessionStorage and in the Authorization header (never in a URL that
// reaches the server); SSE is read with fetch() so that it can carry that header.
"use strict";

const STATUSES = [
  ["opened", "Dibuka"], ["plan_drafted", "Rencana disusun"], ["plan_submitted", "Rencana diajukan"],
  ["plan_returned", "Rencana dikembalikan"], ["targets_agreed", "Target disepakati"], ["scored", "Dinilai"],
  ["accepted", "Nilai diterima"], ["objected", "Keberatan"], ["resolved", "Diputus forum"], ["final", "Final"],
];
const PREDIKAT = [
  ["sangat_baik", "Sangat Baik"], ["baik", "Baik"], ["butuh_perbaikan", "Butuh Perbaikan"],
  ["kurang", "Kurang"], ["sangat_kurang", "Sangat Kurang"],
];
const EVENTS = {
  CycleOpened: "Siklus dibuka", AppraisalOpened: "Penilaian dibuka", PlanDrafted: "Rencana SKP disusun",
  PlanSubmitted: "Rencana diajukan", PlanReturned: "Rencana dikembalikan", TargetsAgreed: "Target disepakati",
  FeedbackGiven: "Umpan balik", RealisationRecorded: "Realisasi dicatat", ScoreGiven: "Nilai diberikan",
  ScoreAccepted: "Nilai diterima", ScoreObjected: "Keberatan diajukan", ForumResolved: "Keputusan forum",
  ScoreFinalized: "Nilai final",
};
const CHECKS = {
  chain_intact: "Rantai hash utuh", decided_by_person_of_record: "Diputus oleh pejabat yang berwenang",
  participative: "Partisipatif: target disepakati dan ada umpan balik", predikat_matches_matrix: "Predikat sesuai matriks",
  within_windows: "Tenggat keberatan dan keputusan dipatuhi", final_matches_decision: "Nilai final sesuai keputusan terakhir",
};
const ROLES = { employee: "pegawai", rater: "pejabat penilai", rater_superior: "atasan pejabat penilai", peer: "rekan kerja", admin: "admin BKPSDM", system: "sistem" };
const WARNINGS = {
  baik_over_70_percent: "Baik > 70%", no_low_predikat: "Tak ada Butuh Perbaikan/Kurang",
  sangat_baik_not_largest: "Sangat Baik bukan terbanyak", sangat_baik_over_70_percent: "Sangat Baik > 70%",
  butuh_perbaikan_under_60_percent: "Butuh Perbaikan < 60%", sangat_baik_over_10_percent: "Sangat Baik > 10%",
  kurang_under_60_percent: "Kurang < 60%", butuh_perbaikan_under_10_percent: "Butuh Perbaikan < 10%",
  sangat_kurang_under_60_percent: "Sangat Kurang < 60%", kurang_or_butuh_perbaikan_under_10_percent: "Kurang/Butuh Perbaikan < 10%",
  sangat_baik_present: "Ada Sangat Baik",
};
// Units and raters come a page at a time from their own routes (a ministry has thousands).
const PAGE_SIZE = 20;
const label = (pairs, key) => (pairs.find(([k]) => k === key) || [key, key])[1];
const $ = (id) => document.getElementById(id);

const state = { token: null, cycle: null, charts: {}, stream: null, findingsTimer: null, groups: { units: { page: 1, warning: "", total: 0 }, raters: { page: 1, warning: "", total: 0 } } };

function readFragment() {
  const params = new URLSearchParams(location.hash.slice(1));
  if (params.get("token")) {
    sessionStorage.setItem("skp-token", params.get("token"));
    params.delete("token");
    history.replaceState(null, "", location.pathname + (params.toString() ? "#" + params : ""));
  }
  state.token = sessionStorage.getItem("skp-token");
  state.cycle = params.get("cycle");
}

async function api(path) {
  const response = await fetch(path, { headers: { Authorization: "Bearer " + state.token } });
  if (response.status === 401 || response.status === 403) {
    sessionStorage.removeItem("skp-token");
    showLogin(response.status === 401 ? "Token tidak berlaku atau kedaluwarsa." : "Token ini tidak berperan admin atau inspektur.");
    throw new Error("unauthorised");
  }
  const body = await response.json();
  if (!response.ok) throw new Error(body.detail || body.title || response.status);
  return body;
}

function showLogin(message) {
  $("main").hidden = true;
  $("login").hidden = false;
  $("login-error").textContent = message || "";
}

function esc(text) {
  const span = document.createElement("span");
  span.textContent = text == null ? "" : String(text);
  return span.innerHTML;
}

function charts() {
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.animation = false;
  state.charts.status = new Chart($("chart-status"), {
    type: "bar",
    data: { labels: STATUSES.map(([, l]) => l), datasets: [{ label: "Penilaian", data: [], backgroundColor: "#3b82f6" }] },
    options: { indexAxis: "y", maintainAspectRatio: false, plugins: { legend: { display: false } }, scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } },
  });
  state.charts.predikat = new Chart($("chart-predikat"), {
    data: {
      labels: PREDIKAT.map(([, l]) => l),
      datasets: [
        { type: "bar", order: 1, label: "Sebaran saat ini (%)", data: [], backgroundColor: ["#15803d", "#3b82f6", "#f59e0b", "#f97316", "#b91c1c"] },
        { type: "line", order: 0, label: "Batas acuan SE 3/2023 (%)", data: [null, 70, null, null, null], borderColor: "#111827", pointStyle: "rectRot", pointRadius: 7, showLine: false },
      ],
    },
    options: { maintainAspectRatio: false, scales: { y: { beginAtZero: true, max: 100, ticks: { callback: (v) => v + "%" } } } },
  });
}

function render(progress) {
  $("cycle-title").textContent = `${progress.organization} · Tahun ${progress.year}`;
  $("kpi-total").textContent = progress.total;
  $("kpi-final").textContent = progress.by_status.final || 0;
  $("kpi-objected").textContent = progress.by_status.objected || 0;
  $("kpi-overdue").textContent = progress.overdue;
  $("kpi-overdue-detail").textContent = `rencana ${progress.overdue_detail.plans} · keberatan ${progress.overdue_detail.objections} · pembinaan ${progress.overdue_detail.pembinaan || 0}`;
  state.charts.status.data.datasets[0].data = STATUSES.map(([k]) => progress.by_status[k] || 0);
  state.charts.status.update();
  const scored = PREDIKAT.reduce((sum, [k]) => sum + (progress.by_predikat[k] || 0), 0);
  state.charts.predikat.data.datasets[0].data = PREDIKAT.map(([k]) => (scored ? Math.round((1000 * (progress.by_predikat[k] || 0)) / scored) / 10 : 0));
  state.charts.predikat.update();
  for (const kind of ["units", "raters"]) {
    const counts = progress[kind] || { count: 0, with_warnings: 0 };
    $(`${kind}-count`).textContent = `${counts.count} · ${counts.with_warnings} dengan peringatan`;
    const select = $(`${kind}-warning`);
    const chosen = select.value;
    select.innerHTML = `<option value="">${kind === "units" ? "semua unit" : "semua penilai"}</option>` +
      Object.entries(counts.by_warning || {}).map(([code, n]) => `<option value="${esc(code)}">${esc(WARNINGS[code] || code)} (${n})</option>`).join("");
    if ([...select.options].some((o) => o.value === chosen)) select.value = chosen;
  }
  // A live message names the units it changed: patch those shown; more than it names, reload the page.
  for (const unit of progress.changed_units || []) {
    const row = [...$("units").querySelectorAll("tr[data-key]")].find((r) => r.dataset.key === unit.key);
    if (row && (!state.groups.units.warning || unit.warnings.some((w) => w.code === state.groups.units.warning))) row.outerHTML = groupRow(unit, unit.key);
  }
  if (progress.changed_units_truncated) loadGroups("units").catch(() => {});
  $("updated").textContent = new Date().toLocaleTimeString("id-ID");
  $("sequence").textContent = progress.as_of_sequence;
  document.body.dataset.sequence = progress.as_of_sequence;
  document.dispatchEvent(new CustomEvent("skp:progress", { detail: progress })); // for the feature scripts: voices.js, pembinaan.js, periods.js
}

function groupRow(g, name) {
  return `<tr data-key="${esc(g.key)}"><td>${esc(name)}</td><td class="n">${g.total}</td><td class="n">${g.scored}</td><td>${
    g.warnings.map((w) => `<span class="badge warn" title="${esc(w.detail)}">${esc(WARNINGS[w.code] || w.code)}</span>`).join("") || '<span class="badge ok">sesuai</span>'}</td></tr>`;
}

async function loadGroups(kind) {
  const view = state.groups[kind];
  const warning = view.warning ? `&warning=${encodeURIComponent(view.warning)}` : "";
  const body = await api(`/v1/cycles/${state.cycle}/${kind}?page=${view.page}&limit=${PAGE_SIZE}${warning}`);
  view.total = body.total;
  const pages = Math.max(1, Math.ceil(body.total / PAGE_SIZE));
  $(`${kind}-page`).textContent = `hal. ${body.page} / ${pages}`;
  $(`${kind}-prev`).disabled = body.page <= 1;
  $(`${kind}-next`).disabled = body.page >= pages;
  $(kind).innerHTML = body.items.map((g) => groupRow(g, kind === "raters" ? g.name || g.key : g.key)).join("") || '<tr><td colspan="4">Tidak ada.</td></tr>';
}

async function loadFindings() {
  const body = await api(`/v1/cycles/${state.cycle}/findings?limit=50`);
  $("kpi-findings").textContent = body.total;
  $("findings").innerHTML = body.appraisals.map((f) => `<tr class="clickable" data-id="${f.appraisal_id}"><td><code>${f.appraisal_id.slice(0, 8)}</code></td><td>${esc(f.unit)}</td><td>${
    f.findings.map((c) => `<span class="badge bad">${esc(CHECKS[c] || c)}</span>`).join("")}</td></tr>`).join("") || '<tr><td colspan="3">Tidak ada temuan.</td></tr>';
}

async function loadAppraisals() {
  const status = $("status-filter").value;
  const body = await api(`/v1/cycles/${state.cycle}/appraisals?limit=300${status ? "&status=" + status : ""}`);
  $("appraisals").innerHTML = body.appraisals.map((a) => `<tr class="clickable" data-id="${a.appraisal_id}"><td>${esc(a.employee_name)}<br><small>${esc(a.employee_nip)}</small></td><td>${esc(a.unit)}</td><td>${esc(label(STATUSES, a.status))}</td><td>${esc(a.predikat ? label(PREDIKAT, a.predikat) : "–")}</td></tr>`).join("");
}

function refreshLists() {
  clearTimeout(state.findingsTimer);
  state.findingsTimer = setTimeout(() => { loadFindings().catch(() => {}); loadAppraisals().catch(() => {}); loadGroups("raters").catch(() => {}); }, 500);
}

async function showDetail(id) {
  const [history, audit] = await Promise.all([api(`/v1/appraisals/${id}/history`), api(`/v1/appraisals/${id}/audit`).catch(() => null)]);
  $("detail").hidden = false;
  $("detail-id").textContent = id;
  $("detail-chain").innerHTML = history.chain_valid ? '<span class="badge ok">Rantai hash utuh</span>' : '<span class="badge bad">Rantai hash RUSAK</span>';
  $("timeline").innerHTML = history.events.map((e) => `<li><b>${esc(EVENTS[e.type] || e.type)}</b> oleh ${esc(e.actor && (ROLES[e.actor.role] || e.actor.role))} <code>${esc(e.actor && e.actor.nip)}</code><br><span class="when">${esc(new Date(e.occurred_at).toLocaleString("id-ID"))} · versi ${e.version}</span>${summary(e)}</li>`).join("");
  if (audit) {
    $("detail-verdict").innerHTML = audit.verdict === "fair" ? '<span class="badge ok">Adil: semua pemeriksaan lolos</span>' : '<span class="badge bad">Ada temuan</span>';
    $("checks").innerHTML = audit.checks.map((c) => `<li>${c.passed ? '<span class="badge ok">lolos</span>' : '<span class="badge bad">gagal</span>'} ${esc(CHECKS[c.name] || c.name)}${c.passed ? "" : `<br><small>${esc(c.detail)}</small>`}</li>`).join("");
  } else {
    $("detail-verdict").textContent = "Laporan audit belum tersedia.";
    $("checks").innerHTML = "";
  }
  document.dispatchEvent(new CustomEvent("skp:detail", { detail: { id, audit } })); // for voices.js (and other feature scripts)
  $("detail").scrollIntoView({ behavior: "smooth" });
}

function summary(e) {
  const d = e.data || {};
  const parts = [];
  if (d.period) parts.push(`periode ${d.period}`);
  if (d.results_rating) parts.push(`hasil kerja ${d.results_rating.replaceAll("_", " ")}, perilaku ${d.behaviour_rating.replaceAll("_", " ")}`);
  if (d.predikat) parts.push(`predikat ${label(PREDIKAT, d.predikat)}`);
  if (d.reason) parts.push(`alasan: ${d.reason}`);
  if (d.text) parts.push(d.text);
  if (d.outcome) parts.push(`putusan: ${d.outcome === "revised" ? "direvisi" : "dipertahankan"}`);
  return parts.length ? `<br>${esc(parts.join(" · "))}` : "";
}

async function follow() {
  if (state.stream) state.stream.abort();
  const controller = new AbortController();
  state.stream = controller;
  const live = $("live");
  try {
    const response = await fetch(`/v1/cycles/${state.cycle}/progress/stream`, { headers: { Authorization: "Bearer " + state.token, Accept: "text/event-stream" }, signal: controller.signal });
    if (!response.ok) throw new Error(response.status);
    live.className = "live on";
    live.textContent = "● Langsung";
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = block.split("\n").filter((l) => l.startsWith("data:")).map((l) => l.slice(5).trimStart()).join("\n");
        if (block.includes("event: progress") && data) {
          render(JSON.parse(data));
          refreshLists();
        }
      }
    }
  } catch (error) {
    if (controller.signal.aborted) return;
  }
  live.className = "live off";
  live.textContent = "● Terputus";
  setTimeout(follow, 2000); // reconnect
}

async function start() {
  readFragment();
  if (!state.token) return showLogin();
  $("login").hidden = true;
  let cycles;
  try {
    cycles = (await api("/v1/cycles")).cycles;
  } catch (error) {
    if (error.message !== "unauthorised") showLogin("Gagal memuat siklus: " + error.message);
    return;
  }
  $("main").hidden = false;
  if (!cycles.length) { $("cycle-title").textContent = "Belum ada siklus penilaian."; return; }
  $("cycle-select").innerHTML = cycles.map((c) => `<option value="${c.cycle_id}">${esc(c.organization)} ${c.year} (${c.total})</option>`).join("");
  state.cycle = cycles.some((c) => c.cycle_id === state.cycle) ? state.cycle : cycles[0].cycle_id;
  $("cycle-select").value = state.cycle;
  if (!state.charts.status) charts();
  render(await api(`/v1/cycles/${state.cycle}/progress`));
  state.groups.units.page = state.groups.raters.page = 1;
  await Promise.all([loadFindings(), loadAppraisals(), loadGroups("units"), loadGroups("raters")]);
  follow();
}

document.addEventListener("DOMContentLoaded", () => {
  $("status-filter").innerHTML += STATUSES.map(([k, l]) => `<option value="${k}">${l}</option>`).join("");
  $("status-filter").addEventListener("change", () => loadAppraisals());
  $("cycle-select").addEventListener("change", (e) => {
    // The address keeps the chosen cycle (start() reads it from there, also after a reload).
    history.replaceState(null, "", `${location.pathname}#cycle=${encodeURIComponent(e.target.value)}`);
    start();
  });
  for (const kind of ["units", "raters"]) {
    const view = state.groups[kind];
    $(`${kind}-warning`).addEventListener("change", (e) => { view.warning = e.target.value; view.page = 1; loadGroups(kind); });
    $(`${kind}-prev`).addEventListener("click", () => { view.page = Math.max(1, view.page - 1); loadGroups(kind); });
    $(`${kind}-next`).addEventListener("click", () => { view.page += 1; loadGroups(kind); });
  }
  for (const id of ["findings", "appraisals"]) {
    $(id).addEventListener("click", (e) => { const row = e.target.closest("tr[data-id]"); if (row) showDetail(row.dataset.id); });
  }
  $("login-form").addEventListener("submit", (e) => {
    e.preventDefault();
    sessionStorage.setItem("skp-token", $("token-input").value.trim());
    start();
  });
  start();
});
