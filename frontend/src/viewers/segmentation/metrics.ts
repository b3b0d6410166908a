// Agreement between two mask layers on the same label set: per-class IoU and the disagreement mask.

export interface ClassIoU { id: number; iou: number; intersection: number; union: number }

export interface IoUReport { perClass: ClassIoU[]; meanIoU: number; pixelAccuracy: number }

/**
 * IoU for every class present in either layer (union > 0); the mean is over those classes, the
 * usual definition when a class is absent from both it is undefined and left out.
 */
export function computeIoU(a: Uint16Array, b: Uint16Array): IoUReport {
  if (a.length !== b.length) throw new Error(`mask sizes differ: ${a.length} vs ${b.length} pixels`);
  const inter = new Map<number, number>();
  const countA = new Map<number, number>();
  const countB = new Map<number, number>();
  let agree = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    countA.set(x, (countA.get(x) ?? 0) + 1);
    countB.set(y, (countB.get(y) ?? 0) + 1);
    if (x === y) {
      inter.set(x, (inter.get(x) ?? 0) + 1);
      agree++;
    }
  }
  const ids = [...new Set([...countA.keys(), ...countB.keys()])].sort((p, q) => p - q);
  const perClass = ids.map((id) => {
    const intersection = inter.get(id) ?? 0;
    const union = (countA.get(id) ?? 0) + (countB.get(id) ?? 0) - intersection;
    return { id, intersection, union, iou: union > 0 ? intersection / union : 0 };
  });
  const meanIoU = perClass.length ? perClass.reduce((s, c) => s + c.iou, 0) / perClass.length : 1;
  return { perClass, meanIoU, pixelAccuracy: a.length ? agree / a.length : 1 };
}

/** 1 where the layers disagree, 0 where they agree. */
export function differenceMask(a: Uint16Array, b: Uint16Array): Uint8Array {
  if (a.length !== b.length) throw new Error(`mask sizes differ: ${a.length} vs ${b.length} pixels`);
  const out = new Uint8Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] === b[i] ? 0 : 1;
  return out;
}

/** Two layers compare when they have the same size and the same label set (or neither has labels). */
export function sameLabelSet(
  a: { width: number; height: number; class_labels: { id: number; name: string }[] },
  b: { width: number; height: number; class_labels: { id: number; name: string }[] },
): boolean {
  if (a.width !== b.width || a.height !== b.height) return false;
  const key = (l: { id: number; name: string }[]) =>
    [...l].sort((p, q) => p.id - q.id).map((c) => `${c.id}:${c.name}`).join("|");
  return key(a.class_labels) === key(b.class_labels);
}
