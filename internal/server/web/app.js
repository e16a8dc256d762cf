// tumorseg's page: sends a scan to /api/v1/segment, draws the scan with the
// mask in transparent red on a canvas, shows the findings, asks
// /api/v1/explain for the explanation and /api/v1/report for the PDF.
// Text from the server is always set as text, never parsed as HTML.
"use strict";

const $ = (id) => document.getElementById(id);

// state holds the last answer of /api/v1/segment and the images drawn.
const state = { seg: null, scan: null, maskLayer: null, name: "" };

function setState(s) { document.body.dataset.state = s; }

function status(text, isError) {
  $("status").textContent = text;
  $("status").classList.toggle("error", !!isError);
}

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v; else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c);
  return e;
}

// apiError returns the message of a failed answer: its JSON "error" field,
// with the wait the server asks for when it is busy.
async function apiError(resp) {
  let msg = resp.status + " " + resp.statusText;
  try {
    const body = await resp.json();
    if (body && body.error) msg = body.error;
  } catch (_) { /* not JSON */ }
  const wait = resp.headers.get("Retry-After");
  if (resp.status === 503 && wait) msg += " (the server asks to wait " + wait + " s)";
  return msg;
}

async function loadModels() {
  const resp = await fetch("/api/v1/models");
  if (!resp.ok) { status(await apiError(resp), true); return; }
  const m = await resp.json();
  const select = $("model");
  for (const n of m.models) {
    let label = n.name;
    if (n.val_dice != null) label += " (validation Dice " + n.val_dice.toFixed(3) + ")";
    select.append(el("option", { value: n.name }, label));
  }
  $("model-row").hidden = m.models.length < 2;
  $("limits").textContent = "PNG, JPEG or TIFF, up to " +
    Math.floor(m.max_upload_bytes / 1048576) + " MB and " + m.max_side + " pixels a side";
}

function loadImage(src) {
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => resolve(img);
    img.onerror = () => reject(new Error("the browser could not show an image"));
    img.src = src;
  });
}

// maskLayer returns a canvas of the mask's size, opaque red where the mask
// is tumor and transparent elsewhere.
function maskLayer(mask) {
  const c = document.createElement("canvas");
  c.width = mask.naturalWidth;
  c.height = mask.naturalHeight;
  const g = c.getContext("2d");
  g.drawImage(mask, 0, 0);
  const px = g.getImageData(0, 0, c.width, c.height);
  const d = px.data;
  for (let i = 0; i < d.length; i += 4) {
    const tumor = d[i] >= 128;
    d[i] = 255; d[i + 1] = 0; d[i + 2] = 0; d[i + 3] = tumor ? 255 : 0;
  }
  g.putImageData(px, 0, 0);
  return c;
}

function draw() {
  if (!state.scan) return;
  const c = $("canvas");
  c.width = state.scan.naturalWidth;
  c.height = state.scan.naturalHeight;
  const g = c.getContext("2d");
  g.globalAlpha = 1;
  g.drawImage(state.scan, 0, 0);
  if ($("show").checked && state.maskLayer) {
    g.globalAlpha = Number($("opacity").value) / 100;
    g.drawImage(state.maskLayer, 0, 0);
    g.globalAlpha = 1;
  }
  c.dataset.drawn = "1";
}

const pct = (v) => (v == null ? "unknown" : (100 * v).toFixed(2) + "%");
const mm2 = (v) => (v == null ? "unknown" : v.toFixed(1) + " mm²");
const where = (p) => (p.vertical === p.horizontal ? p.vertical
  : p.vertical + " " + p.horizontal);

function showFindings(f) {
  const box = $("findings");
  box.replaceChildren();
  box.append(el("p", { class: "big " + (f.tumor_found ? "found" : "clear") },
    f.tumor_found ? "Marked: " + f.region_count + (f.region_count === 1 ? " area" : " areas")
      : "No area was marked"));

  const rows = [
    ["Total area", f.area_pixels + " px"],
    ["Share of the image", pct(f.area_fraction)],
    ["Share of the head", pct(f.brain_fraction)],
    ["Area in mm²", mm2(f.area_mm2)],
    ["Bounding box", f.bbox ? f.bbox.w + "×" + f.bbox.h + " px at (" + f.bbox.x + ", " +
      f.bbox.y + ")" : "none"],
    ["Mean probability", f.tumor_found ? f.mean_probability.toFixed(3) : "–"],
    ["Image", f.image + ", " + f.width + "×" + f.height + " px"],
    ["Network", f.model + (f.model_val_dice != null ?
      " (validation Dice " + f.model_val_dice.toFixed(3) + ")" : "")],
    ["Threshold", String(f.threshold)],
  ];
  if (f.dropped_regions > 0) {
    rows.push(["Left out", f.dropped_regions + " spots under " + f.min_area_pixels + " px"]);
  }
  const summary = el("table", { id: "summary" });
  for (const [k, v] of rows) summary.append(el("tr", {}, el("th", {}, k), el("td", {}, v)));
  box.append(el("div", { class: "table-wrap" }, summary));

  if (f.regions.length > 0) {
    const head = el("tr", {}, el("th", {}, "#"), el("th", {}, "Position on the image"),
      el("th", { class: "num" }, "Pixels"), el("th", { class: "num" }, "Head"),
      el("th", { class: "num" }, "Area"), el("th", { class: "num" }, "Probability"));
    const t = el("table", { id: "regions" }, head);
    for (const r of f.regions) {
      t.append(el("tr", {}, el("td", {}, String(r.id)), el("td", {}, where(r.position)),
        el("td", { class: "num" }, String(r.area_pixels)),
        el("td", { class: "num" }, pct(r.brain_fraction)),
        el("td", { class: "num" }, mm2(r.area_mm2)),
        el("td", { class: "num" }, r.mean_probability.toFixed(3))));
    }
    box.append(el("div", { class: "table-wrap" }, t));
  }
  box.append(el("p", { class: "muted" }, f.position_note));
}

