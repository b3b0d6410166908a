// Which cards, sections, rows, columns and tiles the panel shows: pure functions of the settings
// and the data's dimensions, so axis layout is unit-tested without a DOM.
import type { Axis, GalleryBy, Mode } from "../state/settings";
import { shortStep } from "./steps";

/** One label on a grid axis; it fixes one dimension of the cells in its row or column. */
export interface AxisValue {
  axis: Axis;
  label: string;
  run?: string;
  tag?: string;
  step?: number;
  index?: number;
  /** Second label line: the tag of a compared pair (this column shows `tag`, the value above). */
  sub?: string;
  /** First column of a compared group: the only one that repeats the value's label. */
  groupStart?: boolean;
}

export interface Dims {
  runs: string[];
  tags: string[];
  steps: number[];
  indices: number[];
}

/** What every cell of a section shares; the row/column values override it. */
export interface Fixed {
  run: string | null;
  tag: string | null;
  step: number | null;
  index: number;
}

export interface CellAddress {
  run: string;
  tag: string;
  /** Requested step; a run without it shows its nearest earlier item. */
  step: number;
  index: number;
}

export interface CardPlan {
  key: string;
  title: string;
  tags: string[];
  /** A comparison of `tags` side by side (chosen by the user), shown above the per-tag cards. */
  compare?: boolean;
}

export const COMPARE_CARD = "compare";

export function axisValue(axis: Axis, v: string | number): AxisValue {
  switch (axis) {
    case "run":
      return { axis, label: String(v), run: String(v) };
    case "tag":
      return { axis, label: String(v), tag: String(v) };
    case "step":
      return { axis, label: shortStep(Number(v)), step: Number(v) };
    case "index":
      return { axis, label: `#${v}`, index: Number(v) };
  }
}

export function axisValues(axis: Axis, dims: Dims): AxisValue[] {
  const src: readonly (string | number)[] =
    axis === "run" ? dims.runs : axis === "tag" ? dims.tags : axis === "step" ? dims.steps : dims.indices;
  return src.map((v) => axisValue(axis, v));
}

export const ALL_TAGS_CARD = "*";

/** Run on no axis (nor what a gallery tiles by): one section per run, each titled by it. */
export function facetsByRun(mode: Mode, x: Axis, y: Axis, by: GalleryBy): boolean {
  return mode === "grid" ? x !== "run" && y !== "run" : by !== "run";
}

/**
 * Cards: one per tag, or a single card when tag is laid out on an axis; with two or more
 * `compare` tags, first a card that shows them side by side.
 */
export function planCards(mode: Mode, x: Axis, y: Axis, tags: readonly string[], compare: readonly string[] = []): CardPlan[] {
  if (compare.length < 2) return planTagCards(mode, x, y, tags, "All tags");
  const names = shortTagNames(compare);
  // With tag on an axis one card already lays tags side by side: the comparison is that card
  // for the compared tags, and the other card holds only the others (not the compared twice).
  const tagAxis = mode === "grid" && (x === "tag" || y === "tag");
  const rest = planTagCards(mode, x, y, tagAxis ? tags.filter((t) => !compare.includes(t)) : tags, tagAxis ? "Other tags" : "All tags");
  return [{ key: COMPARE_CARD, title: names.join(" vs "), tags: [...compare], compare: true }, ...rest];
}

function planTagCards(mode: Mode, x: Axis, y: Axis, tags: readonly string[], allTitle: string): CardPlan[] {
  if (!tags.length) return [];
  if (mode === "grid" && (x === "tag" || y === "tag")) return [{ key: ALL_TAGS_CARD, title: allTitle, tags: [...tags] }];
  return tags.map((t) => ({ key: t, title: t, tags: [t] }));
}

/** The address of the cell where `values` (a row's and a column's) meet, or null if incomplete. */
export function cellAddress(fixed: Fixed, ...values: AxisValue[]): CellAddress | null {
  let { run, tag, step, index } = fixed;
  for (const v of values) {
    if (v.run !== undefined) run = v.run;
    if (v.tag !== undefined) tag = v.tag;
    if (v.step !== undefined) step = v.step;
    if (v.index !== undefined) index = v.index;
  }
  if (run === null || tag === null || step === null) return null;
  return { run, tag, step, index };
}

/** Columns that fit in `width` px beside a `labelWidth` px row-label column; at least one. */
export function columnsThatFit(width: number, labelWidth: number, cell: number, gap: number): number {
  return Math.max(1, Math.floor((width - labelWidth + gap) / (cell + gap)));
}

/** Each value once per tag, side by side: the columns of a comparison card. */
export function pairByTag(values: readonly AxisValue[], tags: readonly string[]): AxisValue[] {
  const names = shortTagNames(tags);
  const out: AxisValue[] = [];
  for (const v of values) tags.forEach((tag, i) => out.push({ ...v, tag, sub: names[i], groupStart: i === 0 }));
  return out;
}

/** Tag names without the path they share ("seg/prediction", "seg/ground_truth" -> "prediction", "ground_truth"). */
export function shortTagNames(tags: readonly string[]): string[] {
  if (tags.length < 2) return [...tags];
  const parts = tags.map((t) => t.split("/"));
  let common = 0;
  while (parts.every((p) => p.length > common + 1 && p[common] === parts[0][common])) common++;
  return parts.map((p) => p.slice(common).join("/"));
}

const PREDICTED = /^(pred|preds|prediction|predictions|predicted|output|outputs|recon|reconstruction)$/i;
const TRUTH = /^(gt|ground_?truth|truth|true|target|targets|label|labels|input|inputs|original)$/i;

/**
 * Pairs of tags that differ only in a last path part naming a prediction and its ground truth
 * (`seg/prediction` and `seg/ground_truth`, `val/pred` and `val/gt`, `recon` and `input`),
 * offered as one-click comparisons. Predicted first.
 */
export function suggestPairs(tags: readonly string[]): [string, string][] {
  const split = (t: string): [string, string] => {
    const i = t.lastIndexOf("/");
    return i < 0 ? ["", t] : [t.slice(0, i), t.slice(i + 1)];
  };
  const byPrefix = new Map<string, { pred?: string; truth?: string }>();
  for (const t of tags) {
    const [prefix, last] = split(t);
    const slot = byPrefix.get(prefix) ?? {};
    if (PREDICTED.test(last)) slot.pred ??= t;
    else if (TRUTH.test(last)) slot.truth ??= t;
    byPrefix.set(prefix, slot);
  }
  const out: [string, string][] = [];
  for (const { pred, truth } of byPrefix.values()) if (pred && truth) out.push([pred, truth]);
  return out;
}
