// The Compare view: 2 to 8 pinned cells of any runs, steps and tags, above the cards. Side by side
// mounts each item's own viewer (so zoom, pan and the probe of its view group apply); wipe, onion
// skin, flicker and difference put A over B on one stage; class changes compare two mask layers.
// Everything it shows comes from the link (pins and `cv`), so a shared link reopens it as it was.
import type { MediaApi } from "../api";
import type { ItemMeta, ItemRef } from "../api-types";
import type { CellKey } from "../state/cells";
import type { Store } from "../state/store";
import { COLORBAR_CSS, COLORMAPS, COLORMAP_LABELS, colorBar, colormapLut, isColormap, paintValues } from "../viewers/colormap";
import type { CompareMode, CompareSettings } from "../viewers/compare-modes";
import {
  COMPARE_MODES, FLICKER_MS, MODE_LABELS, containSize, countAtLeast, diffMagnitude, diffWindow, pickAB, remapMasks, wipeAt, wipeClip,
} from "../viewers/compare-modes";
import { setIcon } from "../viewers/icons";
import { classChanges, defaultMaskPair, pairLabel, type MaskSide } from "../viewers/mask-diff";
import { loadViewer } from "../viewers/registry";
import { classColor, classColorMap, mergeLabels } from "../viewers/segmentation/colors";
import { paintDifference } from "../viewers/segmentation/compose";
import { differenceMask } from "../viewers/segmentation/metrics";
import type { ViewerInstance, ViewerSettings } from "../viewers/types";
import { ensureStyle } from "../viewers/viewer-dom";
import {
  VIEW_CSS, attachGestures, cssTransform, fitTransform, groupTransform, joinGroup, toImage, zoomTools, type Size, type ViewTransform,
} from "../viewers/view-transform";
import { errorText } from "./data";
import { h } from "./dom";
import { pinLabel } from "./pin-menu";
import { unpinCell } from "./pins";

/** Space flips A and B (helper D's key handler dispatches it on `window`). */
export const COMPARE_FLIP_EVENT = "mp-compare-flip";

export interface CompareEnv {
  store: Store;
  api: MediaApi;
  /** The grid-wide viewer settings, and a viewer changing one (side by side mounts viewers). */
  settings(): ViewerSettings;
  setSettings(patch: ViewerSettings): void;
  runColor(run: string): string;
}

type Loaded = { ref: ItemRef; meta: ItemMeta } | { error: string };

/** A picture the stage modes can draw: an image, or a video's current frame. */
type Source = HTMLImageElement | HTMLVideoElement;

/** What each stage mode shows, beside the picture. */
const MODE_HINTS: Record<CompareMode, string> = {
  side: "",
  wipe: "Drag across the picture: A shows left of the divider, B right of it.",
  onion: "A over B at this opacity: 0 % shows B only, 100 % A only.",
  diff: "Per pixel |A−B|, the largest of |ΔR|, |ΔG| and |ΔB| (0–255), as a heat image. Pixels under the threshold are black.",
  flicker: "A and B take turns in one place, on the interval or with Space: differences jump out.",
  classes: "",
};

const CHANGE_RGB: [number, number, number] = [255, 0, 255];

const CSS = `
.cv{background:var(--mp-surface);border:1px solid var(--mp-border);border-radius:4px;margin:12px 0 0;box-sizing:border-box}
.cv[hidden]{display:none}
.cv-head{display:flex;flex-wrap:wrap;align-items:center;gap:6px 10px;padding:6px 8px 6px 12px;border-bottom:1px solid var(--mp-border)}
.cv-title{font-weight:500}
.cv-modes{display:inline-flex;border:1px solid var(--mp-border);border-radius:4px;overflow:hidden}
.cv-modes button{border:0;border-right:1px solid var(--mp-border);background:var(--mp-surface);color:var(--mp-muted);padding:3px 9px;cursor:pointer;font:inherit}
.cv-modes button:last-child{border-right:0}
.cv-modes button:disabled{color:var(--mp-faint);cursor:default}
.cv-modes button[aria-pressed=true]{background:var(--mp-hover);color:var(--mp-accent);font-weight:500}
.cv-modes button:disabled{color:var(--mp-faint);cursor:default}
.cv-opts{display:flex;flex-direction:column;align-items:flex-start;gap:6px}
.cv-opts-line{display:flex;gap:6px}
.cv-opts input[type=range]{width:140px}
.cv-spacer{flex:1}
.cv-pins{display:flex;flex-wrap:wrap;gap:6px;padding:6px 12px}
.cv-pin{display:inline-flex;align-items:center;gap:4px;border:1px solid var(--mp-border);border-radius:14px;padding:1px 4px 1px 8px;font-size:12px;max-width:360px;background:var(--mp-surface)}
.cv-pin.cv-is-a{border-color:#1e88e5}.cv-pin.cv-is-b{border-color:#e53935}
.cv-pin .cv-dot{width:8px;height:8px;border-radius:50%;flex:none}
.cv-pin .cv-pin-text{overflow:hidden;text-overflow:ellipsis;white-space:nowrap;min-width:0}
.cv-pin button{border:0;background:none;cursor:pointer;color:var(--mp-muted);padding:0 3px;border-radius:3px;font:inherit;line-height:18px}
.cv-pin button:hover{background:var(--mp-hover);color:var(--mp-text)}
.cv-pin button:disabled{visibility:hidden}
.cv-role{font-weight:600;font-size:11px;min-width:16px}
.cv-role[aria-pressed=true][data-role=a]{background:#1e88e5!important;color:#fff!important}
.cv-role[aria-pressed=true][data-role=b]{background:#e53935!important;color:#fff!important}
.cv-body{padding:8px 12px 12px}
.cv-hint{color:var(--mp-muted);padding:12px 0}
.cv-tiles{display:grid;gap:8px}
.cv-tile{position:relative;display:flex;flex-direction:column;border:1px solid var(--mp-border);border-radius:3px;overflow:hidden;background:#fafafa}
.cv-tile-head{display:flex;align-items:center;gap:6px;font-size:11px;padding:2px 6px;border-bottom:1px solid var(--mp-border);background:var(--mp-surface);min-width:0}
.cv-tile-name{overflow:hidden;text-overflow:ellipsis;white-space:nowrap;min-width:0;flex:1}
.cv-tile-body{position:relative;flex:1;min-height:0;display:flex;overflow:hidden}
.cv-tile-body>.cv-content{flex:1;min-width:0;min-height:0;display:flex;position:relative}
.cv-badge{font-weight:600;font-size:10px;color:#fff;border-radius:3px;padding:0 4px;flex:none}
.cv-badge.a{background:#1e88e5}.cv-badge.b{background:#e53935}
.cv-main{display:flex;gap:16px;align-items:flex-start}
.cv-stagebox{flex:1;min-width:0;display:flex;justify-content:center;align-items:center;height:min(calc(100vh - 300px),760px);min-height:240px}
.cv-side{flex:none;width:280px;display:flex;flex-direction:column;gap:8px;font-size:12px}
.cv-about{display:flex;gap:6px;align-items:baseline;overflow-wrap:anywhere}
.cv-note{color:var(--mp-muted)}
.cv-stage{position:relative;background:#000;overflow:hidden;touch-action:none;user-select:none}
.cv-layers{position:absolute;left:0;top:0;transform-origin:0 0}
.cv-layers>img,.cv-layers>video,.cv-layers>canvas{position:absolute;left:0;top:0;width:100%;height:100%;display:block;object-fit:fill}
.cv-stage.px .cv-layers>img,.cv-stage.px .cv-layers>video,.cv-layers>canvas{image-rendering:pixelated}
.cv-stage[data-mode=wipe]{cursor:ew-resize}
.cv-stage[data-showing=b] .cv-a{visibility:hidden}
.cv-divider{position:absolute;top:0;bottom:0;width:0;border-left:2px solid #fff;box-shadow:0 0 0 1px rgba(0,0,0,.5);margin-left:-1px;cursor:ew-resize}
.cv-divider:focus{outline:none}
.cv-divider:focus-visible>span{outline:2px solid var(--mp-accent)}
.cv-divider::before{content:"";position:absolute;top:0;bottom:0;left:-9px;width:16px}
.cv-divider>span{position:absolute;top:50%;left:-12px;width:22px;height:22px;margin-top:-11px;border-radius:50%;background:#fff;box-shadow:0 1px 4px rgba(0,0,0,.5);display:flex;align-items:center;justify-content:center;font-size:12px;color:#424242}
.cv-tag{position:absolute;top:6px;font-size:11px;padding:1px 6px;border-radius:3px;color:#fff;pointer-events:none;max-width:45%;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.cv-tag.a{left:6px;background:rgba(30,136,229,.85)}.cv-tag.b{right:6px;background:rgba(229,57,53,.85)}
.cv-stage[data-mode=flicker][data-showing=a]>.cv-tag.b,.cv-stage[data-mode=flicker][data-showing=b]>.cv-tag.a{display:none}
.cv-readout{display:flex;flex-direction:column;gap:6px;font-size:12px;color:var(--mp-muted);font-variant-numeric:tabular-nums}
.cv-readout b{color:var(--mp-text);font-weight:500}
.cv-readout.cv-3d{flex-direction:row;flex-wrap:wrap;gap:4px 16px;padding:0 0 8px}
.cv-readout .cm-bar{width:100%}
.cv-media{display:flex;align-items:center;gap:8px}
.cv-media input[type=range]{flex:1;min-width:0}
.cv-changes{border-collapse:collapse;font-size:12px;margin-top:6px}
.cv-changes td,.cv-changes th{padding:2px 10px 2px 0;text-align:left;font-variant-numeric:tabular-nums}
.cv-changes th{color:var(--mp-muted);font-weight:500}
.cv-sw{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:4px;vertical-align:-1px;border:1px solid rgba(0,0,0,.2)}
.cv-masksel{display:grid;grid-template-columns:auto 1fr;gap:4px 6px;align-items:center}
.mp-dark .cv-tile{background:#1c1c1c}
.cv-stage .vt-zoom{z-index:3}
${COLORBAR_CSS}
${VIEW_CSS}
`;

