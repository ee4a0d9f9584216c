// chipgate's page: every answer comes from the service's API (the same answers as the command
// line); no regulatory fact is written here. Plain ES modules, no build step, no network but
// the server it came from.

const $ = (sel, root = document) => root.querySelector(sel);
const el = (tag, attrs = {}, ...children) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v;
    else if (k.startsWith("data-")) e.setAttribute(k, v);
    else e[k] = v;
  }
  for (const c of children.flat()) e.append(c instanceof Node ? c : document.createTextNode(c ?? ""));
  return e;
};

/** GET or POST against the API; a problem document becomes an Error with its detail. */
async function api(path, init) {
  const r = await fetch(path, init);
  const text = await r.text();
  let body;
  try { body = JSON.parse(text); } catch { body = text; }
  if (!r.ok) throw new Error(body && body.detail ? body.detail : `${r.status} ${r.statusText}`);
  return body;
}

const debounce = (f, ms) => { let t; return (...a) => { clearTimeout(t); t = setTimeout(() => f(...a), ms); }; };
const fmt = (x, d = 1) => (x === null || x === undefined ? "—" : Number(x).toLocaleString("en-US", { maximumFractionDigits: d }));
const words = (v) => String(v ?? "").replaceAll("_", " ");
const cite = (c) => (c && c.url ? el("a", { href: c.url, rel: "noreferrer" }, c.document) : (c?.document ?? ""));

// ---------------------------------------------------------------------------------------------
// Calculator

let design = null; // {tpp, pd} of the calculator's design, for the map

function checkParams(form) {
  const f = new FormData(form);
  const p = new URLSearchParams();
  const take = (name) => { const v = String(f.get(name) ?? "").trim(); if (v) p.append(name, v); return v; };
  take("based_on");
  const t8 = String(f.get("t8") ?? "").trim(), t16 = String(f.get("t16") ?? "").trim();
  if (t8) p.append("throughput", `8=${t8}`);
  if (t16) p.append("throughput", `16=${t16}`);
  take("tpp"); take("die_area"); take("interconnect"); take("memory_bandwidth");
  const market = f.get("market");
  if (market) p.append(market, "true");
  for (const part of String(f.get("contains") ?? "").split(",").map((x) => x.trim()).filter(Boolean)) p.append("contains", part);
  take("item"); take("described_in");
  const described = [...p.keys()].length > 0;
  take("node"); take("transistors"); take("hbm_stacks"); take("exporter_role");
  for (const a of f.getAll("attested_by")) p.append("attested_by", String(a));
  take("to"); take("end_user_hq"); take("date"); // no date: the server's today
  for (const name of ["ship_from", "exporter", "end_user", "end_user_owner", "consignee", "consignee_owner"]) take(name);
  return { params: p, described };
}

