// The Compare view's settings and its pixel logic, as pure functions: what a link stores, which
// pins are A and B, where the wipe's divider is, and the per-pixel |A−B| of the difference mode.
// The wipe and the onion skin are drawn by the browser (a clip and an opacity over B), so
// dragging the divider repaints without touching a pixel in script (compare_wipe_ms_per_frame).

export const COMPARE_MODES = ["side", "wipe", "onion", "diff", "flicker", "classes"] as const;
export type CompareMode = (typeof COMPARE_MODES)[number];

export const MODE_LABELS: Record<CompareMode, string> = {
  side: "side by side", wipe: "wipe", onion: "onion skin", diff: "difference", flicker: "flicker", classes: "class changes",
};

/** The difference's colour scale: 0 to 255 always, or 0 to the largest difference shown. */
export type DiffScale = "255" | "max";

export interface CompareSettings {
  /** The Compare view is open (a link with pins reopens it). */
  open: boolean;
  mode: CompareMode;
  /** Positions in the pin list of A and B. */
  a: number;
  b: number;
  /** The wipe's divider, as a fraction of the width: A left of it, B right. */
  wipe: number;
  /** Onion skin: A's opacity over B. */
  opacity: number;
  /** Difference: values under it are not drawn (and not counted). */
  threshold: number;
  /** A colormap of colormap.ts by name (checked where drawn: this module stays out of d3's way,
   * since the panel's first bundle decodes links). */
  colormap: string;
  scale: DiffScale;
  /** Flicker: ms per side; 0 stops the alternation (Space still flips). */
  interval: number;
  /** Class changes: the two mask layers picked, [pin position, layer name] each; null: the default pair. */
  masks: [[number, string], [number, string]] | null;
}

export function defaultCompare(): CompareSettings {
  return { open: false, mode: "side", a: 0, b: 1, wipe: 0.5, opacity: 0.5, threshold: 0, colormap: "magma", scale: "max", interval: 500, masks: null };
}

export const FLICKER_MS = { min: 100, max: 3000 } as const;

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
const num = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

/** A link's compare settings; anything malformed falls back to its default. */
export function readCompare(v: unknown): CompareSettings {
  const s = defaultCompare();
  if (!v || typeof v !== "object" || Array.isArray(v)) return s;
  const r = v as Record<string, unknown>;
  if (typeof r.open === "boolean") s.open = r.open;
  if ((COMPARE_MODES as readonly unknown[]).includes(r.mode)) s.mode = r.mode as CompareMode;
  if (Number.isSafeInteger(r.a) && (r.a as number) >= 0) s.a = r.a as number;
  if (Number.isSafeInteger(r.b) && (r.b as number) >= 0) s.b = r.b as number;
  if (num(r.wipe)) s.wipe = clamp(r.wipe, 0, 1);
  if (num(r.opacity)) s.opacity = clamp(r.opacity, 0, 1);
  if (num(r.threshold)) s.threshold = clamp(r.threshold, 0, 255);
  if (typeof r.colormap === "string" && /^[a-z]{1,16}$/.test(r.colormap)) s.colormap = r.colormap;
  if (r.scale === "255" || r.scale === "max") s.scale = r.scale;
  if (num(r.interval)) s.interval = r.interval <= 0 ? 0 : clamp(Math.round(r.interval), FLICKER_MS.min, FLICKER_MS.max);
  const side = (x: unknown): x is [number, string] =>
    Array.isArray(x) && x.length === 2 && Number.isSafeInteger(x[0]) && x[0] >= 0 && typeof x[1] === "string" && x[1].length <= 256;
  if (Array.isArray(r.masks) && r.masks.length === 2 && side(r.masks[0]) && side(r.masks[1])) s.masks = [r.masks[0], r.masks[1]];
  return s;
}

/** The class changes' layers after the pins moved: `to` gives a pin's new place, null when it is gone. */
export function remapMasks(masks: CompareSettings["masks"], to: (pin: number) => number | null): CompareSettings["masks"] {
  if (!masks) return null;
  const [a, b] = [to(masks[0][0]), to(masks[1][0])];
  return a === null || b === null ? null : [[a, masks[0][1]], [b, masks[1][1]]];
}

/** Only what differs from the defaults, so links stay short; null when nothing does. */
export function compareDelta(s: CompareSettings): Partial<CompareSettings> | null {
  const d = defaultCompare();
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(d) as (keyof CompareSettings)[]) if (JSON.stringify(s[k]) !== JSON.stringify(d[k])) out[k] = s[k];
  return Object.keys(out).length ? (out as Partial<CompareSettings>) : null;
}

/**
 * Which pins are A and B among `n`: the chosen ones when they are distinct and exist, else the
 * first two others (A = B only when a single item is pinned).
 */
export function pickAB(n: number, a: number, b: number): [number, number] {
  if (n <= 0) return [0, 0];
  if (n === 1) return [0, 0];
  const A = a < n ? a : 0;
  let B = b < n && b !== A ? b : -1;
  if (B < 0) B = A === 0 ? 1 : 0;
  return [A, B];
}

/** The divider's place under the pointer at `x` over a stage spanning [left, left + width]. */
export function wipeAt(x: number, left: number, width: number): number {
  return width > 0 ? clamp((x - left) / width, 0, 1) : 0.5;
}

/** The clip that leaves A showing left of the divider at fraction `f` (B shows through right of it). */
export function wipeClip(f: number): string {
  return `inset(0 ${((1 - clamp(f, 0, 1)) * 100).toFixed(3)}% 0 0)`;
}

/** The largest box of aspect `w`:`h` inside `W`×`H` (CSS px), integer-sized. */
export function containSize(w: number, h: number, W: number, H: number): { width: number; height: number } {
  if (w <= 0 || h <= 0 || W <= 0 || H <= 0) return { width: 0, height: 0 };
  const s = Math.min(W / w, H / h);
  return { width: Math.max(1, Math.floor(w * s)), height: Math.max(1, Math.floor(h * s)) };
}

/**
 * Per-pixel |A−B| of two RGBA buffers of one size: the largest of the three channel differences
 * (a change in any channel shows; for grey images it is the grey difference). Alpha is ignored.
 * Writes `out` (one value per pixel) and returns the largest value.
 */
export function diffMagnitude(a: Uint8ClampedArray, b: Uint8ClampedArray, out: Uint8Array): number {
  if (a.length !== b.length || out.length * 4 !== a.length) {
    throw new Error(`difference: A has ${a.length / 4} pixels, B ${b.length / 4}, output ${out.length}; they must match`);
  }
  let max = 0;
  for (let i = 0, o = 0; i < out.length; i++, o += 4) {
    const r = a[o] - b[o];
    const g = a[o + 1] - b[o + 1];
    const bl = a[o + 2] - b[o + 2];
    let m = r < 0 ? -r : r;
    const ga = g < 0 ? -g : g;
    const ba = bl < 0 ? -bl : bl;
    if (ga > m) m = ga;
    if (ba > m) m = ba;
    out[i] = m;
    if (m > max) max = m;
  }
  return max;
}

/** How many values are at or above `t` (what the difference's threshold shows). */
export function countAtLeast(values: ArrayLike<number>, t: number): number {
  let n = 0;
  for (let i = 0; i < values.length; i++) if (values[i] >= t) n++;
  return n;
}

/** The colour window of the difference: fixed 0–255, or 0 to the largest value (at least 1). */
export function diffWindow(scale: DiffScale, max: number): [number, number] {
  // No difference at all: the full scale, not a bar of 0 to 1 beside a text in 0–255.
  return [0, scale === "255" || max <= 0 ? 255 : max];
}
