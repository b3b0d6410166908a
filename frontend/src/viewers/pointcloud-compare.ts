// "Changed points": which points of two labelled clouds of the same size (a prediction and its
// truth, or one tag at two steps) have a different class, with counts per class pair. Pure
// functions: the point-cloud viewer and the Compare view give them the logged labels.
//
// Points are paired by index, the way a segmentation model labels the points of the scan it was
// given, so the clouds must have the same number of points.
import type { ClassLabel } from "../api-types";
import { className } from "./segmentation/colors";

/** A cloud's class per point, with the class names logged with it. */
export interface LabelledCloud {
  labels: ArrayLike<number>;
  classLabels: readonly ClassLabel[];
}

export interface ClassChange {
  from: number;
  to: number;
  fromName: string;
  toName: string;
  count: number;
}

export type PointDiff =
  | {
      ok: true;
      /** Points compared. */
      total: number;
      /** Points whose class differs. */
      changed: number;
      /** 1 where the class differs, by point index. */
      mask: Uint8Array;
      /** One entry per (from, to) pair that occurs, most points first (then by class ids). */
      pairs: ClassChange[];
    }
  | { ok: false; reason: string };

/** Compare `from` (the reference, or the earlier step) with `to`, point by point. */
export function changedPoints(from: LabelledCloud, to: LabelledCloud): PointDiff {
  const a = from.labels;
  const b = to.labels;
  if (a.length !== b.length) {
    return { ok: false, reason: `the clouds differ in size (${a.length.toLocaleString("en-US")} and ${b.length.toLocaleString("en-US")} points): points are paired by their order` };
  }
  const mask = new Uint8Array(a.length);
  const counts = new Map<string, ClassChange>();
  let changed = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x === y) continue;
    mask[i] = 1;
    changed++;
    const key = `${x}>${y}`;
    const c = counts.get(key);
    if (c) c.count++;
    else counts.set(key, { from: x, to: y, fromName: className(x, from.classLabels), toName: className(y, to.classLabels), count: 1 });
  }
  const pairs = [...counts.values()].sort((p, q) => q.count - p.count || p.from - q.from || p.to - q.to);
  return { ok: true, total: a.length, changed, mask, pairs };
}

/** The readout's headline: "12 of 1,000 points changed class", or why there is no comparison. */
export function diffSummary(d: PointDiff): string {
  if (!d.ok) return `Changed points: ${d.reason}`;
  const p = d.total ? (100 * d.changed) / d.total : 0;
  // A few points of a large scan must not read as 0.0%.
  const pct = d.total ? ` (${p.toFixed(p > 0 && p < 1 ? 2 : 1)}%)` : "";
  return `${d.changed.toLocaleString("en-US")} of ${d.total.toLocaleString("en-US")} points changed class${pct}`;
}

/** The headline in a few characters, for a small cell: "12 changed". */
export function diffShort(d: PointDiff): string {
  return d.ok ? `${d.changed.toLocaleString("en-US")} changed` : "not compared";
}

/** Per-point rgb bytes: changed points in `hit`, the others in `dim`. */
export function changedRGB(mask: Uint8Array, hit: readonly [number, number, number], dim: readonly [number, number, number]): Uint8Array {
  const rgb = new Uint8Array(mask.length * 3);
  for (let i = 0, j = 0; i < mask.length; i++, j += 3) {
    const c = mask[i] ? hit : dim;
    rgb[j] = c[0];
    rgb[j + 1] = c[1];
    rgb[j + 2] = c[2];
  }
  return rgb;
}