function keyOf(k: CellKey): string {
  return JSON.stringify([k.run, k.tag, k.step, k.index]);
}

/** The pictures the stage modes can show: images (not scalar ones) and videos. */
/** The picture modes compare the pictures alone: say where their masks and boxes are compared. */
function overlaysNote(a: ItemMeta, b: ItemMeta): HTMLElement | null {
  const has = (m: ItemMeta) => m.masks.length > 0 || m.boxes.length > 0;
  if (!has(a) && !has(b)) return null;
  return h("div", { class: "cv-note", "data-note": "overlays", text: "These modes compare the pictures only: their masks and boxes show side by side, and class changes compares the masks." });
}

function pictureOf(meta: ItemMeta): boolean {
  return (meta.kind === "image" && !meta.values) || meta.kind === "video";
}

async function loadSource(url: string, meta: ItemMeta, signal: AbortSignal): Promise<Source> {
  if (meta.kind === "video" && meta.format !== "gif" && meta.mime !== "image/gif") {
    const v = h("video", { class: "cv-video" });
    v.muted = true;
    v.playsInline = true;
    v.preload = "auto";
    v.loop = true;
    v.src = url;
    await new Promise<void>((resolve, reject) => {
      if (v.readyState >= 2) return resolve();
      v.addEventListener("loadeddata", () => resolve(), { once: true });
      v.addEventListener("error", () => reject(new Error("This browser cannot play the video.")), { once: true });
      signal.addEventListener("abort", () => resolve(), { once: true });
    });
    return v;
  }
  const img = new Image();
  img.decoding = "async";
  img.draggable = false;
  img.src = url;
  await img.decode().catch(() => {
    throw new Error("The image could not be decoded.");
  });
  return img;
}

function naturalSize(s: Source): [number, number] {
  return s instanceof HTMLVideoElement ? [s.videoWidth, s.videoHeight] : [s.naturalWidth, s.naturalHeight];
}

/** RGBA of a picture drawn at w×h (B is scaled to A's size). */
function pixelsOf(s: Source, w: number, h: number): Uint8ClampedArray {
  const c = document.createElement("canvas");
  c.width = w;
  c.height = h;
  const g = c.getContext("2d", { willReadFrequently: true });
  if (!g) throw new Error("no 2D canvas");
  g.drawImage(s, 0, 0, w, h);
  return g.getImageData(0, 0, w, h).data;
}

function fmtCount(n: number): string {
  return n.toLocaleString("en-US");
}

export class CompareView {
  readonly el: HTMLElement;
  private readonly head: HTMLElement;
  private readonly pinsEl: HTMLElement;
  private readonly body: HTMLElement;
  private readonly items = new Map<string, Promise<Loaded>>();
  private structure = "";
  private abort = new AbortController();
  private instances: ViewerInstance[] = [];
  private cleanup: (() => void)[] = [];
  private stage: HTMLElement | null = null;
  private aEl: Source | null = null;
  /** The difference of the shown frame, kept so the threshold and colours redraw without it. */
  private diff: { values: Uint8Array; max: number; canvas: HTMLCanvasElement; readout: HTMLElement; draw(): void } | null = null;
  private flickerTimer = 0;
  /** The mode's controls (in the stage's side panel), and how they follow the settings. */
  private readonly optsEl = h("div");
  private optsKey = "";
  private optSync: (() => void)[] = [];
  /** The stage's size on screen, its pictures' size, and the view group's zoom (null: fit). */
  private view: Size = { w: 1, h: 1 };
  private stageImg: Size = { w: 1, h: 1 };
  private zoom: ViewTransform | null = null;
  private showing: "a" | "b" = "a";

