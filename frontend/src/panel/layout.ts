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
  /** One section per run when run is on no axis (each labelled with its run), else a single one. */
  facetByRun: boolean;
}

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

/** Cards: one per tag, or a single card when tag is laid out on an axis. */
export function planCards(mode: Mode, x: Axis, y: Axis, by: GalleryBy, tags: readonly string[]): CardPlan[] {
  if (!tags.length) return [];
  if (mode === "grid") {
    const facetByRun = x !== "run" && y !== "run";
    if (x === "tag" || y === "tag") return [{ key: ALL_TAGS_CARD, title: "All tags", tags: [...tags], facetByRun }];
    return tags.map((t) => ({ key: t, title: t, tags: [t], facetByRun }));
  }
  return tags.map((t) => ({ key: t, title: t, tags: [t], facetByRun: by !== "run" }));
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

export interface GridSpec {
  rows: AxisValue[];
  cols: AxisValue[];
}

export function gridSpec(x: Axis, y: Axis, dims: Dims): GridSpec {
  return { rows: axisValues(y, dims), cols: axisValues(x, dims) };
}

/** Gallery: tiles in reading order, each labelled, wrapped into `perRow` columns. */
export function galleryTiles(by: GalleryBy, dims: Dims): AxisValue[] {
  return axisValues(by, dims);
}

/** Columns that fit in `width` px beside a `labelWidth` px row-label column; at least one. */
export function columnsThatFit(width: number, labelWidth: number, cell: number, gap: number): number {
  return Math.max(1, Math.floor((width - labelWidth + gap) / (cell + gap)));
}
