// The pixel probe: hover a pixel in one image cell and every cell of its group (a card, the
// Compare view: see view-transform.ts) shows a crosshair at the same image coordinates with the
// value there. The hovered cell shows every line in a tip by the pointer; the others a label.
// One animation frame per pointer move for the whole group, writes only (no layout reads).
//
// RGB(A) is read from the decoded bytes exactly: through WebGL with no premultiplication and no
// colour conversion (a 2D canvas stores premultiplied alpha and may colour-manage), so the probe
// shows the logged value, not a display guess.
import { fitTransform, groupElement, toImage, toScreen, type Size, type ViewTransform } from "./view-transform";
import { ensureStyle } from "./viewer-dom";

/** One drawn viewport of a member (an annotated image laid out beside has one per panel). */
export interface ProbeView {
  el: HTMLElement;
  /** Its size in CSS px, cached by the member (no layout read here). */
  view: Size;
  /** How the image is drawn in it now: the group's transform, or the fit of this viewport. */
  t: ViewTransform;
}

export interface ProbeMember {
  image: Size;
  views(): ProbeView[];
  /** The lines describing image pixel (x, y), inside the image; null while pixels are decoding. */
  valueAt(x: number, y: number): string[] | null;
  /** Decodes what valueAt needs (called on the first hover of the group). */
  prepare(): Promise<void>;
}

const CSS = `
.pp-layer{position:absolute;left:0;top:0;pointer-events:none;z-index:2}
.pp-tip{position:fixed;left:0;top:0;z-index:31;pointer-events:none;display:none}
`;

/** How a box of text is drawn: the cells' labels and the tip by the pointer. */
interface TextStyle { font: string; line: number; padX: number; padY: number; bg: string }
const LABEL: TextStyle = { font: "10px system-ui,sans-serif", line: 14, padX: 4, padY: 0, bg: "rgba(33,33,33,.8)" };
const TIP: TextStyle = { font: "11px system-ui,sans-serif", line: 15, padX: 6, padY: 3, bg: "rgba(33,33,33,.92)" };

/** Rows of text cut to `max` px wide, and the size of their box. */
function layoutText(g: CanvasRenderingContext2D, text: string, st: TextStyle, max: number, maxRows = Infinity): { rows: string[]; w: number; h: number } {
  g.font = st.font;
  let lines = text.split("\n");
  const keep = Math.max(1, maxRows);
  if (lines.length > keep) lines = [...lines.slice(0, keep - 1), `${lines[keep - 1]} (+${lines.length - keep})`];
  const rows = lines.map((r) => fitText(g, r, max - 2 * st.padX));
  const w = Math.ceil(2 * st.padX + Math.max(...rows.map((r) => g.measureText(r).width)));
  return { rows, w, h: st.line * rows.length + 2 * st.padY };
}

function drawText(g: CanvasRenderingContext2D, box: { rows: string[]; w: number; h: number }, x: number, y: number, st: TextStyle): void {
  g.font = st.font;
  g.textBaseline = "middle";
  g.fillStyle = st.bg;
  g.beginPath();
  g.roundRect(x, y, box.w, box.h, 3);
  g.fill();
  g.fillStyle = "#fff";
  box.rows.forEach((r, i) => g.fillText(r, x + st.padX, y + st.padY + st.line * (i + 0.5)));
}

/** Sizes canvas `c` to `size` CSS px (device pixels behind), `g` drawing in CSS px. */
function sizeCanvas(c: HTMLCanvasElement, g: CanvasRenderingContext2D, size: Size): void {
  const dpr = window.devicePixelRatio || 1;
  c.width = Math.max(1, Math.round(size.w * dpr));
  c.height = Math.max(1, Math.round(size.h * dpr));
  c.style.width = `${size.w}px`;
  c.style.height = `${size.h}px`;
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
}