  constructor(private readonly env: CompareEnv) {
    ensureStyle("tbmp-compare", CSS);
    this.head = h("div", { class: "cv-head" });
    this.pinsEl = h("div", { class: "cv-pins", role: "list", "aria-label": "Pinned cells" });
    this.body = h("div", { class: "cv-body" });
    // Its own view group: zoom, pan and the probe of its viewers go together, apart from the cards'.
    this.el = h("section", { class: "cv mp-compare", "data-view-group": "compare", "aria-label": "Compare" }, this.head, this.pinsEl, this.body);
    window.addEventListener(COMPARE_FLIP_EVENT, this.flip);
    this.update();
  }

  private get s(): CompareSettings {
    return this.env.store.state.compareView;
  }

  private get pins(): readonly CellKey[] {
    return this.env.store.state.pins;
  }

  private set(patch: Partial<CompareSettings>, history: "push" | "replace" = "push"): void {
    this.env.store.set({ compareView: { ...this.s, ...patch } }, history);
  }

  /** The pins or the compare settings changed: rebuild what depends on them, restyle the rest. */
  update(): void {
    const s = this.s;
    const pins = this.pins;
    this.el.hidden = pins.length === 0;
    const [a, b] = pickAB(pins.length, s.a, s.b);
    this.el.classList.toggle("cv-open", s.open);
    this.drawHead(a, b);
    this.drawPins(a, b);
    this.drawOptions();
    const structure = JSON.stringify([s.open, s.mode, pins, a, b, s.masks]);
    if (structure !== this.structure) {
      this.structure = structure;
      void this.build(a, b);
    } else this.restyle();
  }

  /** Grid-wide viewer settings changed: the side-by-side viewers follow. */
  updateSettings(settings: ViewerSettings): void {
    for (const i of this.instances) i.update?.(settings);
  }

  private item(k: CellKey): Promise<Loaded> {
    const key = keyOf(k);
    let hit = this.items.get(key);
    if (!hit) {
      hit = this.env.api.items(k.run, k.tag, k.step).then((res) => {
        const meta = res.items.find((m) => m.index === k.index);
        return meta ? { ref: { run: k.run, tag: k.tag, step: k.step, index: k.index }, meta } : { error: `No item #${k.index} at step ${k.step}` };
      }, (err: unknown) => ({ error: `Could not load: ${errorText(err)}` }));
      this.items.set(key, hit);
      // A failed look-up is asked again next time (the run may still be indexing).
      void hit.then((r) => { if ("error" in r) this.items.delete(key); });
    }
    return hit;
  }

  // ---- header and pin list ----------------------------------------------------------------

  private drawHead(a: number, b: number): void {
    const s = this.s;
    const n = this.pins.length;
    const title = h("span", { class: "cv-title", text: "Compare" });
    const count = h("span", { class: "mp-field-label", text: `${n} pinned` });
    const parts: (HTMLElement | null)[] = [title, count];
    if (s.open) {
      const modes = h("div", { class: "cv-modes", role: "group", "aria-label": "Compare mode" });
      for (const m of COMPARE_MODES) {
        const b = h("button", { type: "button", "data-mode": m, "aria-pressed": String(s.mode === m), text: MODE_LABELS[m] });
        b.addEventListener("click", () => this.set({ mode: m }));
        modes.append(b);
      }
      parts.push(modes);
      if (n >= 2) void this.markModes(modes, a, b);
    }
    parts.push(h("span", { class: "cv-spacer" }));
    if (s.open && n >= 2) {
      const swap = h("button", { class: "mp-icon-btn", type: "button", title: "Swap A and B (Space)", "aria-label": "Swap A and B", "data-control": "swap" });
      setIcon(swap, "swap", 16);
      swap.addEventListener("click", () => this.swap());
      parts.push(swap);
    }
    const clear = h("button", { class: "mp-link-btn", type: "button", text: "Clear", title: "Unpin every cell", "data-control": "clear-pins" });
    clear.addEventListener("click", () => this.env.store.set({ pins: [], compareView: { ...this.s, open: false, a: 0, b: 1 } }));
    const toggle = h("button", {
      class: s.open ? "mp-icon-btn" : "mp-chip on", type: "button", "data-control": s.open ? "close-compare" : "open-compare",
      title: s.open ? "Close the Compare view (the pins stay)" : "Open the Compare view", "aria-label": s.open ? "Close Compare" : "Open Compare",
    });
    if (s.open) setIcon(toggle, "close", 16);
    else toggle.textContent = "Open Compare";
    toggle.addEventListener("click", () => this.set({ open: !s.open }));
    parts.push(clear, toggle);
    this.head.replaceChildren(...parts.filter((p): p is HTMLElement => p !== null));
  }

  /** Greys out the modes A and B cannot be shown in (a point cloud has no picture to wipe). */
  private async markModes(modes: HTMLElement, a: number, b: number): Promise<void> {
    const [la, lb] = await Promise.all([this.item(this.pins[a]), this.item(this.pins[b])]);
    if (!modes.isConnected || "error" in la || "error" in lb) return;
    const pictures = pictureOf(la.meta) && pictureOf(lb.meta);
    const masks = la.meta.masks.length > 0 || lb.meta.masks.length > 0;
    for (const btn of modes.querySelectorAll<HTMLButtonElement>("button[data-mode]")) {
      const m = btn.dataset.mode as CompareMode;
      const why = m === "side" ? "" : m === "classes" ? (masks ? "" : "A and B have no masks")
        : pictures ? "" : "A and B are not both images or videos";
      btn.disabled = why !== "" && btn.getAttribute("aria-pressed") !== "true";
      btn.title = why ? `${MODE_LABELS[m]}: ${why} (side by side shows any kind)` : "";
    }
  }

  /**
   * The mode's controls beside the stage. Rebuilt only when their shape changes: a slider being
   * dragged stays, and takes values from elsewhere (Back, a link) when not in the user's hand.
   */
  private drawOptions(): void {
    const s = this.s;
    const key = JSON.stringify([s.mode, s.interval > 0, s.colormap, s.scale]);
    if (key === this.optsKey) {
      for (const f of this.optSync) f();
      return;
    }
    this.optsKey = key;
    this.optSync = [];
    const box = this.modeOptions(s.mode);
    this.optsEl.replaceChildren(...(box ? [box] : []));
  }

