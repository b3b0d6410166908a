// Getting a card's media out: "Download view as PNG" composes the visible part of a card's grid
// on one canvas, each image at its logged resolution with the masks, boxes and labels its viewer
// draws right now (read from the viewer's own mask canvases and box elements, so the picture is
// what the settings show); "Export as video" asks the server for an MP4 of a row or column.
// Both save a Blob through a `download` link: the file is never opened in TensorBoard's origin.
import type { MediaApi } from "../api";
import { stepKey } from "../api";
import { ensureStyle } from "../viewers/viewer-dom";
import { displayText, h } from "./dom";
import type { GridView } from "./virtual-grid";
import { gridOf } from "./virtual-grid";

const PAD = 4;
const TITLE_H = 26;
const HEADER_H = 22;
const FONT = "13px system-ui, sans-serif";
const TEXT = "#212121";
/** Chromium's canvas limits (a side, and an area): a larger view is scaled down to fit. */
const MAX_SIDE = 16384;
const MAX_AREA = 1 << 27;

interface Tile {
  w: number;
  h: number;
  draw(g: CanvasRenderingContext2D, x: number, y: number): void;
}

/** Saves `blob` as a file named `name` (a download, never a page of this origin). */
export function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = h("a", { href: url, download: name, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 30_000);
}

function fileName(text: string, ext: string): string {
  return `${text.replace(/[^\w.-]+/g, "_").replace(/^[._]+|[._]+$/g, "").slice(0, 120) || "media"}.${ext}`;
}

// ---- Download view as PNG ------------------------------------------------------------------

/** The picture of a card's visible grid(s), as a PNG download named after `title`. */
export async function downloadViewPng(card: HTMLElement, title: string): Promise<void> {
  const canvas = await composeView(card, title);
  const blob = await new Promise<Blob | null>((done) => canvas.toBlob(done, "image/png"));
  if (!blob) throw new Error("the browser could not encode the view as PNG");
  saveBlob(blob, fileName(title, "png"));
}

interface Section {
  title: string;
  view: GridView;
  tiles: Map<string, Tile>;
  colW: number[];
  rowH: number[];
  labelW: number;
  headerH: number;
}

/** One canvas: the card's title, then per grid its section title, column labels, row labels and
 * cells (a column as wide as its widest picture, a row as tall as its tallest). */