async function calculate() {
  const out = $("#calc-result");
  const { params, described } = checkParams($("#calc-form"));
  if (!described) { out.replaceChildren(el("p", {}, "Describe a design.")); design = null; drawMap(); return; }
  try {
    const d = await api(`/v1/check?${params}`);
    design = { tpp: d.tpp, pd: d.pd };
    const parts = [
      el("p", { class: `verdict ${d.verdict}`, "data-verdict": d.verdict }, words(d.verdict).toUpperCase()),
      el("p", {}, `ECCN ${d.eccn ?? (d.eccn_candidates.length ? "undetermined" : "none")} · TPP ${fmt(d.tpp)} · performance density ${fmt(d.pd, 2)}`
        + (d.review_policy ? ` · review: ${words(d.review_policy.policy)}`
          : d.review_undetermined ? " · review: undetermined" : "")
        + (d.exceptions.length ? ` · exceptions: ${d.exceptions.map((e) => e.name).join(", ")}` : "")),
    ];
    if (d.missing.length) parts.push(el("p", { class: "error" }, `Missing: ${d.missing.join(", ")}`));
    if (d.contains?.length) {
      parts.push(el("h3", {}, "Contains"), el("ul", {}, d.contains.map((c) =>
        el("li", { "data-part": c.id }, `${c.name} × ${c.count}: ECCN ${c.eccn ?? "none"}`))));
    }
    const screened = d.screening ?? [];
    if (screened.length) {
      const hit = (h) => `${h.decided ? "listed" : `possible match (score ${fmt(h.score, 2)})`}: ${h.name} (${h.list_name}${h.review_policy ? `, ${words(h.review_policy)}` : ""})`;
      parts.push(el("h3", {}, "Screening"), el("ul", {}, screened.map((s) =>
        el("li", { "data-role": s.role }, `${words(s.role)} “${s.name}”${s.share != null ? ` (${fmt(s.share)} %)` : ""}: `,
          s.hits.length ? s.hits.map(hit).join("; ") : "no match"))));
    }
    if (d.reasons.length) {
      parts.push(el("h3", {}, "Why"), el("ul", {}, d.reasons.map((r) => el("li", {}, el("code", {}, r.id), " ", r.summary, " — ", cite(r.citation)))));
    }
    const margins = d.margins.filter((m) => m.margin_pct !== null).slice(0, 6);
    if (margins.length) {
      parts.push(el("h3", {}, "Margins to the thresholds"),
        el("ul", {}, margins.map((m) => el("li", {}, `${m.metric} ${fmt(m.actual, 2)} ${m.op} ${fmt(m.threshold, 2)} (${m.rule}): ${fmt(m.margin_pct, 1)} %`))));
    }
    for (const a of d.assumptions) parts.push(el("p", { class: "muted" }, `Assumed: ${a}`));
    out.replaceChildren(...parts);
  } catch (e) {
    design = null;
    out.replaceChildren(el("p", { class: "error", "data-error": "1" }, e.message));
  }
  drawMap();
}

// ---------------------------------------------------------------------------------------------
// Map: the rules' regions come from /v1/map, the points from /v1/chips, both for one date

// The slider runs from the first day the views cover by default (the command line's
// VIEW_START) to today.
const START = Date.UTC(2022, 0, 1);
const TODAY = new Date().toISOString().slice(0, 10);
const dayDate = (n) => new Date(START + n * 86400000).toISOString().slice(0, 10);
let mapData = null, mapChips = [];
const PALETTE = ["#f3b0b0", "#f7d49b", "#c9d7f5", "#d8c4ef", "#bfe3c6"];

async function loadMap() {
  const date = dayDate(Number($("#map-date").value));
  $("#map-date-text").value = date;
  try {
    const [m, c] = await Promise.all([api(`/v1/map?date=${date}&steps=48`), api(`/v1/chips?date=${date}`)]);
    mapData = m; mapChips = c.chips;
    drawMap();
  } catch (e) {
    $("#map-svg").replaceChildren(el("p", { class: "error" }, e.message));
  }
}