  private modeOptions(mode: CompareMode): HTMLElement | null {
    const s = this.s;
    const box = h("div", { class: "cv-opts" });
    const range = (label: string, control: string, min: number, max: number, step: number, get: () => number, text: (v: number) => string, on: (v: number) => void) => {
      const r = h("input", { type: "range", min, max, step, value: get(), "aria-label": label, "data-control": control });
      const out = h("span", { class: "mp-field-label", text: text(get()) });
      r.addEventListener("input", () => on(Number(r.value)));
      r.addEventListener("change", () => on(Number(r.value)));
      this.optSync.push(() => {
        if (document.activeElement !== r) r.value = String(get());
        out.textContent = text(get());
      });
      return h("label", { class: "mp-field" }, h("span", { class: "mp-field-label", text: label }), r, out);
    };
    if (mode === "onion") {
      box.append(range("A opacity", "opacity", 0, 1, 0.01, () => this.s.opacity, (v) => `${Math.round(v * 100)} %`, (v) => this.set({ opacity: v }, "replace")));
    } else if (mode === "diff") {
      box.append(range("show ≥", "threshold", 0, 255, 1, () => this.s.threshold, String, (v) => this.set({ threshold: v }, "replace")));
      const cmap = h("select", { class: "mp-select", "aria-label": "Colormap", "data-control": "colormap" });
      for (const c of COLORMAPS) cmap.append(h("option", { value: c, text: COLORMAP_LABELS[c] }));
      cmap.value = isColormap(s.colormap) ? s.colormap : "magma";
      cmap.addEventListener("change", () => this.set({ colormap: cmap.value }));
      const scale = h("select", { class: "mp-select", "aria-label": "Scale", "data-control": "diff-scale", title: "Colour scale of |A−B|" });
      scale.append(h("option", { value: "max", text: "0 – largest" }), h("option", { value: "255", text: "0 – 255" }));
      scale.value = s.scale;
      scale.addEventListener("change", () => this.set({ scale: scale.value === "255" ? "255" : "max" }));
      box.append(h("div", { class: "cv-opts-line" }, cmap, scale));
    } else if (mode === "flicker") {
      const on = s.interval > 0;
      const auto = h("button", { type: "button", class: `mp-chip${on ? " on" : ""}`, "aria-pressed": String(on), "data-control": "flicker-auto", text: on ? "alternating" : "paused", title: "Alternate A and B on an interval (Space flips by hand)" });
      auto.addEventListener("click", () => this.set({ interval: on ? 0 : 500 }));
      box.append(auto);
      if (on) box.append(range("every", "interval", FLICKER_MS.min, FLICKER_MS.max, 50, () => this.s.interval, (v) => `${v} ms`, (v) => this.set({ interval: v }, "replace")));
    } else return null;
    return box;
  }

  private drawPins(a: number, b: number): void {
    const pins = this.pins;
    const items = pins.map((k, i) => {
      const dot = h("span", { class: "cv-dot" });
      dot.style.background = this.env.runColor(k.run);
      const role = (r: "a" | "b", on: boolean) => {
        const btn = h("button", { type: "button", class: "cv-role", "data-role": r, "aria-pressed": String(on), text: r.toUpperCase(), title: `Show this as ${r.toUpperCase()}`, "aria-label": `Set as ${r.toUpperCase()}` });
        btn.addEventListener("click", () => {
          if (on) return;
          const other = r === "a" ? b : a;
          // Choosing the other side's pin swaps them.
          const [na, nb] = r === "a" ? [i, other === i ? a : other] : [other === i ? b : other, i];
          this.set({ a: na, b: nb });
        });
        return btn;
      };
      const move = (d: -1 | 1) => {
        const btn = h("button", { type: "button", text: d < 0 ? "‹" : "›", title: d < 0 ? "Move left" : "Move right", "aria-label": d < 0 ? "Move left" : "Move right", "data-control": d < 0 ? "move-left" : "move-right" });
        btn.disabled = i + d < 0 || i + d >= pins.length;
        btn.addEventListener("click", () => this.move(i, d, a, b));
        return btn;
      };
      const unpin = h("button", { type: "button", text: "✕", title: "Unpin", "aria-label": "Unpin", "data-control": "unpin" });
      unpin.addEventListener("click", () => this.unpin(i, a, b));
      const chip = h("span", { class: `cv-pin${i === a ? " cv-is-a" : ""}${i === b && pins.length > 1 ? " cv-is-b" : ""}`, role: "listitem", title: pinLabel(k) },
        dot, h("span", { class: "cv-pin-text", text: pinLabel(k) }));
      if (pins.length > 1) chip.append(role("a", i === a), role("b", i === b));
      chip.append(move(-1), move(1), unpin);
      Object.assign(chip.dataset, { run: k.run, tag: k.tag, step: String(k.step), index: String(k.index) });
      return chip;
    });
    this.pinsEl.replaceChildren(...items);
  }

  /** Moves pin i one place; A and B stay on the items they were. */
  private move(i: number, d: -1 | 1, a: number, b: number): void {
    const pins = [...this.pins];
    const j = i + d;
    [pins[i], pins[j]] = [pins[j], pins[i]];
    const at = (x: number) => (x === i ? j : x === j ? i : x);
    this.env.store.set({ pins, compareView: { ...this.s, a: at(a), b: at(b), masks: remapMasks(this.s.masks, at) } });
  }

  private unpin(i: number, a: number, b: number): void {
    const k = this.pins[i];
    const after = (x: number) => (x > i ? x - 1 : x);
    const masks = remapMasks(this.s.masks, (p) => (p === i ? null : after(p)));
    this.env.store.set({ compareView: { ...this.s, a: after(a), b: after(b), masks } });
    unpinCell(this.env.store, k);
  }

  private swap(): void {
    const [a, b] = pickAB(this.pins.length, this.s.a, this.s.b);
    if (a !== b) this.set({ a: b, b: a });
  }

  /** Space: flicker shows the other side; the other modes swap A and B. */
  private readonly flip = (e: Event): void => {
    if (!this.s.open || this.pins.length < 2) return;
    e.preventDefault(); // flipped: the key handler keeps Space from scrolling the page
    if (this.s.mode === "flicker") {
      this.set({ interval: 0 });
      this.show(this.showing === "a" ? "b" : "a");
    } else this.swap();
  };

  // ---- the body -------------------------------------------------------------------------

  private teardown(): void {
    this.abort.abort();
    this.abort = new AbortController();
    for (const i of this.instances) i.destroy();
    this.instances = [];
    for (const f of this.cleanup) f();
    this.cleanup = [];
    window.clearInterval(this.flickerTimer);
    this.stage = null;
    this.aEl = null;
    this.diff = null;
  }