export async function composeView(card: HTMLElement, title: string): Promise<HTMLCanvasElement> {
  const measure = document.createElement("canvas").getContext("2d");
  if (!measure) throw new Error("no 2D canvas in this browser");
  measure.font = FONT;
  const textW = (t: string) => Math.ceil(measure.measureText(t).width);
  const sections: Section[] = [];
  for (const el of card.querySelectorAll<HTMLElement>(".mp-grid")) {
    const grid = gridOf(el);
    if (!grid) continue;
    await grid.settled();
    // A viewer may be ready before its <img> has loaded (masks over it are drawn first).
    await Promise.all([...el.querySelectorAll("img")].map((img) => (img.complete ? undefined : img.decode().catch(() => undefined))));
    const view = grid.view();
    if (!view) continue;
    const tiles = new Map<string, Tile>();
    const colW = view.cols.map(() => 0);
    const rowH = view.rows.map(() => 0);
    view.rows.forEach((r, i) => view.cols.forEach((c, j) => {
      const cell = view.cell(r, c);
      const tile = cell ? tileOf(cell) : null;
      // An empty place keeps the cell's size on screen, so the grid stays a grid.
      colW[j] = Math.max(colW[j], tile?.w ?? view.cellW);
      rowH[i] = Math.max(rowH[i], tile?.h ?? view.cellH);
      if (tile) tiles.set(`${r},${c}`, tile);
    }));
    const prev = el.previousElementSibling;
    const sectionTitle = prev?.classList.contains("mp-section-title") ? prev.textContent ?? "" : "";
    const labelW = view.rowLabels ? Math.max(0, ...view.rows.map((r) => textW(view.rowLabel(r)))) + 2 * PAD : 0;
    sections.push({ title: sectionTitle, view, tiles, colW, rowH, labelW, headerH: view.colLabels ? HEADER_H : 0 });
  }
  if (!sections.length) throw new Error("nothing of this card is on the screen");
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const widths = sections.map((s) => s.labelW + sum(s.colW) + PAD * (s.colW.length + 1));
  const heights = sections.map((s) => (s.title ? HEADER_H : 0) + s.headerH + sum(s.rowH) + PAD * (s.rowH.length + 1));
  const width = Math.max(textW(title) + 2 * PAD, ...widths);
  const height = TITLE_H + sum(heights);
  const scale = Math.min(1, MAX_SIDE / width, MAX_SIDE / height, Math.sqrt(MAX_AREA / (width * height)));
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(width * scale);
  canvas.height = Math.round(height * scale);
  const g = canvas.getContext("2d");
  if (!g) throw new Error("no 2D canvas in this browser");
  g.scale(scale, scale);
  g.fillStyle = "#fff";
  g.fillRect(0, 0, width, height);
  g.textBaseline = "middle";
  const text = (t: string, x: number, y: number, maxW: number, align: CanvasTextAlign = "left", font = FONT) => {
    g.font = font;
    g.fillStyle = TEXT;
    g.textAlign = align;
    g.fillText(fitText(g, displayText(t), maxW), x, y);
  };
  text(title, PAD, TITLE_H / 2, width - 2 * PAD, "left", `600 ${FONT}`);
  let top = TITLE_H;
  for (const s of sections) {
    if (s.title) {
      text(s.title, PAD, top + HEADER_H / 2, width - 2 * PAD, "left", `500 ${FONT}`);
      top += HEADER_H;
    }
    const lefts: number[] = [];
    let x = s.labelW + PAD;
    for (const w of s.colW) {
      lefts.push(x);
      x += w + PAD;
    }
    if (s.headerH) s.view.cols.forEach((c, j) => text(s.view.colLabel(c), lefts[j] + s.colW[j] / 2, top + s.headerH / 2, s.colW[j], "center"));
    let y = top + s.headerH + PAD;
    s.view.rows.forEach((r, i) => {
      if (s.labelW) text(s.view.rowLabel(r), s.labelW - PAD, y + Math.min(s.rowH[i], 2 * HEADER_H) / 2, s.labelW - 2 * PAD, "right");
      s.view.cols.forEach((c, j) => {
        const tile = s.tiles.get(`${r},${c}`);
        if (tile) {
          g.save();
          tile.draw(g, lefts[j], y);
          g.restore();
        }
      });
      y += s.rowH[i] + PAD;
    });
    top = y;
  }
  return canvas;
}

function fitText(g: CanvasRenderingContext2D, t: string, maxW: number): string {
  if (g.measureText(t).width <= maxW) return t;
  let cut = t;
  while (cut && g.measureText(`${cut}…`).width > maxW) cut = cut.slice(0, -1);
  return `${cut}…`;
}

/** What a cell shows, at its logged size: an annotated image (its stages), a plain image, a
 * video's current frame; any other kind a labelled placeholder of the cell's size on screen. */
function tileOf(cell: HTMLElement): Tile | null {
  const state = cell.dataset.state;
  if (state === "empty" || state === "loading") return null;
  const stages = cell.querySelector<HTMLElement>(".ai-stages");
  if (stages) return annotatedTile(stages);
  const img = cell.querySelector<HTMLImageElement>("img.mp-image");
  if (img && img.naturalWidth > 0) {
    return { w: img.naturalWidth, h: img.naturalHeight, draw: (g, x, y) => g.drawImage(img, x, y) };
  }
  const video = cell.querySelector("video");
  if (video && video.videoWidth > 0 && video.readyState >= HTMLMediaElement.HAVE_CURRENT_DATA) {
    return { w: video.videoWidth, h: video.videoHeight, draw: (g, x, y) => g.drawImage(video, x, y) };
  }
  return placeholder(cell);
}

function placeholder(cell: HTMLElement): Tile {
  const r = cell.getBoundingClientRect();
  const w = Math.max(1, Math.round(r.width));
  const hgt = Math.max(1, Math.round(r.height));
  const what = state(cell);
  return {
    w, h: hgt,
    draw(g, x, y) {
      g.fillStyle = "#eeeeee";
      g.fillRect(x, y, w, hgt);
      g.strokeStyle = "#bdbdbd";
      g.strokeRect(x + 0.5, y + 0.5, w - 1, hgt - 1);
      g.font = FONT;
      g.fillStyle = "#616161";
      g.textAlign = "center";
      what.forEach((line, i) => g.fillText(fitText(g, displayText(line), w - 2 * PAD), x + w / 2, y + hgt / 2 + (i - (what.length - 1) / 2) * 16));
    },
  };
}

