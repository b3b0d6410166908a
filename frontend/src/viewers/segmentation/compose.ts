// Mask pixels -> RGBA: the only per-pixel work, done once per toggle, never on opacity changes.

/** Paint class ids through an RGBA lookup table into `out` (width*height*4); unknown ids are clear. */
export function paintMask(ids: Uint16Array, lut: Uint8ClampedArray, out: Uint8ClampedArray): void {
  const maxId = lut.length / 4 - 1;
  for (let i = 0, o = 0; i < ids.length; i++, o += 4) {
    const id = ids[i];
    if (id > maxId) {
      out[o + 3] = 0;
      continue;
    }
    const k = id * 4;
    out[o] = lut[k];
    out[o + 1] = lut[k + 1];
    out[o + 2] = lut[k + 2];
    out[o + 3] = lut[k + 3];
  }
}

/** Highlight disagreeing pixels in one colour, agreeing ones clear. */
export function paintDifference(diff: Uint8Array, rgb: [number, number, number], out: Uint8ClampedArray): void {
  for (let i = 0, o = 0; i < diff.length; i++, o += 4) {
    out[o] = rgb[0];
    out[o + 1] = rgb[1];
    out[o + 2] = rgb[2];
    out[o + 3] = diff[i] ? 255 : 0;
  }
}

/**
 * Source-over blend of one RGBA layer onto another at `opacity` (what the browser does when a
 * canvas with CSS opacity sits over the image); used for exports and checked by tests.
 */
export function blendOver(base: Uint8ClampedArray, layer: Uint8ClampedArray, opacity: number): void {
  for (let o = 0; o < base.length; o += 4) {
    const a = (layer[o + 3] / 255) * opacity;
    if (a === 0) continue;
    for (let c = 0; c < 3; c++) base[o + c] = Math.round(layer[o + c] * a + base[o + c] * (1 - a));
    base[o + 3] = Math.round(255 * (a + (base[o + 3] / 255) * (1 - a)));
  }
}

/** Largest class id in a mask (sizes the lookup table). */
export function maxClassId(ids: Uint16Array): number {
  let m = 0;
  for (let i = 0; i < ids.length; i++) if (ids[i] > m) m = ids[i];
  return m;
}

/** Pixel counts per class id. */
export function classCounts(ids: Uint16Array): Map<number, number> {
  const counts = new Map<number, number>();
  for (let i = 0; i < ids.length; i++) counts.set(ids[i], (counts.get(ids[i]) ?? 0) + 1);
  return counts;
}
