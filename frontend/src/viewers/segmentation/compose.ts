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

/** The grey hatch of "unsure" pixels: diagonal stripes of these two greys, 3 px each. */
export const UNSURE_RGB: readonly [[number, number, number], [number, number, number]] = [[96, 96, 96], [200, 200, 200]];

/**
 * Marks a painted mask's pixels whose confidence is under `threshold` as unsure (grey hatch), over
 * classes that are shown (a hidden class stays hidden). Returns how many pixels are unsure, shown
 * or not; NaN confidence (no data) is not counted.
 */
export function paintUnsure(confidence: ArrayLike<number>, threshold: number, width: number, out: Uint8ClampedArray): number {
  let unsure = 0;
  for (let i = 0, o = 0; i < confidence.length; i++, o += 4) {
    if (!(confidence[i] < threshold)) continue;
    unsure++;
    if (out[o + 3] === 0) continue;
    const x = i % width;
    const y = (i - x) / width;
    const c = UNSURE_RGB[Math.floor((x + y) / 3) % 2];
    out[o] = c[0];
    out[o + 1] = c[1];
    out[o + 2] = c[2];
    out[o + 3] = 255;
  }
  return unsure;
}