function state(cell: HTMLElement): string[] {
  if (cell.dataset.state === "error") return ["could not load"];
  const step = cell.dataset.step ? `step ${cell.dataset.step}` : "";
  return [cell.dataset.kind ?? "item", step, "(not drawn)"].filter(Boolean);
}

/** An annotated image as its viewer lays it out: each stage at the image's resolution, masks
 * from the viewer's own canvases at their shown opacity, boxes and captions from its boxes. */
function annotatedTile(stagesEl: HTMLElement): Tile | null {
  const stages = [...stagesEl.querySelectorAll<HTMLElement>(":scope > .ai-stage")];
  const img = stages[0]?.querySelector("img");
  const firstCanvas = stages[0]?.querySelector("canvas");
  const w = img?.naturalWidth || firstCanvas?.width || 0;
  const hgt = img?.naturalHeight || firstCanvas?.height || 0;
  if (!w || !hgt) return null;
  const column = stagesEl.classList.contains("col");
  const n = stages.length;
  return {
    w: column ? w : n * w + (n - 1) * PAD,
    h: column ? n * hgt + (n - 1) * PAD : hgt,
    draw(g, x, y) {
      stages.forEach((stage, i) => {
        g.save();
        g.translate(column ? x : x + i * (w + PAD), column ? y + i * (hgt + PAD) : y);
        // as on screen (the box layer hides its overflow): nothing spills onto a neighbour
        g.beginPath();
        g.rect(0, 0, w, hgt);
        g.clip();
        drawStage(g, stage, w, hgt);
        g.restore();
      });
    },
  };
}

function drawStage(g: CanvasRenderingContext2D, stage: HTMLElement, w: number, hgt: number): void {
  const img = stage.querySelector("img");
  if (img && !img.classList.contains("hidden") && img.naturalWidth) g.drawImage(img, 0, 0, w, hgt);
  // Masks: class ids the viewer painted through its colour table; magnified pixel for pixel.
  g.imageSmoothingEnabled = false;
  for (const c of stage.querySelectorAll("canvas")) {
    g.globalAlpha = Number(getComputedStyle(c).opacity);
    g.drawImage(c, 0, 0, w, hgt);
  }
  g.globalAlpha = 1;
  g.imageSmoothingEnabled = true;
  // CSS pixels on screen -> image pixels: borders and captions keep their size relative to the image.
  const shown = stage.getBoundingClientRect().width;
  const k = shown > 0 ? w / shown : 1;
  for (const box of stage.querySelectorAll<HTMLElement>(".ai-box")) drawBox(g, box, w, hgt, k);
  const label = stage.querySelector<HTMLElement>(".ai-label");
  if (label && label.textContent && getComputedStyle(label).display !== "none") drawLabel(g, label, k);
}

function drawBox(g: CanvasRenderingContext2D, box: HTMLElement, w: number, hgt: number, k: number): void {
  const pct = (key: string, size: number) => (Number(box.dataset[key]) / 100) * size;
  const x = pct("x", w);
  const y = pct("y", hgt);
  const bw = pct("w", w);
  const bh = pct("h", hgt);
  const css = getComputedStyle(box);
  const line = Math.max(1, parseFloat(css.borderTopWidth) * k);
  g.strokeStyle = css.borderTopColor;
  g.lineWidth = line;
  g.setLineDash(css.borderTopStyle === "dashed" ? [3 * line, 2 * line] : []);
  // A CSS border lies inside the box.
  g.strokeRect(x + line / 2, y + line / 2, Math.max(0, bw - line), Math.max(0, bh - line));
  g.setLineDash([]);
  const cap = box.firstElementChild as HTMLElement | null;
  if (!cap || box.classList.contains("nocap") || !cap.textContent) return;
  const cs = getComputedStyle(cap);
  const size = parseFloat(cs.fontSize) * k;
  const lineH = (parseFloat(cs.lineHeight) || parseFloat(cs.fontSize) * 1.3) * k;
  const pad = parseFloat(cs.paddingLeft) * k;
  g.font = `${size}px ${cs.fontFamily}`;
  const t = fitText(g, cap.textContent, bw + 2 * line - 2 * pad);
  const capW = Math.min(g.measureText(t).width + 2 * pad, bw + 2 * line);
  const spot = box.dataset.cap ?? "above";
  const top = spot === "inside-top" ? y : spot === "below" ? y + bh : spot === "inside-bottom" ? y + bh - lineH : y - lineH;
  g.fillStyle = cs.backgroundColor;
  g.fillRect(x - line, top, capW, lineH);
  g.fillStyle = cs.color;
  g.textAlign = "left";
  g.textBaseline = "middle";
  g.fillText(t, x - line + pad, top + lineH / 2);
}