/** A crosshair, the pixel's outline and the value label of one view, drawn on one canvas. */
function drawMarks(g: CanvasRenderingContext2D, w: number, h: number, sx: number, sy: number, s: number, label: string | null): void {
  g.clearRect(0, 0, w, h);
  // The lines through the pixel's centre: white on a dark halo, readable on any picture.
  const cx = Math.round(sx + s / 2) + 0.5;
  const cy = Math.round(sy + s / 2) + 0.5;
  const cross = (style: string, width: number) => {
    g.strokeStyle = style;
    g.lineWidth = width;
    g.beginPath();
    g.moveTo(0, cy);
    g.lineTo(w, cy);
    g.moveTo(cx, 0);
    g.lineTo(cx, h);
    g.stroke();
  };
  cross("rgba(0,0,0,.45)", 3);
  cross("rgba(255,255,255,.9)", 1);
  if (s >= 6) { // the pixel's own outline once a pixel is big enough to see
    g.strokeStyle = "rgba(0,0,0,.6)";
    g.strokeRect(Math.round(sx) - 0.5, Math.round(sy) - 0.5, Math.round(s) + 1, Math.round(s) + 1);
    g.strokeStyle = "#fff";
    g.strokeRect(Math.round(sx) + 0.5, Math.round(sy) + 0.5, Math.round(s) - 1, Math.round(s) - 1);
  }
  if (label === null) return;
  // At most a quarter of the cell: the other cells' pictures stay in view under their labels
  // (the hovered cell's tip has every line).
  const box = layoutText(g, label, LABEL, w - 4, Math.max(1, Math.floor(h / 4 / LABEL.line)));
  drawText(g, box, 2, h - 2 - box.h, LABEL);
}

/** `text`, cut with an ellipsis to `max` px. */
function fitText(g: CanvasRenderingContext2D, text: string, max: number): string {
  if (g.measureText(text).width <= max) return text;
  let n = text.length;
  while (n > 0 && g.measureText(`${text.slice(0, n)}…`).width > max) n--;
  return `${text.slice(0, n)}…`;
}

interface Marks { layer: HTMLCanvasElement; g: CanvasRenderingContext2D; w: number; h: number }

/**
 * The tip by the pointer, one for every group (one shows at a time). It is drawn on a canvas
 * over the whole window that never moves or changes size: a moved or resized element, even on a
 * layer of its own, made the page re-layerize (a full compositing update, ~4 ms per move with 20
 * cells: benchmarks/zoom_probe_bench.py).
 */
class Tip {
  private readonly el = document.createElement("canvas");
  private readonly g = this.el.getContext("2d");
  private size: Size = { w: 0, h: 0 };
  private drawn: [number, number, number, number] | null = null;
  private owner: object | null = null;

  constructor() {
    this.el.className = "pp-tip";
    this.el.setAttribute("aria-hidden", "true");
  }

  show(owner: object, text: string, cx: number, cy: number): void {
    const { el, g } = this;
    if (!g) return;
    this.owner = owner;
    if (!el.isConnected) document.body.append(el);
    el.style.display = "block";
    const size = { w: window.innerWidth, h: window.innerHeight };
    if (size.w !== this.size.w || size.h !== this.size.h) {
      sizeCanvas(el, g, size);
      this.size = size;
      this.drawn = null;
    }
    const box = layoutText(g, text, TIP, Math.min(420, size.w - 4));
    // Beside the pointer, flipped to the other side near the window's right and bottom edges.
    const left = Math.max(2, cx + 14 + box.w > size.w ? cx - box.w - 8 : cx + 14);
    const top = Math.max(2, cy + 14 + box.h > size.h ? cy - box.h - 8 : cy + 14);
    if (this.drawn) g.clearRect(...this.drawn);
    drawText(g, box, left, top, TIP);
    this.drawn = [left - 1, top - 1, box.w + 2, box.h + 2];
    el.dataset.text = text; // what it shows, for tests and tools (a canvas has no text to read)
  }

  /** Hidden by the group showing it (a group left after another took it over keeps it shown). */
  hide(owner: object): void {
    if (owner === this.owner) this.el.style.display = "none";
  }
}

let sharedTip: Tip | null = null;

class ProbeGroup {
  readonly members = new Set<ProbeMember>();
  private readonly marks = new WeakMap<HTMLElement, Marks>();
  private readonly shown = new Set<HTMLElement>();
  private pending: { member: ProbeMember; view: HTMLElement; x: number; y: number; cx: number; cy: number } | null = null;
  private hide = false;
  private frame = 0;
  private readonly prepared = new WeakSet<ProbeMember>();

  constructor(private readonly el: Element) {}

  /** The pointer at client (cx, cy) over `view` of `member`, at image point (x, y). */
  hover(member: ProbeMember, view: HTMLElement, x: number, y: number, cx: number, cy: number): void {
    // Members decode what valueAt needs on the group's first hover, and so do cells mounted since.
    for (const m of this.members) {
      if (this.prepared.has(m)) continue;
      this.prepared.add(m);
      void m.prepare().then(() => this.schedule());
    }
    this.pending = { member, view, x, y, cx, cy };
    this.hide = false;
    this.schedule();
  }

