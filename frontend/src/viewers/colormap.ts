// Colormaps for scalar data (heatmaps, depth, 16-bit images, spectrograms, point heights): the
// colours come from d3-scale-chromatic, the colour bar's ticks from d3-scale; a 256-entry RGBA
// lookup table per colormap makes mapping a value one multiply and one table read.
import { rgb } from "d3-color";
import { interpolateRgb } from "d3-interpolate";
import { scaleLinear } from "d3-scale";
import { interpolateMagma, interpolateRdBu, interpolateTurbo, interpolateViridis } from "d3-scale-chromatic";
import { h } from "./viewer-dom";

export const COLORMAPS = ["viridis", "magma", "turbo", "gray", "rdbu"] as const;
export type ColormapName = (typeof COLORMAPS)[number];

/** Labels for menus; RdBu is the diverging one, for signed data centred on 0. */
export const COLORMAP_LABELS: Record<ColormapName, string> = {
  viridis: "viridis", magma: "magma", turbo: "turbo", gray: "gray", rdbu: "RdBu (diverging)",
};

// Gray is a straight black-to-white ramp (d3's interpolateGreys runs white to black, not linearly),
// so a windowed 16-bit image shows grey = (v - vmin) / (vmax - vmin) as a viewer expects.
const INTERPOLATORS: Record<ColormapName, (t: number) => string> = {
  viridis: interpolateViridis,
  magma: interpolateMagma,
  turbo: interpolateTurbo,
  gray: interpolateRgb("#000000", "#ffffff"),
  rdbu: interpolateRdBu,
};

export const LUT_SIZE = 256;

export function isColormap(v: unknown): v is ColormapName {
  return typeof v === "string" && (COLORMAPS as readonly string[]).includes(v);
}

/** The colormap's colour at t in [0, 1] (clamped), as 0-255 integers: d3's colour, rounded. */
export function colorAt(name: ColormapName, t: number): [number, number, number] {
  const c = rgb(INTERPOLATORS[name](Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0))));
  return [Math.round(c.r), Math.round(c.g), Math.round(c.b)];
}

const luts = new Map<ColormapName, Uint8ClampedArray>();

/** RGBA table of LUT_SIZE colours: entry k is the colour at k / (LUT_SIZE - 1). */
export function colormapLut(name: ColormapName): Uint8ClampedArray {
  let lut = luts.get(name);
  if (!lut) {
    lut = new Uint8ClampedArray(LUT_SIZE * 4);
    for (let k = 0; k < LUT_SIZE; k++) lut.set([...colorAt(name, k / (LUT_SIZE - 1)), 255], k * 4);
    luts.set(name, lut);
  }
  return lut;
}

/** The table entry a value takes under the window [lo, hi] (clamped at both ends). */
export function lutIndex(v: number, lo: number, hi: number): number {
  const span = hi - lo;
  const t = span > 0 ? (v - lo) / span : v >= hi ? 1 : 0;
  return Math.min(LUT_SIZE - 1, Math.max(0, Math.round(t * (LUT_SIZE - 1))));
}

export interface PaintOptions {
  lut: Uint8ClampedArray;
  lo: number;
  hi: number;
  /** Values below it are not drawn (transparent); null draws every value. */
  threshold: number | null;
}

/**
 * Values to RGBA through the lookup table, into `out` (length * 4); NaN (no data) and values
 * under the threshold are transparent. Returns how many finite values the threshold hid.
 *
 * The per-pixel step is written out rather than calling a d3 scale: the scale is a closure with
 * clamping and interpolation per call, and this loop runs over every pixel of every cell on each
 * recolour (20 cells of 256×256 = 1.3 M values; heatmap_recolor_ms in BENCHMARKS.md).
 */
export function paintValues(values: ArrayLike<number>, o: PaintOptions, out: Uint8ClampedArray): number {
  const lut32 = new Int32Array(o.lut.buffer, o.lut.byteOffset, LUT_SIZE); // Int32: the pixels stay small integers in V8 (Uint32 above 2^31 are doubles)
  const px = new Int32Array(out.buffer, out.byteOffset, values.length);
  const span = o.hi - o.lo;
  const k = span > 0 ? (LUT_SIZE - 1) / span : 0;
  const lo = o.lo;
  const flat = span > 0 ? 0 : LUT_SIZE - 1; // a zero-width window: at or above it is the top colour
  const t = o.threshold ?? -Infinity;
  const last = LUT_SIZE - 1;
  let hidden = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v !== v) {
      px[i] = 0;
      continue;
    }
    if (v < t) {
      px[i] = 0;
      hidden++;
      continue;
    }
    let j = k ? ((v - lo) * k + 0.5) | 0 : v >= lo ? flat : 0;
    if (j < 0) j = 0;
    else if (j > last) j = last;
    px[i] = lut32[j];
  }
  return hidden;
}

/** Tick values and labels along a window, from d3's linear scale (nice round numbers). */
export function barTicks(lo: number, hi: number, count = 4): { value: number; at: number; text: string }[] {
  if (!(hi > lo)) return [{ value: lo, at: 0, text: formatTick(lo) }];
  const s = scaleLinear().domain([lo, hi]).range([0, 1]);
  const fmt = s.tickFormat(count);
  return s.ticks(count).map((v) => ({ value: v, at: s(v), text: fmt(v) }));
}

function formatTick(v: number): string {
  return Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(2) : String(+v.toPrecision(4));
}

/** A horizontal colour bar over [lo, hi] with its tick values and both ends written out. */
export function colorBar(name: ColormapName, lo: number, hi: number): HTMLElement {
  const bar = h("div", { class: "cm-bar" });
  Object.assign(bar.dataset, { colormap: name, vmin: String(lo), vmax: String(hi) });
  const strip = h("canvas", { class: "cm-strip" });
  strip.width = LUT_SIZE;
  strip.height = 1;
  const g = strip.getContext("2d");
  if (g) {
    const img = g.createImageData(LUT_SIZE, 1);
    img.data.set(colormapLut(name));
    g.putImageData(img, 0, 0);
  }
  const ticks = h("div", { class: "cm-ticks" });
  for (const t of barTicks(lo, hi)) {
    const s = h("span");
    s.textContent = t.text;
    s.style.left = `${t.at * 100}%`;
    // Labels near an end stay inside the bar's width.
    s.style.transform = `translateX(${t.at < 0.08 ? 0 : t.at > 0.92 ? -100 : -50}%)`;
    ticks.append(s);
  }
  const ends = h("div", { class: "cm-ends" });
  const a = h("span");
  a.textContent = formatTick(lo);
  const b = h("span");
  b.textContent = formatTick(hi);
  ends.append(a, b);
  bar.append(strip, ticks, ends);
  return bar;
}

export const COLORBAR_CSS = `
.cm-bar{display:flex;flex-direction:column;gap:1px;min-width:140px;font-size:10px;color:#616161}
.cm-strip{width:100%;height:10px;display:block;image-rendering:auto;border:1px solid #bdbdbd;box-sizing:border-box}
.cm-ticks{position:relative;height:12px}
.cm-ticks>span{position:absolute;white-space:nowrap}
.cm-ends{display:flex;justify-content:space-between;font-variant-numeric:tabular-nums;color:#212121}
`;