function drawLabel(g: CanvasRenderingContext2D, label: HTMLElement, k: number): void {
  const cs = getComputedStyle(label);
  const size = parseFloat(cs.fontSize) * k;
  const pad = parseFloat(cs.paddingLeft) * k;
  g.font = `${size}px ${cs.fontFamily}`;
  const t = label.textContent ?? "";
  const lineH = size * 1.3;
  g.fillStyle = cs.backgroundColor;
  g.fillRect(0, 0, g.measureText(t).width + 2 * pad, lineH);
  g.fillStyle = cs.color;
  g.textAlign = "left";
  g.textBaseline = "middle";
  g.fillText(t, pad, lineH / 2);
}

// ---- Export as video -----------------------------------------------------------------------

/** One series (run, tag, index) over a span of steps: what a row or column's video shows. */
export interface VideoSpan {
  run: string;
  tag: string;
  index: number;
  from: number;
  to: number;
}

// Over the label's start, shown while the label is hovered (or the control focused, busy or
// failed): it takes no room from the name, whose tail is what tells sweeps apart.
const VIDEO_CSS = `
.mp-axis-label .mp-export-video{position:absolute;left:0;top:50%;transform:translateY(-50%);z-index:1;opacity:0;background:var(--mp-surface);border-radius:3px;font-size:11px;line-height:16px}
.mp-axis-label:hover .mp-export-video,.mp-export-video:focus-visible,.mp-export-video[data-state=exporting],.mp-export-video[data-state=error]{opacity:1}
.mp-export-video[data-state=error]{color:#c62828}
`;

/** The "Export as video" control of a row or column header: the server encodes the MP4
 * (`export_video`), with masks and boxes burned in when the cells show them. */
export function exportVideoButton(api: MediaApi, span: VideoSpan, annotated: () => boolean): HTMLButtonElement {
  ensureStyle("tbmp-export-video", VIDEO_CSS);
  const what = `${span.tag} of ${span.run}, steps ${span.from} to ${span.to}`;
  const b = h("button", {
    class: "mp-row-play mp-export-video", "aria-label": "Export as video", text: "mp4",
    title: `Export as video (MP4 of every logged step): ${what}`,
  });
  b.addEventListener("click", (e) => {
    e.stopPropagation();
    if (b.disabled) return;
    b.disabled = true;
    b.dataset.state = "exporting";
    b.textContent = "…";
    void (async () => {
      try {
        const params = {
          run: span.run, tag: span.tag, index: span.index,
          steps: `${stepKey(span.from)}:${stepKey(span.to)}`, overlay: annotated() ? 1 : 0,
        };
        const res = await fetch(api.url("export_video", params));
        if (!res.ok) throw new Error(await errorOf(res));
        const name = /filename="([^"]+)"/.exec(res.headers.get("Content-Disposition") ?? "")?.[1];
        saveBlob(new Blob([await res.blob()], { type: "video/mp4" }), name ?? fileName(`${span.run}-${span.tag}`, "mp4"));
        b.dataset.state = "done";
        b.title = `Export as video: ${what}`;
      } catch (err) {
        b.dataset.state = "error";
        b.title = displayText(`Export as video failed: ${err instanceof Error ? err.message : String(err)}`);
      } finally {
        b.disabled = false;
        b.textContent = "mp4";
      }
    })();
  });
  return b;
}

async function errorOf(res: Response): Promise<string> {
  try {
    const body: unknown = await res.json();
    if (body && typeof body === "object" && "error" in body && typeof body.error === "string") return body.error;
  } catch {
    // not JSON: the status says it
  }
  return `${res.status} ${res.statusText}`;
}
