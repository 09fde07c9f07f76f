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
const WARNINGS = { baik_over_70_percent: "Baik > 70%", no_low_predikat: "Tak ada Butuh Perbaikan/Kurang" };
const label = (pairs, key) => (pairs.find(([k]) => k === key) || [key, key])[1];
const $ = (id) => document.getElementById(id);

const state = { token: null, cycle: null, charts: {}, stream: null, findingsTimer: null };

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
  const rows = (groups, name) => groups.map((g) => `<tr><td>${esc(name(g))}</td><td class="n">${g.total}</td><td class="n">${g.scored}</td><td>${
    g.warnings.map((w) => `<span class="badge warn" title="${esc(w.detail)}">${esc(WARNINGS[w.code] || w.code)}</span>`).join("") || '<span class="badge ok">sesuai</span>'}</td></tr>`).join("");
  $("units").innerHTML = rows(progress.by_unit, (g) => g.key);
  $("raters").innerHTML = rows(progress.by_rater, (g) => g.name || g.key);
  $("updated").textContent = new Date().toLocaleTimeString("id-ID");
  $("sequence").textContent = progress.as_of_sequence;
  document.body.dataset.sequence = progress.as_of_sequence;
  document.dispatchEvent(new CustomEvent("skp:progress", { detail: progress })); // for the feature scripts: voices.js, pembinaan.js, periods.js
}

async function loadFindings() {
  const body = await api(`/v1/cycles/${state.cycle}/findings`);
  $("kpi-findings").textContent = body.appraisals.length;
  $("findings").innerHTML = body.appraisals.slice(0, 50).map((f) => `<tr class="clickable" data-id="${f.appraisal_id}"><td><code>${f.appraisal_id.slice(0, 8)}</code></td><td>${esc(f.unit)}</td><td>${
    f.findings.map((c) => `<span class="badge bad">${esc(CHECKS[c] || c)}</span>`).join("")}</td></tr>`).join("") || '<tr><td colspan="3">Tidak ada temuan.</td></tr>';
}

async function loadAppraisals() {
  const status = $("status-filter").value;
  const body = await api(`/v1/cycles/${state.cycle}/appraisals?limit=300${status ? "&status=" + status : ""}`);
  $("appraisals").innerHTML = body.appraisals.map((a) => `<tr class="clickable" data-id="${a.appraisal_id}"><td>${esc(a.employee_name)}<br><small>${esc(a.employee_nip)}</small></td><td>${esc(a.unit)}</td><td>${esc(label(STATUSES, a.status))}</td><td>${esc(a.predikat ? label(PREDIKAT, a.predikat) : "–")}</td></tr>`).join("");
}

function refreshLists() {
  clearTimeout(state.findingsTimer);
  state.findingsTimer = setTimeout(() => { loadFindings().catch(() => {}); loadAppraisals().catch(() => {}); }, 500);
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
  await Promise.all([loadFindings(), loadAppraisals()]);
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
