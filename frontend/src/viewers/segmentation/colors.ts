// Stable, distinct class colours: the same class id gets the same colour in every cell, run and step.
import type { ClassLabel } from "../../api-types";

export type RGB = [number, number, number];

/**
 * Hand-picked first colours (Kelly / Glasbey style): maximally distinct for the common case of a
 * few dozen classes; later ids fall back to a golden-angle hue walk that never repeats quickly.
 */
const PALETTE: readonly string[] = [
  "#e6194b", "#3cb44b", "#ffe119", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6",
  "#bfef45", "#fabed4", "#469990", "#dcbeff", "#9a6324", "#fffac8", "#800000", "#aaffc3",
  "#808000", "#ffd8b1", "#000075", "#a9a9a9",
];

export function hexToRgb(hex: string): RGB {
  const h = hex.replace("#", "");
  const full = h.length === 3 ? h.split("").map((c) => c + c).join("") : h;
  const n = parseInt(full, 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/** Black or white, whichever reads on `hex` (its sRGB luma): the one rule for text on a class colour. */
export function textColorOn(hex: string): string {
  const [r, g, b] = hexToRgb(hex);
  return 0.299 * r + 0.587 * g + 0.114 * b > 150 ? "#000" : "#fff";
}

export function rgbToHex([r, g, b]: RGB): string {
  return "#" + [r, g, b].map((v) => Math.round(v).toString(16).padStart(2, "0")).join("");
}

function hslToRgb(h: number, s: number, l: number): RGB {
  const k = (n: number) => (n + h * 12) % 12;
  const a = s * Math.min(l, 1 - l);
  const f = (n: number) => l - a * Math.max(-1, Math.min(k(n) - 3, Math.min(9 - k(n), 1)));
  return [Math.round(f(0) * 255), Math.round(f(8) * 255), Math.round(f(4) * 255)];
}

/** The default colour of a class id (hex). */
export function defaultClassColor(id: number): string {
  if (id >= 0 && id < PALETTE.length) return PALETTE[id];
  const hue = ((id * 0.618033988749895) % 1 + 1) % 1;
  const light = 0.45 + 0.15 * ((id >> 3) % 2);
  return rgbToHex(hslToRgb(hue, 0.75, light));
}

const HEX = /^#[0-9a-fA-F]{6}$/;

/** An override (a colour picked in the UI, or logged with the label) wins over the default. */
export function classColor(id: number, overrides: Record<string, string> | undefined): string {
  const o = overrides?.[String(id)];
  return typeof o === "string" && HEX.test(o) ? o : defaultClassColor(id);
}

/**
 * The colour of each class id, as overrides for `classColor`: the colour the user picked in the
 * panel wins, then the one logged with the class label, then (absent from the map) the default.
 */
export function classColorMap(labels: readonly ClassLabel[], picked: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of labels) if (l.color && HEX.test(l.color)) out[String(l.id)] = l.color.toLowerCase();
  for (const [id, c] of Object.entries(picked ?? {})) if (HEX.test(c)) out[id] = c;
  return out;
}

/**
 * One label per class id from several sets (mask and box layers): the first name given for an id,
 * and the first colour given for it, even when that comes from a later set.
 */
export function mergeLabels(sets: readonly (readonly ClassLabel[])[]): ClassLabel[] {
  const byId = new Map<number, ClassLabel>();
  for (const set of sets)
    for (const l of set) {
      const seen = byId.get(l.id);
      if (!seen) byId.set(l.id, { ...l, color: l.color ?? null });
      else if (!seen.color && l.color) seen.color = l.color;
    }
  return [...byId.values()].sort((a, b) => a.id - b.id);
}

/** RGBA lookup table for ids [0, maxId]; hidden classes get alpha 0. */
export function colorTable(
  maxId: number,
  overrides: Record<string, string> | undefined,
  hidden: ReadonlySet<number>,
): Uint8ClampedArray {
  const lut = new Uint8ClampedArray((maxId + 1) * 4);
  for (let id = 0; id <= maxId; id++) {
    const [r, g, b] = hexToRgb(classColor(id, overrides));
    lut.set([r, g, b, hidden.has(id) ? 0 : 255], id * 4);
  }
  return lut;
}

const BACKGROUND_NAME = /^(background|bg|void|unlabel(l)?ed|none|ignore)$/i;

/**
 * Class 0 is usually the background: hidden by default so a mask over an image shows the objects,
 * not a tinted sheet. Only when its label says so, or when it is the one unnamed id among named ones.
 */
export function isBackgroundClass(id: number, labels: readonly ClassLabel[]): boolean {
  if (id !== 0) return false;
  const named = labels.find((l) => l.id === 0);
  if (named) return BACKGROUND_NAME.test(named.name.trim());
  return labels.length > 0;
}

/** How many classes have a number key: 1 to 9. */
export const CLASS_KEYS = 9;

/**
 * The classes number keys toggle, in the order of the keys (panel/keyboard.ts takes the first
 * nine over a card): every id but the background, by id, as the class menus list them.
 */
export function keyedClasses(ids: Iterable<number>, labels: readonly ClassLabel[]): number[] {
  return [...ids].filter((id) => !isBackgroundClass(id, labels)).sort((a, b) => a - b);
}

/** Display name of a class: its label, else "class <id>". */
export function className(id: number, labels: readonly ClassLabel[]): string {
  return labels.find((l) => l.id === id)?.name ?? `class ${id}`;
}
