// SKP dashboard, voices beyond the rater (issue 13): per unit, how many appraisals had a
// performance dialogue and a 360 survey answer before their score (GET /v1/cycles/{id}/voices),
// and in an appraisal's drill-down its 360 view as the rater's side reads it
// (GET /v1/appraisals/{id}/feedback-360) with the audit's information.
// dashboard.js announces a new progress document ("skp:progress") and an opened drill-down
// ("skp:detail"); this script listens, with the same token from sessionStorage.
"use strict";

(() => {
  const VALUES = [
    ["berorientasi_pelayanan", "Berorientasi Pelayanan"], ["akuntabel", "Akuntabel"], ["kompeten", "Kompeten"],
    ["harmonis", "Harmonis"], ["loyal", "Loyal"], ["adaptif", "Adaptif"], ["kolaboratif", "Kolaboratif"],
  ];
  const RATING = { di_atas_ekspektasi: "Di atas ekspektasi", sesuai_ekspektasi: "Sesuai ekspektasi", di_bawah_ekspektasi: "Di bawah ekspektasi" };
  const RATING_CLASS = { di_atas_ekspektasi: "ok", sesuai_ekspektasi: "neutral", di_bawah_ekspektasi: "bad" };
  const CHANNEL = { survei: "Survei", pengaduan: "Pengaduan", loket: "Loket" };
  const INFORMATION = { self_assessment_gap: "Selisih penilaian diri dan nilai", dialogue_before_score: "Dialog kinerja sebelum nilai" };
  // Labels of the new events and roles for the timeline of dashboard.js (its tables are
  // objects in the page's shared script scope; only entries are added).
  if (typeof EVENTS === "object") {
    Object.assign(EVENTS, {
      ExpectationsSet: "Ekspektasi ditetapkan", DialogueHeld: "Dialog kinerja", DialogueAcknowledged: "Dialog dikonfirmasi pegawai",
      SelfAssessed: "Penilaian diri", EvaluatorsNominated: "Penilai 360° ditunjuk",
    });
  }
  if (typeof ROLES === "object") Object.assign(ROLES, { subordinate: "bawahan", service_desk: "layanan pengaduan" });

  const $ = (id) => document.getElementById(id);
  const esc = (text) => { const span = document.createElement("span"); span.textContent = text == null ? "" : String(text); return span.innerHTML; };
  const pct = (part, whole) => (whole ? `${Math.round((100 * part) / whole)}%` : "–");
  const badge = (rating) => rating ? `<span class="badge ${RATING_CLASS[rating] || ""}">${esc(RATING[rating] || rating)}</span>` : "–";

  async function get(path) {
    const token = sessionStorage.getItem("skp-token");
    const response = await fetch(path, { headers: { Authorization: "Bearer " + token } });
    const body = await response.json();
    if (!response.ok) throw new Error(body.detail || body.title || response.status);
    return body;
  }

  let cycle = null;
  let timer = null;

  async function loadUnits() {
    if (!cycle) return;
    const body = await get(`/v1/cycles/${cycle}/voices?limit=200`);
    const t = body.totals;
    $("voices-totals").textContent = `${t.scored} dinilai: ${t.dialogue_before_score} dengan dialog (${pct(t.dialogue_before_score, t.scored)}), ` +
      `${t.survey_before_score} dengan survei 360° (${pct(t.survey_before_score, t.scored)}) sebelum nilai`;
    $("voices-units").innerHTML = body.units.map((u) => `<tr><td>${esc(u.unit)}</td><td class="n">${u.appraisals}</td><td class="n">${u.scored}</td>` +
      `<td class="n">${u.dialogue_before_score} <small>${pct(u.dialogue_before_score, u.scored)}</small></td>` +
      `<td class="n">${u.survey_before_score} <small>${pct(u.survey_before_score, u.scored)}</small></td>` +
      `<td class="n">${u.both_before_score} <small>${pct(u.both_before_score, u.scored)}</small></td></tr>`).join("") ||
      '<tr><td colspan="6">Belum ada penilaian.</td></tr>';
  }

  function renderValues(view) {
    if (!view.by_value) return `<p class="note">Belum ada jawaban survei untuk periode ini.</p>`;
    const rows = VALUES.map(([key, name]) => {
      const v = view.by_value[key];
      return `<tr><td>${esc(name)}</td><td class="n">${v ? v.count : 0}</td><td>${v ? badge(v.median) : "–"}</td></tr>`;
    }).join("");
    const hidden = view.answers < view.min_answers ? `<p class="note">Pegawai belum melihat agregat ini: kurang dari ${view.min_answers} jawaban (anonimitas).</p>` : "";
    return `<table class="v360"><thead><tr><th>Nilai BerAKHLAK</th><th class="n">Jawaban</th><th>Median</th></tr></thead><tbody>${rows}</tbody></table>${hidden}`;
  }

  function renderDetail(view, audit) {
    const own = view.self_assessment;
    const rater = view.rater_rating;
    const responses = (view.responses || []).map((r) => `<li><b>${esc(r.evaluator_name || r.evaluator_nip)}</b> (${r.relation === "subordinate" ? "bawahan" : "rekan kerja"})` +
      `${r.comment ? `: <i>${esc(r.comment)}</i>` : ""}</li>`).join("");
    const publicItems = (view.public_feedback || []).map((p) => `<li>${esc(CHANNEL[p.channel] || p.channel)} ${esc(p.service_ref)}: skor ${p.score}${p.text ? ` · ${esc(p.text)}` : ""}</li>`).join("");
    const information = audit && audit.information ? audit.information.map((i) => `<li>${esc(INFORMATION[i.name] || i.name)}<br><small>${esc(i.detail)}</small></li>`).join("") : "";
    $("voices-detail").hidden = false;
    $("voices-detail").innerHTML =
      `<h3>Umpan balik 360° <small>tahunan · ${view.answers} jawaban · sisi penilai</small></h3>` +
      `<div class="grid"><div>${renderValues(view)}</div><div>` +
      `<p>Penilaian diri: ${own ? `hasil ${badge(own.results_rating)} perilaku ${badge(own.behaviour_rating)}` : "–"}</p>` +
      `<p>Nilai penilai: ${rater ? `hasil ${badge(rater.results_rating)} perilaku ${badge(rater.behaviour_rating)}` : "belum dinilai"}</p>` +
      `<p>Umpan balik masyarakat: ${view.public.count}${view.public.mean_score != null ? ` · rata-rata ${view.public.mean_score}` : ""}</p>` +
      (responses ? `<ul class="responses">${responses}</ul>` : "") + (publicItems ? `<ul class="responses">${publicItems}</ul>` : "") +
      (information ? `<h4>Informasi audit (bukan temuan)</h4><ul class="checks">${information}</ul>` : "") + `</div></div>`;
  }

  document.addEventListener("skp:progress", (event) => {
    cycle = event.detail.cycle_id;
    clearTimeout(timer);
    timer = setTimeout(() => loadUnits().catch(() => {}), 300);
  });
  document.addEventListener("skp:detail", async (event) => {
    try {
      renderDetail(await get(`/v1/appraisals/${event.detail.id}/feedback-360?period=annual`), event.detail.audit);
    } catch (error) {
      $("voices-detail").hidden = false;
      $("voices-detail").textContent = "Umpan balik 360° tidak dapat dimuat: " + error.message;
    }
  });
})();