function drawMap() {
  if (!mapData) return;
  const NS = "http://www.w3.org/2000/svg";
  const s = (tag, attrs = {}, text) => {
    const e = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  };
  const W = 900, H = 520, L = 60, B = 40, T = 10, R = 150;
  const n = mapData.tpp.length, tmax = mapData.tpp[n - 1] * n / (n - 0.5), pmax = mapData.pd[n - 1] * n / (n - 0.5);
  const x = (t) => L + (t / tmax) * (W - L - R), y = (p) => H - B - (p / pmax) * (H - B - T);
  const svg = s("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "data-date": mapData.date, "aria-label": `TPP and performance density map of the rules in force on ${mapData.date}` });
  const defs = s("defs");
  const hatch = s("pattern", { id: "hatch", width: 6, height: 6, patternUnits: "userSpaceOnUse", patternTransform: "rotate(45)" });
  hatch.append(s("rect", { width: 6, height: 6, fill: "#f3f3f3" }), s("line", { x1: 0, y1: 0, x2: 0, y2: 6, stroke: "#999", "stroke-width": 2 }));
  defs.append(hatch); svg.append(defs);
  const cw = (W - L - R) / n, ch = (H - B - T) / n;
  mapData.cells.forEach((row, i) => row.forEach((cell, j) => {
    if (cell === "") return;
    const fill = cell === "?" ? "url(#hatch)" : PALETTE[mapData.eccns.indexOf(cell) % PALETTE.length];
    svg.append(s("rect", { x: L + j * cw, y: H - B - (i + 1) * ch, width: cw + 0.5, height: ch + 0.5, fill, "data-cell": cell }));
  }));
  svg.append(s("line", { x1: L, y1: H - B, x2: W - R, y2: H - B, stroke: "#333" }), s("line", { x1: L, y1: T, x2: L, y2: H - B, stroke: "#333" }));
  for (let k = 0; k <= 5; k++) {
    const t = (tmax * k) / 5, p = (pmax * k) / 5;
    svg.append(s("text", { x: x(t), y: H - B + 16, "text-anchor": "middle", "font-size": 11 }, fmt(t, 0)));
    svg.append(s("text", { x: L - 6, y: y(p) + 4, "text-anchor": "end", "font-size": 11 }, fmt(p, 1)));
  }
  svg.append(s("text", { x: (L + W - R) / 2, y: H - 6, "text-anchor": "middle", "font-size": 12 }, "TPP"));
  svg.append(s("text", { x: 14, y: (T + H - B) / 2, "font-size": 12, transform: `rotate(-90 14 ${(T + H - B) / 2})`, "text-anchor": "middle" }, "performance density"));
  for (const c of mapChips) {
    if (c.tpp === null || c.pd === null || c.tpp > tmax || c.pd > pmax) continue;
    const eccn = c.eccn ?? (c.eccn_candidates.length ? "?" : "none");
    const g = s("g", { "data-chip": c.id, "data-eccn": eccn });
    g.append(s("circle", { cx: x(c.tpp), cy: y(c.pd), r: 3.5, fill: eccn === "none" ? "#0d652d" : "#a50e0e" }),
      s("text", { x: x(c.tpp) + 5, y: y(c.pd) - 4, "font-size": 9 }, c.aliases[0] ?? c.name),
      s("title", {}, `${c.name}: TPP ${fmt(c.tpp)}, PD ${fmt(c.pd, 2)}, ECCN ${eccn}`));
    svg.append(g);
  }
  if (design && design.tpp !== null && design.pd !== null) {
    svg.append(s("circle", { cx: x(Math.min(design.tpp, tmax)), cy: y(Math.min(design.pd, pmax)), r: 7, fill: "none", stroke: "#0b57d0", "stroke-width": 3, "data-design": "1" }));
  }
  const legend = [...mapData.eccns.map((e, i) => [PALETTE[i % PALETTE.length], e]), ["url(#hatch)", `undetermined (${mapData.missing.join(", ") || "—"})`]];
  legend.forEach(([fill, label], i) => {
    svg.append(s("rect", { x: W - R + 10, y: T + 10 + i * 20, width: 14, height: 14, fill, stroke: "#666" }));
    svg.append(s("text", { x: W - R + 30, y: T + 21 + i * 20, "font-size": 11 }, label));
  });
  svg.append(s("text", { x: W - R + 10, y: H - B, "font-size": 11 }, `rules of ${mapData.date}`));
  $("#map-svg").replaceChildren(svg);
}

function exportMap() {
  const svg = $("#map-svg svg");
  if (!svg) return;
  const blob = new Blob([new XMLSerializer().serializeToString(svg)], { type: "image/svg+xml" });
  const a = el("a", { href: URL.createObjectURL(blob), download: `chipgate-map-${mapData.date}.svg` });
  a.click();
}

/** The map as a PNG: the SVG drawn on a canvas at twice its size (sharp on a slide). */
function exportPng() {
  const svg = $("#map-svg svg");
  if (!svg) return;
  const box = svg.viewBox.baseVal;
  const url = URL.createObjectURL(new Blob([new XMLSerializer().serializeToString(svg)], { type: "image/svg+xml" }));
  const img = new Image();
  img.onload = () => {
    const canvas = el("canvas", { width: box.width * 2, height: box.height * 2 });
    const ctx = canvas.getContext("2d");
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
    URL.revokeObjectURL(url);
    canvas.toBlob((png) => el("a", { href: URL.createObjectURL(png), download: `chipgate-map-${mapData.date}.png` }).click(), "image/png");
  };
  img.src = url;
}

// ---------------------------------------------------------------------------------------------
// Catalog

let catalog = [], sortKey = "name", sortUp = true;

async function loadCatalog() {
  const date = $("#calc-form").elements.date.value || "";
  const systems = $("#cat-systems").checked;
  const p = new URLSearchParams();
  if (date) p.append("date", date);
  if (systems) p.append("systems", "true");
  const c = await api(`/v1/chips${p.size ? `?${p}` : ""}`);
  catalog = c.chips;
  if (!systems) $("#chip-names").replaceChildren(...catalog.map((x) => el("option", { value: x.aliases[0] ?? x.name })));
  drawCatalog();
}

function drawCatalog() {
  const f = $("#cat-filter").value.trim().toLowerCase();
  const rows = catalog.filter((c) => !f || [c.name, c.vendor, c.eccn ?? "none", ...c.aliases].some((v) => String(v).toLowerCase().includes(f)));
  rows.sort((a, b) => {
    const va = a[sortKey] ?? "", vb = b[sortKey] ?? "";
    const r = typeof va === "number" && typeof vb === "number" ? va - vb : String(va).localeCompare(String(vb));
    return sortUp ? r : -r;
  });
  $("#cat-table tbody").replaceChildren(...rows.map((c) => {
    const tr = el("tr", { tabIndex: 0, "data-chip": c.id },
      el("td", {}, c.name), el("td", {}, c.vendor), el("td", {}, fmt(c.tpp)), el("td", {}, fmt(c.pd, 2)),
      el("td", {}, fmt(c.interconnect_gbps)), el("td", {}, c.eccn ?? (c.eccn_candidates.length ? "undetermined" : "—")));
    const open = () => showChip(c.id);
    tr.addEventListener("click", open);
    tr.addEventListener("keydown", (e) => { if (e.key === "Enter") open(); });
    return tr;
  }));
}

async function showChip(id) {
  const out = $("#chip-sheet");
  try {
    const s = await api(`/v1/chips/${encodeURIComponent(id)}`);
    const m = s.metrics;
    const contains = s.contains?.length
      ? [el("h4", {}, "Contains"), el("ul", {}, s.contains.map((c) => el("li", { "data-part": c.id }, `${c.name} × ${c.count}: ECCN ${c.eccn ?? "none"}`)))]
      : [];
    out.replaceChildren(el("h3", {}, s.chip.name),
      el("p", {}, `TPP ${fmt(m.tpp?.value)} (${m.tpp?.derivation ?? "unknown"}); performance density ${fmt(m.pd?.value, 2)}; ECCN ${s.classification.eccn ?? "none"}`),
      ...contains, el("h4", {}, "Sources"), el("ol", {}, s.sources.map((x) => el("li", {}, x))));
  } catch (e) { out.replaceChildren(el("p", { class: "error" }, e.message)); }
}

// ---------------------------------------------------------------------------------------------
// Timeline, diff

async function showTimeline(ev) {
  ev.preventDefault();
  const p = new URLSearchParams(new FormData(ev.target));
  const out = $("#tl-result");
  try {
    const t = await api(`/v1/timeline?${p}`);
    out.replaceChildren(el("table", {}, el("thead", {}, el("tr", {}, ["From", "Until", "Verdict", "ECCN", "Review", "Changed by"].map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, t.periods.map((pr) => el("tr", {}, el("td", {}, pr.from), el("td", {}, pr.until ?? "—"), el("td", {}, words(pr.status.verdict)),
        el("td", {}, pr.status.eccn ?? "—"), el("td", {}, words(pr.status.review_policy ?? "—")), el("td", {}, pr.changed_by.map((c) => c.id).join(", ")))))));
  } catch (e) { out.replaceChildren(el("p", { class: "error" }, e.message)); }
}

async function showDiff(ev) {
  ev.preventDefault();
  const p = new URLSearchParams(new FormData(ev.target));
  const out = $("#diff-result");
  try {
    const d = await api(`/v1/diff?${p}`);
    out.replaceChildren(el("p", {}, `${d.rows.length} of ${d.compared} (chip, destination) pairs differ between ${d.from} and ${d.to}.`),
      el("table", {}, el("thead", {}, el("tr", {}, ["Chip", "To", d.from, d.to].map((h) => el("th", { scope: "col" }, h)))),
        el("tbody", {}, d.rows.map((r) => el("tr", {}, el("td", {}, r.chip.name), el("td", {}, r.destination.code),
          el("td", {}, `${words(r.before.verdict)} (${r.before.eccn ?? "—"})`), el("td", {}, `${words(r.after.verdict)} (${r.after.eccn ?? "—"})`))))));
  } catch (e) { out.replaceChildren(el("p", { class: "error" }, e.message)); }
}

// ---------------------------------------------------------------------------------------------
// Audit

async function audit(file) {
  const out = $("#audit-result");
  out.replaceChildren(el("p", {}, `Auditing ${file.name}…`));
  try {
    const date = $("#audit-date").value;
    const r = await fetch(`/v1/audit${date ? `?date=${date}` : ""}`, { method: "POST", body: file, headers: { "Content-Type": file.type || "text/csv" } });
    if (!r.ok) throw new Error((await r.json()).detail);
    const blob = await r.blob();
    const s = await api(`/v1/audit/${r.headers.get("chipgate-audit-id")}/summary`);
    const name = file.name.replace(/(\.[^.]*)?$/, ".audit.csv"); // the audit of a workbook is CSV too
    out.replaceChildren(
      el("p", { "data-rows": s.rows }, `${s.rows} rows: ${s.findings} need a license or exception or are indeterminate, ${s.error_rows} could not be read.`),
      el("ul", {}, s.verdicts.map((v) => el("li", {}, `${words(v.verdict)}: ${v.rows} rows`))),
      el("p", {}, el("a", { href: URL.createObjectURL(blob), download: name, id: "audit-download" }, `Download ${name}`)));
  } catch (e) { out.replaceChildren(el("p", { class: "error" }, e.message)); }
}

// ---------------------------------------------------------------------------------------------

async function main() {
  // The slider ends today; the diff compares a year ago with today.
  const slider = $("#map-date");
  slider.max = String(Math.round((Date.parse(TODAY) - START) / 86400000));
  slider.value = slider.max;
  $("#diff-form").elements.from.value = new Date(Date.parse(TODAY) - 365 * 86400000).toISOString().slice(0, 10);
  $("#diff-form").elements.until.value = TODAY;
  api("/healthz").then((h) => { $("#rules-version").textContent = h.rules_version; });
  api("/v1/countries").then((c) => $("#country-names").replaceChildren(...c.countries.map((x) => el("option", { value: x.code }, x.name))));
  const form = $("#calc-form");
  const recalc = debounce(calculate, 200);
  form.addEventListener("input", recalc);
  form.addEventListener("submit", (e) => { e.preventDefault(); calculate(); });
  form.elements.date.addEventListener("change", () => loadCatalog());
  $("#map-date").addEventListener("input", debounce(loadMap, 150));
  $("#map-export").addEventListener("click", exportMap);
  $("#map-export-png").addEventListener("click", exportPng);
  $("#cat-filter").addEventListener("input", drawCatalog);
  $("#cat-systems").addEventListener("change", () => loadCatalog().catch((e) => $("#chip-sheet").replaceChildren(el("p", { class: "error" }, e.message))));
  for (const b of document.querySelectorAll("#cat-table th button")) {
    b.addEventListener("click", () => { sortUp = sortKey === b.dataset.sort ? !sortUp : true; sortKey = b.dataset.sort; drawCatalog(); });
  }
  $("#tl-form").addEventListener("submit", showTimeline);
  $("#diff-form").addEventListener("submit", showDiff);
  const drop = $("#drop");
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => { e.preventDefault(); drop.classList.remove("over"); if (e.dataTransfer.files[0]) audit(e.dataTransfer.files[0]); });
  $("#audit-file").addEventListener("change", (e) => { if (e.target.files[0]) audit(e.target.files[0]); });
  try {
    await Promise.all([loadCatalog(), loadMap()]);
  } catch (e) {
    $("#catalog").append(el("p", { class: "error" }, e.message));
  } finally {
    document.body.dataset.ready = "1";
  }
}

main();
