// Point-cloud arrays -> render attributes: pure functions over typed arrays (no three.js), tested in Node.
import type { Box3DMeta, PointCloudMeta } from "../api-types";
import { colorAt, colormapLut, lutIndex } from "./colormap";
import { classColor, hexToRgb } from "./segmentation/colors";

export type ColorBy = "rgb" | "class" | "height";

/** Class labels as a typed array of the logged width, viewing the fetched bytes without a copy. */
export function labelArray(buf: ArrayBuffer, labelBytes: PointCloudMeta["label_bytes"]): Uint8Array | Uint16Array | Uint32Array {
  if (labelBytes === 1) return new Uint8Array(buf);
  if (labelBytes === 2) return new Uint16Array(buf);
  if (labelBytes === 4) return new Uint32Array(buf);
  throw new Error(`label_bytes must be 1, 2 or 4, got ${labelBytes}`);
}

/**
 * What "colour by" can do for this cloud: the asked mode if it has the data, else the most telling
 * one it has. Classes come first: a labelled scan is logged to show its labels, and its rgb is often
 * a sensor's grey intensity, which drew the demo's predicted and true clouds the same dark grey.
 */
export function effectiveColorBy(asked: unknown, meta: PointCloudMeta): ColorBy {
  if (asked === "rgb" && meta.has_colors) return "rgb";
  if (asked === "class" && meta.label_bytes) return "class";
  if (asked === "height") return "height";
  return meta.label_bytes ? "class" : meta.has_colors ? "rgb" : "height";
}

/** rgb per point from class ids, through the same stable palette as the masks. */
export function classRGB(labels: ArrayLike<number>, overrides?: Record<string, string>): Uint8Array {
  const out = new Uint8Array(labels.length * 3);
  const cache = new Map<number, [number, number, number]>();
  for (let i = 0; i < labels.length; i++) {
    const id = labels[i];
    let c = cache.get(id);
    if (!c) cache.set(id, (c = hexToRgb(classColor(id, overrides))));
    out[i * 3] = c[0];
    out[i * 3 + 1] = c[1];
    out[i * 3 + 2] = c[2];
  }
  return out;
}

/** Viridis at t in [0, 1]: the height ramp and its legend. */
export function ramp(t: number): [number, number, number] {
  return colorAt("viridis", t);
}

/** rgb per point from its coordinate along the up axis (0 = x, 1 = y, 2 = z), min to max. */
export function heightRGB(positions: Float32Array, axis: 0 | 1 | 2): Uint8Array {
  const n = positions.length / 3;
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = axis; i < positions.length; i += 3) {
    const v = positions[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const span = hi - lo || 1;
  const lut = colormapLut("viridis");
  const out = new Uint8Array(n * 3);
  for (let p = 0; p < n; p++) {
    const k = lutIndex(positions[p * 3 + axis], lo, lo + span) * 4;
    out[p * 3] = lut[k];
    out[p * 3 + 1] = lut[k + 1];
    out[p * 3 + 2] = lut[k + 2];
  }
  return out;
}

/** Indices of the points whose class is shown; null when every class is shown (draw all, no index). */
export function visibleIndex(labels: ArrayLike<number>, hidden: ReadonlySet<number>): Uint32Array | null {
  if (!hidden.size) return null;
  let count = 0;
  for (let i = 0; i < labels.length; i++) if (!hidden.has(labels[i])) count++;
  const out = new Uint32Array(count);
  for (let i = 0, k = 0; i < labels.length; i++) if (!hidden.has(labels[i])) out[k++] = i;
  return out;
}

/** Points per class id. */
export function countLabels(labels: ArrayLike<number>): Map<number, number> {
  const m = new Map<number, number>();
  for (let i = 0; i < labels.length; i++) m.set(labels[i], (m.get(labels[i]) ?? 0) + 1);
  return m;
}

/** Boxes shown at a score threshold: boxes without a score are always shown. */
export function boxesAbove(boxes: readonly Box3DMeta[], minScore: number): Box3DMeta[] {
  return boxes.filter((b) => b.score === null || b.score === undefined || b.score >= minScore);
}

/**
 * A spread-out subset of the drawn points for frames drawn while the camera moves: `target` of
 * them at an even fractional stride over all points (or over `index`, the shown ones). A
 * fractional stride does not lock onto the period of scan-line ordered LIDAR data the way a
 * whole-number one can. null when every point fits.
 */
export function sampleIndex(count: number, index: Uint32Array | null, target: number): Uint32Array | null {
  const n = index ? index.length : count;
  const k = Math.max(0, Math.floor(target));
  if (n <= k) return null;
  const step = n / k;
  const out = new Uint32Array(k);
  for (let i = 0; i < k; i++) {
    const j = Math.floor(i * step);
    out[i] = index ? index[j] : j;
  }
  return out;
}

/** Milliseconds a frame may take while the camera moves (about 25 frames a second). */
export const MOVING_FRAME_MS = 40;
/** Never fewer points than this while moving: below it the shape of a big cloud stops reading. */
export const MIN_MOVING_POINTS = 50_000;

/**
 * How many points to draw while the camera moves, from what the last full frame cost: the number
 * that fits MOVING_FRAME_MS, rounded down to a quarter of its power of two (65536, 81920, 98304,
 * 114688, 131072 ...) so timing noise does not rebuild the subset on every drag. Everything when
 * nothing was measured yet or everything fits.
 */
export function movingPointBudget(last: { ms: number; points: number }, drawn: number): number {
  if (!(last.ms > 0) || last.points <= 0) return drawn;
  const fits = MOVING_FRAME_MS / (last.ms / last.points);
  if (fits >= drawn) return drawn;
  const quarter = Math.max(1, 2 ** Math.floor(Math.log2(Math.max(1, fits))) / 4);
  return Math.min(drawn, Math.max(MIN_MOVING_POINTS, Math.floor(fits / quarter) * quarter));
}

/** Default point size (pixels): dense clouds read best with small points, sparse ones need bigger. */
export function defaultPointSize(numPoints: number): number {
  return numPoints > 250_000 ? 1 : 2;
}
