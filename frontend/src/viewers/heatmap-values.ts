// Raw scalar values as the /heatmap route serves them (little-endian, row-major H×W of the served
// dtype) and the probe: the exact stored value under the pointer. Shared by every viewer that
// shows scalar layers (annotated images; the pixel probe of pixel-probe.ts reads them by pixel).
import type { HeatmapMeta } from "../api-types";

export type ScalarArray = Float32Array | Uint8Array | Int8Array | Uint16Array | Int16Array | Int32Array | Uint32Array;

const ARRAYS = {
  float32: Float32Array, uint8: Uint8Array, int8: Int8Array, uint16: Uint16Array,
  int16: Int16Array, int32: Int32Array, uint32: Uint32Array,
} as const;

/** The served bytes as a typed array of the layer's dtype; a wrong size or dtype is an error naming both. */
export function decodeValues(buf: ArrayBuffer, meta: Pick<HeatmapMeta, "name" | "dtype" | "width" | "height">): ScalarArray {
  const Ctor = (ARRAYS as Record<string, (typeof ARRAYS)[keyof typeof ARRAYS] | undefined>)[meta.dtype];
  const what = meta.name ? `heatmap layer "${meta.name}"` : "scalar image";
  if (!Ctor) throw new Error(`${what}: dtype must be one of ${Object.keys(ARRAYS).join(", ")}, got "${meta.dtype}"`);
  const n = meta.width * meta.height;
  if (buf.byteLength !== n * Ctor.BYTES_PER_ELEMENT) {
    throw new Error(`${what}: expected ${meta.width}×${meta.height} ${meta.dtype} values (${n * Ctor.BYTES_PER_ELEMENT} bytes), got ${buf.byteLength} bytes`);
  }
  return new Ctor(buf);
}

/**
 * A stored value as text that reads back as exactly that value: integers whole, float32 with the
 * fewest digits that round-trip through float32 (0.1f prints "0.1", not 0.10000000149011612).
 */
export function formatValue(v: number, dtype: string): string {
  if (Number.isNaN(v)) return "no data";
  if (dtype !== "float32" || !Number.isFinite(v)) return String(v);
  for (let p = 1; p <= 9; p++) {
    const s = v.toPrecision(p);
    if (Math.fround(Number(s)) === v) return String(Number(s));
  }
  return String(v);
}

export interface Probe { x: number; y: number; value: number; text: string }

/** The value at pixel (x, y) of a layer; null off the layer. */
export function probePixel(values: ArrayLike<number>, meta: Pick<HeatmapMeta, "width" | "height" | "dtype">, x: number, y: number): Probe | null {
  if (!(x >= 0 && y >= 0 && x < meta.width && y < meta.height)) return null;
  const value = values[Math.floor(y) * meta.width + Math.floor(x)];
  return { x: Math.floor(x), y: Math.floor(y), value, text: formatValue(value, meta.dtype) };
}