  destroy(): void {
    this.teardown();
    window.removeEventListener(COMPARE_FLIP_EVENT, this.flip);
    this.el.remove();
  }

  private async build(a: number, b: number): Promise<void> {
    this.teardown();
    const signal = this.abort.signal;
    const s = this.s;
    const pins = this.pins;
    this.body.hidden = !s.open;
    if (!s.open) return this.body.replaceChildren();
    if (pins.length < 2) {
      this.body.replaceChildren(h("div", { class: "cv-hint", text: "Pin at least two cells to compare them: every cell has a pin button in its top-left corner (it also compares a cell with the previous step or the next run at once)." }));
      if (!pins.length || s.mode !== "side") return;
    }
    if (s.mode === "side" || pins.length < 2) return this.buildSide(signal);
    const [la, lb] = await Promise.all([this.item(pins[a]), this.item(pins[b])]);
    if (signal.aborted) return;
    if ("error" in la || "error" in lb) {
      this.body.replaceChildren(h("div", { class: "cv-hint", text: `${"error" in la ? `A: ${la.error}` : ""} ${"error" in lb ? `B: ${lb.error}` : ""}` }));
      return;
    }
    if (s.mode === "classes") return this.buildClasses(la, lb, a, b, signal);
    if (!pictureOf(la.meta) || !pictureOf(lb.meta)) {
      const which = !pictureOf(la.meta) ? la : lb;
      this.body.replaceChildren(h("div", { class: "cv-hint", text: `${MODE_LABELS[s.mode]} compares pictures (images and videos); ${which.ref.tag} holds ${which.meta.values ? "scalar values" : which.meta.kind} items. Side by side shows any kind.` }));
      return;
    }
    await this.buildStage(la, lb, signal);
  }

  /** Every pin in its own viewer, in a grid. */
  private async buildSide(signal: AbortSignal): Promise<void> {
    const pins = this.pins;
    const [a, b] = pickAB(pins.length, this.s.a, this.s.b);
    const cols = pins.length <= 2 ? pins.length : pins.length <= 4 ? 2 : pins.length <= 6 ? 3 : 4;
    const grid = h("div", { class: "cv-tiles" });
    grid.style.gridTemplateColumns = `repeat(${cols}, minmax(0, 1fr))`;
    const rows = Math.ceil(pins.length / cols);
    const height = Math.max(200, Math.min(560, Math.floor((window.innerHeight * 0.7) / rows)));
    const tiles = pins.map((k, i) => {
      const body = h("div", { class: "cv-tile-body" });
      const badge = pins.length > 1 && (i === a || i === b) ? h("span", { class: `cv-badge ${i === a ? "a" : "b"}`, text: i === a ? "A" : "B" }) : null;
      const tile = h("div", { class: "cv-tile mp-compare-cell", "data-state": "loading" },
        h("div", { class: "cv-tile-head" }, badge, h("span", { class: "cv-tile-name", text: pinLabel(k), title: pinLabel(k) })), body);
      tile.style.height = `${height}px`;
      Object.assign(tile.dataset, { run: k.run, tag: k.tag, step: String(k.step), index: String(k.index) });
      return { k, tile, body };
    });
    this.body.replaceChildren(grid);
    grid.append(...tiles.map((t) => t.tile));
    if (pins.length === 2) void this.readout3D(pins[a], pins[b], signal);
    await Promise.all(tiles.map(async ({ k, tile, body }) => {
      const got = await this.item(k);
      if (signal.aborted) return;
      if ("error" in got) {
        tile.dataset.state = "error";
        body.append(h("div", { class: "cv-hint", text: got.error }));
        return;
      }
      try {
        const viewer = await loadViewer(got.meta);
        const content = h("div", { class: "cv-content mp-cell-content" });
        body.append(content);
        const inst = await viewer.mount(content, got.ref, got.meta, {
          source: this.env.api, settings: this.env.settings(), setSettings: (p) => this.env.setSettings(p), signal,
        });
        if (signal.aborted) return inst.destroy();
        this.instances.push(inst);
        tile.dataset.state = "ready";
        tile.dataset.kind = got.meta.kind;
      } catch (err) {
        if (signal.aborted) return;
        tile.dataset.state = "error";
        body.append(h("div", { class: "cv-hint", text: `Could not show: ${errorText(err)}` }));
      }
    }));
  }

  /**
   * Two point clouds: the points whose class changed from A to B, with counts per class pair;
   * two molecules: their RMSD after superposition (helper C's changedPoints and Kabsch).
   */
  private async readout3D(ka: CellKey, kb: CellKey, signal: AbortSignal): Promise<void> {
    const [la, lb] = await Promise.all([this.item(ka), this.item(kb)]);
    if (signal.aborted || "error" in la || "error" in lb || la.meta.kind !== lb.meta.kind) return;
    const kind = la.meta.kind;
    if (kind !== "pointcloud" && kind !== "molecule") return;
    const out = h("div", { class: "cv-readout cv-3d", role: "status", "data-kind": kind });
    this.body.prepend(out);
    try {
      if (kind === "pointcloud") {
        const [{ changedPoints, diffSummary }, { labelArray }] = await Promise.all([import("../viewers/pointcloud-compare"), import("../viewers/pointcloud-data")]);
        const pa = la.meta.point_cloud;
        const pb = lb.meta.point_cloud;
        if (!pa?.label_bytes || !pb?.label_bytes) {
          out.textContent = "Changed points compare classes: both clouds need per-point classes (N×4 xyz+class).";
          return;
        }
        const [ba, bb] = await Promise.all([this.env.api.fetchPoints(la.ref, "labels", signal), this.env.api.fetchPoints(lb.ref, "labels", signal)]);
        if (signal.aborted) return;
        const d = changedPoints({ labels: labelArray(ba, pa.label_bytes), classLabels: pa.class_labels }, { labels: labelArray(bb, pb.label_bytes), classLabels: pb.class_labels });
        out.append(h("b", { text: `A → B: ${diffSummary(d)}` }));
        if (d.ok) {
          out.dataset.changed = String(d.changed);
          for (const p of d.pairs.slice(0, 8)) out.append(h("span", { text: `${p.fromName} → ${p.toName}: ${fmtCount(p.count)}` }));
        }
      } else {
        const { textRmsd } = await import("../viewers/molecule");
        const text = async (ref: ItemRef) => new TextDecoder().decode(await this.env.api.fetchData(ref, signal));
        const [ta, tb] = await Promise.all([text(la.ref), text(lb.ref)]);
        if (signal.aborted) return;
        const { rmsdText } = await import("../viewers/kabsch");
        const r = textRmsd({ text: ta, format: la.meta.format }, { text: tb, format: lb.meta.format });
        if (r.ok) out.dataset.rmsd = String(r.rmsd);
        out.append(h("b", { text: `A vs B: ${rmsdText(r)}` }));
      }
    } catch (err) {
      if (!signal.aborted) out.textContent = `Could not compare: ${errorText(err)}`;
    }
  }

