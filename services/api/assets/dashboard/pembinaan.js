// SKP dashboard, pembinaan (issue 14): pembinaan per unit after a low final predikat, and the
// development plan's timeline in an appraisal's drill-down. It reads the same token as the
// page (sessionStorage) and follows the page without touching its script: it refreshes when
// the page renders a new progress (body[data-sequence] changes) and when the drill-down shows
// another appraisal (#detail-id changes).
"use strict";
(() => {
  const KINDS = { pembinaan: "Pembinaan", pengembangan: "Pengembangan" };
  const STATUS = { open: "Berjalan", improved: "Membaik", not_improved: "Tidak membaik" };
  const ACTIONS = { pelatihan: "Pelatihan", coaching: "Coaching", mentoring: "Mentoring", konseling: "Konseling", penugasan_khusus: "Penugasan khusus" };
  const MEASURES = { uji_kompetensi: "Uji kompetensi", mutasi: "Mutasi", penurunan_jabatan: "Penurunan jabatan", usul_pemberhentian: "Usul pemberhentian", none: "Tanpa tindakan" };
  const EVENTS = {
    DevelopmentPlanOpened: "Rencana dibuka", ActionAdded: "Tindakan ditambahkan", SessionRecorded: "Sesi dicatat",
    ActionCompleted: "Tindakan diselesaikan", ActionConfirmed: "Penyelesaian dikonfirmasi",
    ImprovementReviewed: "Evaluasi perbaikan", FollowUpDecided: "Tindak lanjut diputuskan",
  };
  const ROLES = { employee: "pegawai", rater: "pejabat penilai", rater_superior: "atasan pejabat penilai", admin: "admin BKPSDM", mentor: "mentor" };
  const COLUMNS = ["due", "without_plan", "open", "overdue", "improved", "not_improved", "followed_up"];
  const $ = (id) => document.getElementById(id);
  const esc = (text) => { const span = document.createElement("span"); span.textContent = text == null ? "" : String(text); return span.innerHTML; };
  const day = (iso) => new Date(iso + (iso.length === 10 ? "T00:00:00Z" : "")).toLocaleDateString("id-ID", { day: "numeric", month: "long", year: "numeric", timeZone: "UTC" });

  async function get(path) {
    const response = await fetch(path, { headers: { Authorization: "Bearer " + sessionStorage.getItem("skp-token") } });
    if (!response.ok) { const error = new Error(String(response.status)); error.status = response.status; throw error; }
    return response.json();
  }

  function row(label, counts, strong) {
    const cells = COLUMNS.map((k) => `<td class="n${k === "overdue" && counts[k] > 0 ? " late" : ""}">${counts[k]}</td>`).join("");
    return `<tr${strong ? ' class="total"' : ""}><td>${strong ? `<b>${esc(label)}</b>` : esc(label)}</td>${cells}</tr>`;
  }

  async function loadUnits() {
    const cycle = $("cycle-select") && $("cycle-select").value;
    if (!cycle) return;
    try {
      const body = await get(`/v1/cycles/${cycle}/pembinaan?limit=200`);
      $("pembinaan-units").innerHTML = body.by_unit.map((u) => row(u.unit, u)).join("") || '<tr><td colspan="8">Belum ada predikat rendah yang final.</td></tr>';
      $("pembinaan-total").innerHTML = body.by_unit.length ? row("Jumlah", body.totals, true) : "";
      document.body.dataset.pembinaanSequence = body.as_of_sequence;
    } catch (error) {
      $("pembinaan-units").innerHTML = `<tr><td colspan="8">Data pembinaan belum tersedia (${esc(error.message)}).</td></tr>`;
    }
  }

  function summary(e) {
    const d = e.data || {};
    const parts = [];
    if (e.type === "DevelopmentPlanOpened") parts.push(`${KINDS[d.kind] || d.kind}, jatuh tempo ${day(d.due)}`);
    if (d.type) parts.push(`${ACTIONS[d.type] || d.type}: ${d.description} (tenggat ${day(d.due)})`);
    if (d.mentor_nip) parts.push(`mentor ${d.mentor_nip}`);
    if (d.held_on) parts.push(`sesi ${day(d.held_on)}: ${d.notes}`);
    if (d.evidence) parts.push(`bukti: ${d.evidence}`);
    if (e.type === "ActionConfirmed" || e.type === "ActionCompleted" || e.type === "SessionRecorded") parts.unshift(`tindakan ${d.action_id}`);
    if (d.outcome) parts.push(`hasil: ${STATUS[d.outcome] || d.outcome} — ${d.basis}`);
    if (d.measure) parts.push(`${MEASURES[d.measure] || d.measure} — ${d.basis}`);
    return parts.length ? `<br>${esc(parts.join(" · "))}` : "";
  }

  async function loadPlan(appraisalId) {
    $("plan-summary").textContent = "Memuat…";
    $("plan-timeline").innerHTML = "";
    let plan;
    try {
      plan = await get(`/v1/appraisals/${appraisalId}/development`);
    } catch (error) {
      $("plan-summary").textContent = error.status === 404 ? "Belum ada rencana pengembangan atau pembinaan untuk penilaian ini." : `Rencana tidak dapat dimuat (${error.message}).`;
      return;
    }
    const [history, audit] = await Promise.all([get(`/v1/development/${plan.plan_id}/history`), get(`/v1/appraisals/${appraisalId}/audit`).catch(() => null)]);
    const info = ((audit && audit.information) || []).find((i) => i.name === "pembinaan_followed");
    const followUp = plan.follow_up ? ` · tindak lanjut: ${MEASURES[plan.follow_up.measure] || plan.follow_up.measure}` : "";
    $("plan-summary").innerHTML = `<span class="badge">${esc(KINDS[plan.kind] || plan.kind)}</span> status <b>${esc(STATUS[plan.status] || plan.status)}</b> · jatuh tempo ${esc(day(plan.due))} · ${plan.actions.length} tindakan${esc(followUp)} · ${
      history.chain_valid ? '<span class="badge ok">Rantai hash utuh</span>' : '<span class="badge bad">Rantai hash RUSAK</span>'}${info ? `<br><small>Informasi audit: ${esc(info.detail)}</small>` : ""}`;
    $("plan-timeline").innerHTML = history.events.map((e) => `<li><b>${esc(EVENTS[e.type] || e.type)}</b> oleh ${esc(e.actor && (ROLES[e.actor.role] || e.actor.role))} <code>${esc(e.actor && e.actor.nip)}</code><br><span class="when">${esc(new Date(e.occurred_at).toLocaleString("id-ID"))} · versi ${e.version}</span>${summary(e)}</li>`).join("");
  }

  let unitsTimer = null;
  document.addEventListener("DOMContentLoaded", () => {
    new MutationObserver(() => { clearTimeout(unitsTimer); unitsTimer = setTimeout(loadUnits, 300); })
      .observe(document.body, { attributes: true, attributeFilter: ["data-sequence"] });
    new MutationObserver(() => { const id = $("detail-id").textContent; if (id) loadPlan(id).catch(() => { $("plan-summary").textContent = "Rencana tidak dapat dimuat."; }); })
      .observe($("detail-id"), { childList: true, characterData: true, subtree: true });
  });
})();
