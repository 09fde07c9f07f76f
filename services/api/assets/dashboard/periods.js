// SKP dashboard, periodic evaluation (issue 12): a period selector for cycles that evaluate
// monthly, quarterly or per semester, and per period the appraisals evaluated against those
// due, the overdue ones, the predikat distribution, and per unit its capaian (or "Baik,
// diasumsikan" when none was set) beside the SE MenPAN-RB 3/2023 pattern it selects.
// It follows the cycle live: dashboard.js dispatches "skp:progress" on every update.
"use strict";

Object.assign(EVENTS, {
  PeriodEvaluated: "Evaluasi periodik", PeriodEvaluationCorrected: "Koreksi evaluasi periodik", UnitCapaianSet: "Capaian unit ditetapkan",
});
Object.assign(CHECKS, { periods_complete: "Evaluasi periodik lengkap sebelum penilaian tahunan" });
Object.assign(WARNINGS, {
  no_low_predikat: "Tak ada Butuh Perbaikan/Kurang",
  sangat_baik_not_largest: "Sangat Baik bukan kelompok terbesar", sangat_baik_over_70_percent: "Sangat Baik > 70%",
  butuh_perbaikan_under_60_percent: "Butuh Perbaikan < 60%", sangat_baik_over_10_percent: "Sangat Baik > 10%",
  kurang_under_60_percent: "Kurang < 60%", butuh_perbaikan_under_10_percent: "Butuh Perbaikan < 10%",
  sangat_kurang_under_60_percent: "Sangat Kurang < 60%", kurang_or_butuh_perbaikan_under_10_percent: "Kurang/Butuh Perbaikan < 10%",
  sangat_baik_present: "Ada Sangat Baik",
});

const BULAN = ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober", "November", "Desember"];
const ROMAWI = ["I", "II", "III", "IV"];
const JENIS_PERIODE = { monthly: "bulanan", quarterly: "triwulanan", semester: "semesteran" };
const CAPAIAN = { istimewa: "Istimewa", baik: "Baik", butuh_perbaikan: "Butuh Perbaikan", kurang: "Kurang", sangat_kurang: "Sangat Kurang" };
const STATUS_PERIODE = { open: ["Berjalan", ""], entry: ["Masa koreksi", "warn"], locked: ["Terkunci", "ok"] };
const periods = { cycle: null, kind: null, year: null, selected: null, chart: null, timer: null };

/** Every period id of `kind` in `year`, in order. */
function periodIds(kind, year) {
  if (kind === "monthly") return BULAN.map((_, i) => `${year}-${String(i + 1).padStart(2, "0")}`);
  if (kind === "quarterly") return [1, 2, 3, 4].map((q) => `${year}-Q${q}`);
  if (kind === "semester") return [1, 2].map((s) => `${year}-S${s}`);
  return [];
}

/** "Maret 2026", "Triwulan II 2026", "Semester I 2026". */
function periodLabel(id) {
  const [year, part] = id.split("-");
  if (part.startsWith("Q")) return `Triwulan ${ROMAWI[Number(part.slice(1)) - 1]} ${year}`;
  if (part.startsWith("S")) return `Semester ${ROMAWI[Number(part.slice(1)) - 1]} ${year}`;
  return `${BULAN[Number(part) - 1]} ${year}`;
}

/** The first month after a period, as a UTC instant (its end, give or take the time zone). */
function roughEnd(id) {
  const [year, part] = id.split("-");
  const months = part.startsWith("Q") ? 3 * Number(part.slice(1)) : part.startsWith("S") ? 6 * Number(part.slice(1)) : Number(part);
  return Date.UTC(Number(year), months, 1);
}

/** The latest period that has ended, else the first. */
function defaultPeriod(ids) {
  const ended = ids.filter((id) => roughEnd(id) <= Date.now());
  return ended.length ? ended[ended.length - 1] : ids[0];
}

const ZONA = { 7: ["Asia/Jakarta", "WIB"], 8: ["Asia/Makassar", "WITA"], 9: ["Asia/Jayapura", "WIT"] };

/** An instant in the cycle's own time zone, e.g. "1 Jul 2026, 00.00 WIB". */
function when(iso, offset) {
  const [zone, name] = ZONA[offset] || [undefined, ""];
  return `${new Date(iso).toLocaleString("id-ID", { dateStyle: "medium", timeStyle: "short", timeZone: zone })} ${name}`.trim();
}