  leave(): void {
    this.pending = null;
    this.hide = true;
    this.schedule();
  }

  private schedule(): void {
    if (!this.frame) this.frame = requestAnimationFrame(() => this.draw());
  }

  /** The view's canvas, sized to it (resized only when the view's size changes). */
  private marksOf(el: HTMLElement, view: Size): Marks | null {
    let m = this.marks.get(el);
    if (!m) {
      const layer = document.createElement("canvas");
      layer.className = "pp-layer";
      const g = layer.getContext("2d");
      if (!g) return null;
      m = { layer, g, w: 0, h: 0 };
      this.marks.set(el, m);
    }
    if (m.w !== view.w || m.h !== view.h) {
      Object.assign(m, { w: view.w, h: view.h });
      sizeCanvas(m.layer, m.g, view);
    }
    if (m.layer.parentElement !== el) el.append(m.layer);
    return m;
  }

  // Every mark is drawn on canvases that keep their place and size: a move changes pixels only,
  // never the page's layout or its paint structure, so a frame re-layerizes nothing (moving DOM
  // crosshairs with transforms cost a full compositing update per move, ~4 ms with 20 cells:
  // benchmarks/zoom_probe_bench.py).
  private draw(): void {
    this.frame = 0;
    const p = this.pending;
    // One class on the group while probing: the other cells' zoom chips give way to their labels.
    this.el.classList.toggle("pp-probing", !this.hide && p !== null);
    if (this.hide || !p) {
      for (const el of this.shown) this.marks.get(el)?.layer.remove();
      this.shown.clear();
      sharedTip?.hide(this);
      return;
    }
    const x = Math.floor(p.x);
    const y = Math.floor(p.y);
    const now = new Set<HTMLElement>();
    for (const m of this.members) {
      const inside = x >= 0 && y >= 0 && x < m.image.w && y < m.image.h;
      const lines = inside ? m.valueAt(x, y) : [];
      for (const v of m.views()) {
        const mk = this.marksOf(v.el, v.view);
        if (!mk) continue;
        now.add(v.el);
        const [sx, sy] = toScreen(v.t, v.view, x, y);
        const text = !inside ? "outside the image" : lines === null ? "…" : lines.join("\n");
        // What the canvas shows, for tests and tools (a canvas has no text to read).
        mk.layer.dataset.x = String(x);
        mk.layer.dataset.y = String(y);
        mk.layer.dataset.value = text;
        // The hovered cell says it by the pointer (room for every line); the others in a corner.
        const here = m === p.member && v.el === p.view;
        drawMarks(mk.g, mk.w, mk.h, sx, sy, v.t.scale, here ? null : text);
        if (here) (sharedTip ??= new Tip()).show(this, `x ${x}, y ${y}${inside && lines ? lines.map((l) => `\n${l}`).join("") : ""}`, p.cx, p.cy);
      }
    }
    for (const el of this.shown) if (!now.has(el)) this.marks.get(el)?.layer.remove();
    this.shown.clear();
    for (const el of now) this.shown.add(el);
  }

}

const groups = new WeakMap<Element, ProbeGroup>();

/**
 * Adds a member to the probe group of `host` and listens for the pointer on `surface`. Returns
 * the detach.
 */
export function attachProbe(host: Element, surface: HTMLElement, member: ProbeMember): () => void {
  ensureStyle("tbmp-pixel-probe", CSS);
  const el = groupElement(host);
  let g = groups.get(el);
  if (!g) groups.set(el, (g = new ProbeGroup(el)));
  const group = g;
  group.members.add(member);
  const move = (e: PointerEvent) => {
    if (e.buttons) return; // panning: the probe waits
    const views = member.views();
    const v = views.find((w) => w.el.contains(e.target as Node)) ?? views[0];
    if (!v) return;
    // The viewport's box is read once per move, for the hovered cell only.
    const r = v.el.getBoundingClientRect();
    const [x, y] = toImage(v.t, v.view, e.clientX - r.left, e.clientY - r.top);
    surface.classList.add("pp-here");
    group.hover(member, v.el, x, y, e.clientX, e.clientY);
  };
  const leave = () => {
    surface.classList.remove("pp-here");
    group.leave();
  };
  // A press (a pan, a click on the zoom chip) hides the marks; the cell stays the hovered one.
  const press = () => group.leave();
  surface.addEventListener("pointermove", move);
  surface.addEventListener("pointerleave", leave);
  surface.addEventListener("pointerdown", press);
  return () => {
    surface.removeEventListener("pointermove", move);
    surface.removeEventListener("pointerleave", leave);
    surface.removeEventListener("pointerdown", press);
    group.members.delete(member);
    group.leave();
  };
}

