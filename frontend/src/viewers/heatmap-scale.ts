// Window/level of scalar layers: which [vmin, vmax] a layer is drawn with, from its logged stats,
// the user's settings (in the URL, per card or grid-wide) and, for the card-wide scale, the union
// of the stats of every cell of the card, so one colour means one value across the card.
import type { HeatmapMeta } from "../api-types";
import { isColormap, type ColormapName } from "./colormap";
import type { ViewerSettings } from "./types";

export type LayerStats = Pick<HeatmapMeta, "min" | "max" | "p01" | "p99" | "vmin" | "vmax">;
export type Window = [number, number];
/** "auto": the 1st to 99th percentile; a pair: the user's window; absent: the logged window, else auto. */
export type WindowSetting = "auto" | Window;
export type ScaleMode = "card" | "cell";

export const HEAT_KEYS = {
  colormap: "heat.colormap",
  window: "heat.window",
  scale: "heat.scale",
  threshold: "heat.threshold",
  visible: "heat.visible",
  opacity: "heat.opacity",
} as const;

/** Confidence layers hide their mask's pixels under this by default (marked unsure). */
export const DEFAULT_CONFIDENCE_THRESHOLD = 0.5;

export interface HeatSettings {
  /** By layer name ("" = a scalar image's own values). */
  colormap: Record<string, ColormapName>;
  window: Record<string, WindowSetting>;
  scale: ScaleMode;
  threshold: Record<string, number>;
  visible: Record<string, boolean>;
  opacity: Record<string, number>;
}

function rec<T>(v: unknown, ok: (x: unknown) => x is T): Record<string, T> {
  const out: Record<string, T> = {};
  if (v && typeof v === "object" && !Array.isArray(v)) {
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) if (ok(x)) out[k] = x;
  }
  return out;
}
const isNum = (x: unknown): x is number => typeof x === "number" && Number.isFinite(x);
const isBool = (x: unknown): x is boolean => typeof x === "boolean";
const isWindow = (x: unknown): x is WindowSetting =>
  x === "auto" || (Array.isArray(x) && x.length === 2 && isNum(x[0]) && isNum(x[1]) && x[0] <= x[1]);

export function readHeatSettings(s: ViewerSettings): HeatSettings {
  return {
    colormap: rec(s[HEAT_KEYS.colormap], isColormap),
    window: rec(s[HEAT_KEYS.window], isWindow),
    scale: s[HEAT_KEYS.scale] === "cell" ? "cell" : "card",
    threshold: rec(s[HEAT_KEYS.threshold], isNum),
    visible: rec(s[HEAT_KEYS.visible], isBool),
    opacity: rec(s[HEAT_KEYS.opacity], isNum),
  };
}

/** A usable window: an empty or reversed one widens to the data's [min, max]. */
function orFull(w: Window, m: LayerStats): Window {
  return w[1] > w[0] ? w : [Math.min(m.min, w[0]), Math.max(m.max, w[1])];
}

/** The 1st to 99th percentile of the layer (its full range when those are equal). */
export function autoWindow(m: LayerStats): Window {
  return orFull([m.p01, m.p99], m);
}

/** The window the caller logged (either end may be given), else auto. */
export function loggedWindow(m: LayerStats): Window {
  const auto = autoWindow(m);
  return orFull([m.vmin ?? auto[0], m.vmax ?? auto[1]], m);
}

/** The smallest window holding every one given. */
export function unionWindow(windows: readonly Window[]): Window | null {
  if (!windows.length) return null;
  let lo = Infinity;
  let hi = -Infinity;
  for (const [a, b] of windows) {
    if (a < lo) lo = a;
    if (b > hi) hi = b;
  }
  return [lo, hi];
}

/**
 * The window a layer is drawn with: the user's pair as is; otherwise auto or the logged window,
 * over this cell's stats alone (`card` null) or over the union of the card's cells (`card`, which
 * includes this cell).
 */
export function resolveWindow(setting: WindowSetting | undefined, own: LayerStats, card: readonly LayerStats[] | null): Window {
  if (Array.isArray(setting)) return setting;
  const of = setting === "auto" ? autoWindow : loggedWindow;
  return (card && unionWindow(card.map(of))) || of(own);
}

/** What the vmin/vmax sliders span: every value of the layers (and the window, if wider). */
export function sliderRange(stats: readonly LayerStats[], w: Window): Window {
  const lo = Math.min(w[0], ...stats.map((m) => m.min));
  const hi = Math.max(w[1], ...stats.map((m) => m.max));
  return hi > lo ? [lo, hi] : [lo, lo + 1];
}

/** The colormap a layer is drawn with: the user's, else the one logged, else viridis. */
export function layerColormap(s: HeatSettings, name: string, logged: string): ColormapName {
  return s.colormap[name] ?? (isColormap(logged) ? logged : "viridis");
}

/** The threshold of a layer (null = none); a confidence layer starts at DEFAULT_CONFIDENCE_THRESHOLD. */
export function layerThreshold(s: HeatSettings, name: string, role: string): number | null {
  return s.threshold[name] ?? (role === "confidence" ? DEFAULT_CONFIDENCE_THRESHOLD : null);
}

// ---- the card-wide scale ------------------------------------------------------------------------

/** One mounted cell's scalar layers, as the card's scale sees them. */
export interface ScaleMember {
  /** Layer name -> its logged stats. */
  readonly stats: ReadonlyMap<string, LayerStats>;
  /** The card's union changed: redraw if the drawn window differs. */
  rescale(): void;
}

/**
 * The cells of one card that share a scale. Cells join when mounted and leave when destroyed; a
 * change of the union reaches the others once per frame (cells mount one by one as data arrives).
 */
export class ScaleGroup {
  private readonly members = new Set<ScaleMember>();
  private scheduled = false;

  join(m: ScaleMember): void {
    this.members.add(m);
    this.changed();
  }

  leave(m: ScaleMember): void {
    if (this.members.delete(m)) this.changed();
  }

  /** The stats of `layer` in every member that has it. */
  statsOf(layer: string): LayerStats[] {
    const out: LayerStats[] = [];
    for (const m of this.members) {
      const s = m.stats.get(layer);
      if (s) out.push(s);
    }
    return out;
  }

  get size(): number {
    return this.members.size;
  }

  /** Every member re-checks its window (one that did not change draws nothing). */
  private changed(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    const run = () => {
      this.scheduled = false;
      for (const m of this.members) m.rescale();
    };
    if (typeof requestAnimationFrame === "function") requestAnimationFrame(run);
    else queueMicrotask(run);
  }
}

const groups = new WeakMap<Element, ScaleGroup>();
/** The group a tag's cells joined last: the full-screen view (outside every card) uses its card's scale. */
const byTag = new Map<string, ScaleGroup>();

/** The scale group of the card holding `el`; outside a card (full screen), that of the card showing `tag`. */
export function scaleGroupFor(el: Element, tag: string): ScaleGroup {
  const card = el.closest("[data-card]");
  if (!card) return byTag.get(tag) ?? new ScaleGroup();
  let g = groups.get(card);
  if (!g) groups.set(card, (g = new ScaleGroup()));
  byTag.set(tag, g);
  return g;
}