function setup(progress) {
  periods.cycle = progress.cycle_id;
  periods.kind = progress.period_kind || "none";
  periods.year = progress.year;
  const ids = periodIds(periods.kind, periods.year);
  $("period-kind").textContent = ids.length ? `evaluasi ${JENIS_PERIODE[periods.kind]}` : "";
  $("period-none").hidden = ids.length > 0;
  $("period-body").hidden = ids.length === 0;
  if (!ids.length) return;
  $("period-select").innerHTML = ids.map((id) => `<option value="${id}">${esc(periodLabel(id))}</option>`).join("");
  periods.selected = ids.includes(periods.selected) ? periods.selected : defaultPeriod(ids);
  $("period-select").value = periods.selected;
  loadPeriod();
}

async function loadPeriod() {
  const cycle = periods.cycle;
  try {
    const progress = await api(`/v1/cycles/${cycle}/periods/${periods.selected}/progress`);
    if (cycle === periods.cycle && progress.period === periods.selected) renderPeriod(progress);
  } catch (error) {
    $("period-units").innerHTML = `<tr><td colspan="6" class="error">Gagal memuat periode: ${esc(error.message)}</td></tr>`;
  }
}

function renderPeriod(p) {
  const [status, tone] = STATUS_PERIODE[p.status] || [p.status, ""];
  $("period-status").className = `badge ${tone}`;
  $("period-status").textContent = status;
  $("period-dates").textContent = `berakhir ${when(p.ends_at, p.utc_offset_hours)} · masa koreksi sampai ${when(p.locks_at, p.utc_offset_hours)}`;
  $("period-evaluated").textContent = p.evaluated;
  $("period-due").textContent = p.status === "open" ? "periode masih berjalan" : `dari ${p.due} yang wajib dievaluasi`;
  $("period-overdue").textContent = p.overdue;
  $("period-assumed").textContent = p.by_unit.filter((u) => u.capaian_assumed).length;
  const evaluated = PREDIKAT.reduce((sum, [k]) => sum + (p.by_predikat[k] || 0), 0);
  const shares = PREDIKAT.map(([k]) => (evaluated ? Math.round((1000 * (p.by_predikat[k] || 0)) / evaluated) / 10 : 0));
  if (!periods.chart) {
    periods.chart = new Chart($("chart-period"), {
      type: "bar",
      data: { labels: PREDIKAT.map(([, l]) => l), datasets: [{ label: "Sebaran periode ini (%)", data: shares, backgroundColor: ["#15803d", "#3b82f6", "#f59e0b", "#f97316", "#b91c1c"] }] },
      options: { maintainAspectRatio: false, plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, max: 100, ticks: { callback: (v) => v + "%" } } } },
    });
  } else {
    periods.chart.data.datasets[0].data = shares;
    periods.chart.update();
  }
  $("period-units").innerHTML = p.by_unit.map((u) => {
    const capaian = u.capaian_assumed
      ? '<span class="badge assumed" title="Belum ada capaian unit untuk periode ini; dinilai dengan pola Baik">Baik (diasumsikan)</span>'
      : `<span class="badge" title="Ditetapkan oleh ${esc(u.decided_by ? u.decided_by.name : "")}">${esc(CAPAIAN[u.capaian] || u.capaian)}</span>`;
    const spread = PREDIKAT.map(([k]) => u.by_predikat[k] || 0).join("/");
    const warnings = u.warnings.map((w) => `<span class="badge warn" title="${esc(w.detail)}">${esc(WARNINGS[w.code] || w.code)}</span>`).join("")
      || (u.evaluated < 5 ? '<span class="badge">&lt; 5 dievaluasi</span>' : '<span class="badge ok">sesuai pola</span>');
    const due = p.status === "open" ? "–" : `${u.evaluated} / ${u.due}`;
    return `<tr data-unit="${esc(u.unit)}"><td>${esc(u.unit)}</td><td>${capaian}</td><td class="n">${due}</td><td class="n">${u.overdue}</td><td><code>${spread}</code></td><td>${warnings}</td></tr>`;
  }).join("") || '<tr><td colspan="6">Belum ada penilaian di siklus ini.</td></tr>';
  document.body.dataset.period = p.period;
}

document.addEventListener("skp:progress", (event) => {
  const progress = event.detail;
  if (progress.cycle_id !== periods.cycle || (progress.period_kind || "none") !== periods.kind) {
    setup(progress);
  } else if (periods.selected) {
    clearTimeout(periods.timer);
    periods.timer = setTimeout(loadPeriod, 400);
  }
});

document.addEventListener("DOMContentLoaded", () => {
  $("period-select").addEventListener("change", (e) => { periods.selected = e.target.value; loadPeriod(); });
});