function showExplanation(e) {
  const box = $("explanation");
  box.replaceChildren();
  if (e.note) box.append(el("p", { class: "note" }, e.note));
  const text = el("div", { id: "explanation-text", lang: e.lang });
  for (const para of e.text.split(/\n\s*\n/)) text.append(el("p", {}, para));
  box.append(text);
  box.append(el("p", { class: "disclaimer", lang: e.lang }, e.disclaimer));
  box.append(el("p", { class: "muted" }, e.source === "llm"
    ? "Written by the language model " + (e.llm_model || "") + " and checked by tumorseg."
    : "Written by tumorseg from the measurements (no language model)."));
  const checks = el("ul", { class: "checks", id: "checks" });
  for (const c of e.checks || []) {
    checks.append(el("li", {}, el("span", { class: "verdict " + (c.passed ? "pass" : "fail") },
      c.passed ? "✓ " : "✗ "), c.name.replace(/_/g, " ") + ": " + c.detail));
  }
  box.append(checks);
}

async function explainFindings() {
  if (!state.seg) return;
  setState("explaining");
  $("explanation").replaceChildren(el("p", { class: "muted" }, "Writing the explanation…"));
  const resp = await fetch("/api/v1/explain", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ findings: state.seg.findings, lang: $("lang").value }),
  });
  if (!resp.ok) {
    const msg = await apiError(resp);
    $("explanation").replaceChildren(el("p", { class: "note" }, msg));
    setState("error");
    return;
  }
  showExplanation(await resp.json());
  setState("ready");
}

async function segment(file) {
  if (!file) return;
  state.name = file.name;
  const form = new FormData();
  form.append("image", file, file.name);
  if ($("model").value) form.append("model", $("model").value);
  if ($("spacing").value) form.append("pixel_spacing", $("spacing").value);
  setState("segmenting");
  status("Segmenting " + file.name + "…");
  let resp;
  try {
    resp = await fetch("/api/v1/segment", { method: "POST", body: form });
  } catch (err) {
    status("The server could not be reached: " + err.message, true);
    setState("error");
    return;
  }
  if (!resp.ok) {
    status(await apiError(resp), true);
    setState("error");
    return;
  }
  const seg = await resp.json();
  state.seg = seg;
  [state.scan, state.maskLayer] = await Promise.all([loadImage(seg.scan),
    loadImage(seg.mask).then(maskLayer)]);
  $("result").hidden = false;
  $("scan-name").textContent = seg.findings.image;
  draw();
  showFindings(seg.findings);
  $("pdf-status").textContent = "";
  status("Segmented " + file.name + " in " + seg.seconds.toFixed(2) + " s.");
  await explainFindings();
}

// downloadPDF asks for the report of the last scan and saves it.
async function downloadPDF() {
  if (!state.seg) return;
  const button = $("pdf");
  button.disabled = true;
  $("pdf-status").textContent = "Making the report…";
  try {
    const f = state.seg.findings;
    const resp = await fetch("/api/v1/report", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ findings: f, scan: state.seg.scan, mask: state.seg.mask,
        lang: $("lang").value }),
    });
    if (!resp.ok) { $("pdf-status").textContent = await apiError(resp); return; }
    const blob = await resp.blob();
    const a = el("a", { href: URL.createObjectURL(blob),
      download: f.image.replace(/\.[^.]*$/, "") + "_report.pdf" });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 60000);
    $("pdf-status").textContent = "Saved " + a.download + " (" +
      Math.round(blob.size / 1024) + " KB).";
    document.body.dataset.pdf = "saved";
  } finally {
    button.disabled = false;
  }
}

function init() {
  const drop = $("drop");
  $("file").addEventListener("change", (e) => segment(e.target.files[0]));
  for (const ev of ["dragenter", "dragover"]) {
    drop.addEventListener(ev, (e) => { e.preventDefault(); drop.classList.add("over"); });
  }
  for (const ev of ["dragleave", "drop"]) {
    drop.addEventListener(ev, () => drop.classList.remove("over"));
  }
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    if (e.dataTransfer.files.length > 0) segment(e.dataTransfer.files[0]);
  });
  $("show").addEventListener("change", draw);
  $("opacity").addEventListener("input", draw);
  $("lang").addEventListener("change", explainFindings);
  $("pdf").addEventListener("click", downloadPDF);
  loadModels().catch((err) => status("Could not load the networks: " + err.message, true));
}

init();