/** A viewport's mapping: the group's transform, else the fit of its image into it. */
export function viewMapping(t: ViewTransform | null, view: Size, image: Size): ViewTransform {
  return t ?? fitTransform(view, image);
}

// ---- exact pixels -------------------------------------------------------------------------

export interface Pixels { w: number; h: number; rgba: Uint8Array; alpha: boolean }

let gl: WebGLRenderingContext | null | undefined;

/** RGBA exactly as decoded: WebGL, unpremultiplied, no colour conversion; null when unavailable. */
function readExact(img: HTMLImageElement, w: number, h: number): Uint8Array | null {
  if (gl === undefined) gl = document.createElement("canvas").getContext("webgl", { premultipliedAlpha: false });
  if (!gl || w > gl.getParameter(gl.MAX_TEXTURE_SIZE) || h > gl.getParameter(gl.MAX_TEXTURE_SIZE)) return null;
  const tex = gl.createTexture();
  const fb = gl.createFramebuffer();
  try {
    gl.bindTexture(gl.TEXTURE_2D, tex);
    gl.pixelStorei(gl.UNPACK_PREMULTIPLY_ALPHA_WEBGL, false);
    gl.pixelStorei(gl.UNPACK_COLORSPACE_CONVERSION_WEBGL, gl.NONE);
    gl.pixelStorei(gl.UNPACK_FLIP_Y_WEBGL, false);
    gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA, gl.RGBA, gl.UNSIGNED_BYTE, img);
    gl.bindFramebuffer(gl.FRAMEBUFFER, fb);
    gl.framebufferTexture2D(gl.FRAMEBUFFER, gl.COLOR_ATTACHMENT0, gl.TEXTURE_2D, tex, 0);
    if (gl.checkFramebufferStatus(gl.FRAMEBUFFER) !== gl.FRAMEBUFFER_COMPLETE) return null;
    const out = new Uint8Array(w * h * 4);
    // Row 0 of the framebuffer is the texture's first row, the image's top row: no flip.
    gl.readPixels(0, 0, w, h, gl.RGBA, gl.UNSIGNED_BYTE, out);
    return out;
  } finally {
    gl.bindFramebuffer(gl.FRAMEBUFFER, null);
    gl.deleteFramebuffer(fb);
    gl.deleteTexture(tex);
  }
}

/** Without WebGL: a 2D canvas, exact for opaque pixels (it stores premultiplied alpha). */
async function readCanvas(img: HTMLImageElement, w: number, h: number): Promise<Uint8Array> {
  const bmp = await createImageBitmap(img, { premultiplyAlpha: "none", colorSpaceConversion: "none" });
  const c = document.createElement("canvas");
  c.width = w;
  c.height = h;
  const g = c.getContext("2d", { willReadFrequently: true });
  if (!g) throw new Error("no 2D canvas");
  g.drawImage(bmp, 0, 0);
  bmp.close();
  return new Uint8Array(g.getImageData(0, 0, w, h).data.buffer);
}

const decoded = new WeakMap<HTMLImageElement, Promise<Pixels>>();

/** The image's decoded RGBA (once per image element; the image must have loaded). */
export function pixelsOf(img: HTMLImageElement): Promise<Pixels> {
  let p = decoded.get(img);
  if (!p) {
    p = img.decode().then(async () => {
      const w = img.naturalWidth;
      const h = img.naturalHeight;
      const rgba = readExact(img, w, h) ?? await readCanvas(img, w, h);
      let alpha = false;
      for (let i = 3; i < rgba.length; i += 4) if (rgba[i] !== 255) { alpha = true; break; }
      return { w, h, rgba, alpha };
    });
    decoded.set(img, p);
  }
  return p;
}

/** "RGB 255 0 0" (or RGBA when the image has any transparency) of pixel (x, y). */
export function rgbText(px: Pixels, x: number, y: number): string {
  const i = (y * px.w + x) * 4;
  const c = px.rgba;
  return px.alpha ? `RGBA ${c[i]} ${c[i + 1]} ${c[i + 2]} ${c[i + 3]}` : `RGB ${c[i]} ${c[i + 1]} ${c[i + 2]}`;
}
