// Class changes between two mask layers of one size (prediction vs truth of one item, or one
// layer at two steps): how many pixels went from each class to each other, with class names.
// The changed pixels themselves are segmentation/metrics.ts's differenceMask, painted by
// segmentation/compose.ts's paintDifference, as the annotated image's own difference view does.
import type { ClassLabel, MaskLayerMeta } from "../api-types";
import { className } from "./segmentation/colors";

export interface ClassChange {
  from: number;
  to: number;
  count: number;
}

export interface ClassChanges {
  /** Pixels whose class differs. */
  changed: number;
  total: number;
  /** Every (from → to) pair with at least one pixel, most pixels first (ties by ids). */
  pairs: ClassChange[];
}

export function classChanges(a: Uint16Array, b: Uint16Array): ClassChanges {
  if (a.length !== b.length) throw new Error(`class changes: the layers differ in size (${a.length} vs ${b.length} pixels)`);
  // Class ids are 16-bit: one 32-bit key per pair.
  const counts = new Map<number, number>();
  let changed = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x === y) continue;
    changed++;
    const k = x * 65536 + y;
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  const pairs = [...counts].map(([k, count]) => ({ from: Math.floor(k / 65536), to: k % 65536, count }));
  pairs.sort((p, q) => q.count - p.count || p.from - q.from || p.to - q.to);
  return { changed, total: a.length, pairs };
}

/** "cat → dog" with the logged names (ids where none was logged). */
export function pairLabel(p: ClassChange, labels: readonly ClassLabel[]): string {
  return `${className(p.from, labels)} → ${className(p.to, labels)}`;
}

/** One side of a mask comparison: a layer of one pinned item. */
export interface MaskSide {
  pin: number;
  layer: string;
}

const TRUTH = /truth|gt|label|target|true/i;

/**
 * What to compare by default: the same layer of A and B when they are two items with a layer of
 * one name and size (a prediction-like one first), else A's prediction against A's truth (any two
 * layers of one size), else null.
 */
export function defaultMaskPair(
  a: { pin: number; masks: readonly MaskLayerMeta[] },
  b: { pin: number; masks: readonly MaskLayerMeta[] } | null,
): [MaskSide, MaskSide] | null {
  if (b && b.pin !== a.pin) {
    const shared = a.masks.filter((m) => b.masks.some((n) => n.name === m.name && n.width === m.width && n.height === m.height));
    const pick = shared.find((m) => !TRUTH.test(m.name)) ?? shared[0];
    if (pick) return [{ pin: a.pin, layer: pick.name }, { pin: b.pin, layer: pick.name }];
  }
  for (const side of b && b.pin !== a.pin ? [a, b] : [a]) {
    const ms = side.masks;
    for (let i = 0; i < ms.length; i++) {
      for (let j = i + 1; j < ms.length; j++) {
        if (ms[i].width !== ms[j].width || ms[i].height !== ms[j].height) continue;
        // Prediction first, truth second, so a change reads "predicted → true".
        const [p, t] = TRUTH.test(ms[i].name) && !TRUTH.test(ms[j].name) ? [ms[j], ms[i]] : [ms[i], ms[j]];
        return [{ pin: side.pin, layer: p.name }, { pin: side.pin, layer: t.name }];
      }
    }
  }
  return null;
}