  /** A over B on one stage: wipe, onion skin, flicker and difference. */
  private async buildStage(la: { ref: ItemRef; meta: ItemMeta }, lb: { ref: ItemRef; meta: ItemMeta }, signal: AbortSignal): Promise<void> {
    const box = h("div", { class: "cv-stagebox" });
    this.body.replaceChildren(box, h("div", { class: "cv-hint", text: "Loading…" }));
    let srcA: Source;
    let srcB: Source;
    try {
      [srcA, srcB] = await Promise.all([loadSource(this.env.api.dataUrl(la.ref), la.meta, signal), loadSource(this.env.api.dataUrl(lb.ref), lb.meta, signal)]);
    } catch (err) {
      if (!signal.aborted) this.body.replaceChildren(h("div", { class: "cv-hint", text: `Could not load: ${errorText(err)}` }));
      return;
    }
    if (signal.aborted) return;
    const [w, hgt] = naturalSize(srcA);
    const [wb, hb] = naturalSize(srcB);
    srcA.classList.add("cv-a");
    srcB.classList.add("cv-b");
    const stage = h("div", { class: "cv-stage", "data-mode": this.s.mode, "data-showing": "a" });
    Object.assign(stage.dataset, { width: String(w), height: String(hgt) });
    const tagA = h("span", { class: "cv-tag a", text: `A · ${pinLabel(this.key(la.ref))}` });
    const tagB = h("span", { class: "cv-tag b", text: `B · ${pinLabel(this.key(lb.ref))}` });
    const layers = h("div", { class: "cv-layers" });
    layers.style.width = `${w}px`;
    layers.style.height = `${hgt}px`;
    layers.append(srcB, srcA);
    stage.append(layers);
    this.stage = stage;
    this.aEl = srcA;
    const readout = h("div", { class: "cv-readout", role: "status" });
    const about = (r: "A" | "B", ref: ItemRef, W: number, H: number, note = "") =>
      h("div", { class: `cv-about` }, h("span", { class: `cv-badge ${r.toLowerCase()}`, text: r }), ` ${pinLabel(this.key(ref))} · ${W}×${H}${note}`);
    const side = h("div", { class: "cv-side" },
      about("A", la.ref, w, hgt), about("B", lb.ref, wb, hb, wb !== w || hb !== hgt ? ", drawn at A's size" : ""),
      this.optsEl, h("div", { class: "cv-note", text: MODE_HINTS[this.s.mode] }), overlaysNote(la.meta, lb.meta), readout);
    if (this.s.mode === "wipe") {
      // A control to the view's gestures: zoomed in, a drag elsewhere pans, a drag of it wipes.
      const divider = h("div", {
        class: "cv-divider", "data-control": "wipe-divider", title: "Drag: A left of it, B right (←/→ when focused)",
        role: "slider", tabindex: 0, "aria-label": "Wipe divider", "aria-valuemin": 0, "aria-valuemax": 100,
      }, h("span", { text: "⇔" }));
      stage.append(divider);
      this.wireWipe(stage, divider);
    }
    if (this.s.mode === "diff") {
      const canvas = h("canvas", { class: "cv-diff" });
      canvas.width = w;
      canvas.height = hgt;
      layers.append(canvas);
      const values = new Uint8Array(w * hgt);
      const draw = () => this.paintDiff();
      this.diff = { values, max: 0, canvas, readout, draw };
      const compute = () => {
        if (!this.diff) return;
        this.diff.max = diffMagnitude(pixelsOf(srcA, w, hgt), pixelsOf(srcB, w, hgt), values);
        draw();
      };
      compute();
      // A video's difference follows the frame shown.
      for (const v of [srcA, srcB]) if (v instanceof HTMLVideoElement) this.on(v, "seeked", compute);
      if ([srcA, srcB].some((v) => v instanceof HTMLVideoElement)) this.everyFrame(compute);
    }
    stage.append(tagA, tagB);
    box.append(stage);
    const videos = [srcA, srcB].filter((v): v is HTMLVideoElement => v instanceof HTMLVideoElement);
    if (videos.length) side.insertBefore(this.mediaBar(videos, la.meta.fps || lb.meta.fps || 25), readout);
    this.body.replaceChildren(h("div", { class: "cv-main" }, box, side));
    this.zoomable(box, stage, layers, { w, h: hgt });
    this.restyle();
    if (this.s.mode === "flicker") this.show("a");
    stage.dataset.ready = "1";
  }

  private key(ref: ItemRef): CellKey {
    return { run: ref.run, tag: ref.tag, step: Number(ref.step), index: ref.index };
  }

  private on<K extends keyof HTMLElementEventMap>(el: HTMLElement | Window, type: K, fn: (e: HTMLElementEventMap[K]) => void): void {
    el.addEventListener(type, fn as EventListener);
    this.cleanup.push(() => el.removeEventListener(type, fn as EventListener));
  }

  /** While any video plays, `fn` after each painted frame. */
  private everyFrame(fn: () => void): void {
    let id = 0;
    const tick = () => {
      fn();
      id = requestAnimationFrame(tick);
    };
    const videos = () => [...(this.stage?.querySelectorAll("video") ?? [])];
    const playing = () => {
      cancelAnimationFrame(id);
      if (videos().some((v) => !v.paused)) id = requestAnimationFrame(tick);
    };
    for (const v of videos()) {
      this.on(v, "play", playing);
      this.on(v, "pause", playing);
    }
    this.cleanup.push(() => cancelAnimationFrame(id));
  }

  /** One play button and one frame slider for both videos: they show the same frame. */
  private mediaBar(videos: HTMLVideoElement[], fps: number): HTMLElement {
    const play = h("button", { class: "mp-icon-btn", type: "button", "aria-label": "Play both", "data-control": "play-both" });
    setIcon(play, "play", 16);
    const frames = () => Math.max(1, ...videos.map((v) => Math.round((v.duration || 0) * fps)));
    const scrub = h("input", { type: "range", min: 0, max: frames() - 1, step: 1, value: 0, "aria-label": "Frame", "data-control": "frame" });
    const label = h("span", { class: "mp-field-label" });
    const sync = () => {
      const f = Math.min(frames() - 1, Math.floor(videos[0].currentTime * fps + 1e-3));
      scrub.max = String(frames() - 1);
      scrub.value = String(f);
      label.textContent = `frame ${f + 1}/${frames()}`;
      setIcon(play, videos[0].paused ? "play" : "pause", 16);
    };
    play.addEventListener("click", () => {
      if (videos[0].paused) {
        const t = videos[0].currentTime;
        for (const v of videos) {
          v.currentTime = t;
          void v.play();
        }
      } else for (const v of videos) v.pause();
    });
    scrub.addEventListener("input", () => {
      for (const v of videos) {
        v.pause();
        v.currentTime = (Number(scrub.value) + 0.5) / fps;
      }
      sync();
    });
    this.on(videos[0], "timeupdate", sync);
    this.on(videos[0], "play", sync);
    this.on(videos[0], "pause", sync);
    sync();
    return h("div", { class: "cv-media" }, play, scrub, label);
  }

  private wireWipe(stage: HTMLElement, divider: HTMLElement): void {
    let dragging = false;
    const at = (e: PointerEvent) => {
      const r = stage.getBoundingClientRect();
      return wipeAt(e.clientX, r.left, r.width);
    };
    stage.addEventListener("pointerdown", (e) => {
      const on = e.target instanceof Element ? e.target : null;
      // Zoomed in, a drag pans the pictures unless it takes the divider; the zoom chip's buttons are theirs.
      if (e.button !== 0 || on?.closest("button") || (this.zoom && !on?.closest(".cv-divider"))) return;
      dragging = true;
      stage.setPointerCapture(e.pointerId);
      this.placeWipe(at(e), divider);
      e.preventDefault();
    });
    stage.addEventListener("pointermove", (e) => {
      if (dragging) this.placeWipe(at(e), divider);
    });
    const end = (e: PointerEvent) => {
      if (!dragging) return;
      dragging = false;
      this.set({ wipe: at(e) }, "replace");
    };
    stage.addEventListener("pointerup", end);
    stage.addEventListener("pointercancel", end);
    // Focused, ←/→ move it (Shift: further) instead of the panel's step.
    divider.addEventListener("keydown", (e) => {
      if (e.key !== "ArrowLeft" && e.key !== "ArrowRight") return;
      e.preventDefault();
      const by = (e.shiftKey ? 0.1 : 0.02) * (e.key === "ArrowLeft" ? -1 : 1);
      this.set({ wipe: Math.min(1, Math.max(0, this.s.wipe + by)) }, "replace");
    });
  }

  /**
   * The stage at the largest size that fits its box, its pictures under the view group's zoom
   * and pan (helper B's view-transform: wheel, drag, 1:1 and fit, shared with the side-by-side
   * viewers of the Compare view).
   */
  private zoomable(box: HTMLElement, stage: HTMLElement, layers: HTMLElement, img: Size): void {
    const zoom = zoomTools(this.el, () => ({ view: this.view, img }));
    stage.append(zoom.el);
    const draw = () => {
      const t = this.zoom ?? fitTransform(this.view, img);
      layers.style.transform = cssTransform(t, this.view, window.devicePixelRatio || 1);
      stage.classList.toggle("px", t.scale * (window.devicePixelRatio || 1) > 1.001);
      zoom.show(this.zoom);
      const divider = stage.querySelector<HTMLElement>(".cv-divider");
      if (divider) this.placeWipe(Number(stage.dataset.wipe ?? this.s.wipe), divider);
    };
    const fit = () => {
      const size = containSize(img.w, img.h, box.clientWidth, box.clientHeight);
      stage.style.width = `${size.width}px`;
      stage.style.height = `${size.height}px`;
      this.view = { w: size.width, h: size.height };
      draw();
    };
    this.stageImg = img;
    this.zoom = groupTransform(this.el);
    const joined = joinGroup(this.el, { apply: (t) => { this.zoom = t; draw(); } });
    const detach = attachGestures(stage, this.el, { viewportAt: () => ({ el: stage, view: this.view, img }) });
    const ro = new ResizeObserver(fit);
    ro.observe(box);
    this.cleanup.push(() => ro.disconnect(), () => joined.leave(), detach);
    fit();
  }

  /** Only styles: the browser clips A and moves the divider (no pixel work per frame). */
  private placeWipe(f: number, divider: HTMLElement): void {
    // The divider is on the screen; A's clip is in its own (image) box, which zoom moves.
    const t = this.zoom ?? fitTransform(this.view, this.stageImg);
    const [x] = toImage(t, this.view, f * this.view.w, 0);
    if (this.aEl) this.aEl.style.clipPath = wipeClip(x / Math.max(1, this.stageImg.w));
    divider.style.left = `${f * 100}%`;
    divider.setAttribute("aria-valuenow", String(Math.round(f * 100)));
    this.stage?.setAttribute("data-wipe", f.toFixed(4));
  }

  /** The settings a mode reads on the fly (no rebuild): wipe, opacity, flicker, threshold. */
  private restyle(): void {
    const s = this.s;
    const stage = this.stage;
    if (!stage || !this.aEl) return;
    this.aEl.style.opacity = s.mode === "onion" ? String(s.opacity) : "";
    if (s.mode === "wipe") {
      const divider = stage.querySelector<HTMLElement>(".cv-divider");
      if (divider) this.placeWipe(s.wipe, divider);
    } else this.aEl.style.clipPath = "";
    if (s.mode === "diff") this.aEl.style.visibility = "hidden";
    window.clearInterval(this.flickerTimer);
    if (s.mode === "flicker" && s.interval > 0) {
      this.flickerTimer = window.setInterval(() => this.show(this.showing === "a" ? "b" : "a"), s.interval);
    }
    this.diff?.draw();
  }

  private show(side: "a" | "b"): void {
    this.showing = side;
    this.stage?.setAttribute("data-showing", side);
  }

  private paintDiff(): void {
    const d = this.diff;
    if (!d) return;
    const s = this.s;
    const cmap = isColormap(s.colormap) ? s.colormap : "magma";
    const [lo, hi] = diffWindow(s.scale, d.max);
    const key = JSON.stringify([cmap, lo, hi, s.threshold, d.max]);
    if (d.canvas.dataset.paint === key && !this.stage?.querySelector("video")) return;
    const g = d.canvas.getContext("2d");
    if (!g) return;
    const img = g.createImageData(d.canvas.width, d.canvas.height);
    paintValues(d.values, { lut: colormapLut(cmap), lo, hi, threshold: s.threshold > 0 ? s.threshold : null }, img.data);
    g.putImageData(img, 0, 0);
    const shown = s.threshold > 0 ? countAtLeast(d.values, s.threshold) : countAtLeast(d.values, 1);
    Object.assign(d.canvas.dataset, { paint: key, max: String(d.max), changed: String(shown), vmin: String(lo), vmax: String(hi) });
    const pct = ((shown / Math.max(1, d.values.length)) * 100).toFixed(2);
    d.readout.replaceChildren(
      h("span", {}, "largest |A−B| ", h("b", { text: String(d.max) })),
      h("span", {}, h("b", { text: fmtCount(shown) }), ` px ${s.threshold > 0 ? `≥ ${s.threshold}` : "differ"} (${pct} %)`),
      colorBar(cmap, lo, hi),
    );
  }

  /** Two mask layers: the pixels whose class changed, and how many per (from → to) class pair. */
  private async buildClasses(la: { ref: ItemRef; meta: ItemMeta }, lb: { ref: ItemRef; meta: ItemMeta }, a: number, b: number, signal: AbortSignal): Promise<void> {
    const sides = [{ pin: a, loaded: la }, { pin: b, loaded: lb }];
    const options = sides.flatMap((sd) => sd.loaded.meta.masks.map((m) => ({ pin: sd.pin, layer: m.name, meta: m, ref: sd.loaded.ref })));
    const find = (x: MaskSide) => options.find((o) => o.pin === x.pin && o.layer === x.layer);
    // The link's pair while both of its layers are on A or B, else the default one.
    const picked = this.s.masks?.map(([pin, layer]) => find({ pin, layer })) ?? [];
    const chosen: [MaskSide, MaskSide] | null = picked[0] && picked[1]
      ? [picked[0], picked[1]]
      : defaultMaskPair({ pin: a, masks: la.meta.masks }, { pin: b, masks: lb.meta.masks });
    if (!chosen) {
      this.body.replaceChildren(h("div", { class: "cv-hint", text: "Class changes compare mask layers: pin items with masks (two layers of one item, like prediction and ground truth, or one layer at two steps)." }));
      return;
    }
    const opt = (x: MaskSide) => find(x) ?? options[0];
    const [from, to] = [opt(chosen[0]), opt(chosen[1])];
    const select = (cur: MaskSide, which: 0 | 1) => {
      const sel = h("select", { class: "mp-select", "aria-label": which ? "to layer" : "from layer", "data-control": which ? "mask-to" : "mask-from" });
      options.forEach((o, i) => sel.append(h("option", { value: String(i), text: `${o.pin === a ? "A" : "B"} · ${o.layer}` })));
      sel.value = String(options.indexOf(opt(cur)));
      sel.addEventListener("change", () => {
        const o = options[Number(sel.value)];
        const next: [[number, string], [number, string]] = [[from.pin, from.layer], [to.pin, to.layer]];
        next[which] = [o.pin, o.layer];
        this.set({ masks: next });
      });
      return sel;
    };
    const pickers = h("div", { class: "cv-masksel" }, h("span", { class: "mp-field-label", text: "from" }), select(from, 0), h("span", { class: "mp-field-label", text: "to" }), select(to, 1));
    this.body.replaceChildren(pickers, h("div", { class: "cv-hint", text: "Loading masks…" }));
    if (from.meta.width !== to.meta.width || from.meta.height !== to.meta.height) {
      this.body.replaceChildren(pickers, h("div", { class: "cv-hint", text: `The layers differ in size (${from.meta.width}×${from.meta.height} vs ${to.meta.width}×${to.meta.height}): pick two of one size.` }));
      return;
    }
    let ids: [Uint16Array, Uint16Array];
    try {
      ids = await Promise.all([this.env.api.fetchMask(from.ref, from.layer, signal), this.env.api.fetchMask(to.ref, to.layer, signal)]);
    } catch (err) {
      if (!signal.aborted) this.body.replaceChildren(pickers, h("div", { class: "cv-hint", text: `Could not load the masks: ${errorText(err)}` }));
      return;
    }
    if (signal.aborted) return;
    const { width: w, height: hgt } = from.meta;
    const changes = classChanges(ids[0], ids[1]);
    const labels = mergeLabels([from.meta.class_labels, to.meta.class_labels]);
    const colors = classColorMap(labels, undefined);
    // The picture of the "from" item, dimmed, under the changed pixels.
    const box = h("div", { class: "cv-stagebox" });
    const stage = h("div", { class: "cv-stage", "data-mode": "classes" });
    const picture = h("img", { alt: "", draggable: "false" });
    picture.src = this.env.api.dataUrl(from.ref);
    picture.style.opacity = "0.4";
    const canvas = h("canvas", { class: "cv-changed" });
    canvas.width = w;
    canvas.height = hgt;
    const g = canvas.getContext("2d");
    if (g) {
      const img = g.createImageData(w, hgt);
      paintDifference(differenceMask(ids[0], ids[1]), CHANGE_RGB, img.data);
      g.putImageData(img, 0, 0);
    }
    const layers = h("div", { class: "cv-layers" });
    layers.style.width = `${w}px`;
    layers.style.height = `${hgt}px`;
    layers.append(picture, canvas);
    stage.append(layers,
      h("span", { class: "cv-tag a", text: `${from.pin === a ? "A" : "B"} · ${from.layer}` }),
      h("span", { class: "cv-tag b", text: `${to.pin === a ? "A" : "B"} · ${to.layer}` }));
    box.append(stage);
    const table = h("table", { class: "cv-changes" });
    table.append(h("tr", {}, h("th", { text: "from → to" }), h("th", { text: "pixels" }), h("th", { text: "share" })));
    for (const p of changes.pairs.slice(0, 50)) {
      const sw = (id: number) => {
        const el = h("span", { class: "cv-sw" });
        el.style.background = classColor(id, colors);
        return el;
      };
      const row = h("tr", { "data-from": p.from, "data-to": p.to, "data-count": p.count },
        h("td", {}, sw(p.from), sw(p.to), pairLabel(p, labels)),
        h("td", { text: fmtCount(p.count) }),
        h("td", { text: `${((p.count / changes.total) * 100).toFixed(2)} %` }));
      table.append(row);
    }
    const summary = h("div", { class: "cv-readout", role: "status", "data-changed": changes.changed },
      h("span", {}, h("b", { text: fmtCount(changes.changed) }), ` of ${fmtCount(changes.total)} px changed class (${((changes.changed / Math.max(1, changes.total)) * 100).toFixed(2)} %), highlighted in magenta`),
      changes.pairs.length > 50 ? h("span", { text: `the 50 largest of ${changes.pairs.length} class pairs` }) : null);
    this.body.replaceChildren(h("div", { class: "cv-main" }, box, h("div", { class: "cv-side" }, pickers, summary, table)));
    this.zoomable(box, stage, layers, { w, h: hgt });
    stage.dataset.ready = "1";
  }
}
