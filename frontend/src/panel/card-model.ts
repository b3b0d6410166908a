// What one card shows, as a pure function of its plan, its layout settings, its data's
// dimensions and the width it has: sections, row/column (or tile) values, cell geometry, the
// info line and the signature that decides whether a built card can stay.
import type { Axis, GalleryBy, Mode } from "../state/settings";
import type { AxisValue, CardPlan, Dims } from "./layout";
import { axisValues, columnsThatFit, facetsByRun, pairByTag } from "./layout";
import { spreadSteps } from "./steps";
import { GROUP_GAP } from "./virtual-grid";

export const GAP = 4;
export const HEADER_H = 22;
/** Column labels of a comparison card carry a second line: the tag of each column. */
export const PAIR_HEADER_H = 36;
export const CAPTION_H = 18;
export const LABEL_W: Record<Axis, number> = { run: 150, tag: 170, step: 64, index: 48 };
/** A grid is narrower than its card: the body's side padding (styles.css) and its own scrollbar. */
export const GRID_INSET = 2 * 12 + 16;

/** The settings a card is laid out with. */
export interface CardLayoutSettings {
  mode: Mode;
  x: Axis;
  y: Axis;
  galleryBy: GalleryBy;
  cell: number;
  captions: boolean;
}

/** What the data holds for this card's tags in the shown runs. */
export interface CardData {
  /** Shown runs that logged any of the card's tags, in run-list order. */
  runs: string[];
  /** Every logged step of the card's tags and runs in the window, sorted. */
  steps: number[];
  /** Most items logged at one step by any of the card's tags. */
  maxItems: number;
  /** The tags' kind, or "mixed". */
  kind: string;
  /** Most steps any run logged for any of the card's tags. */
  stepTotal: number;
}

export interface CardInput {
  plan: CardPlan;
  layout: CardLayoutSettings;
  data: CardData;
  /** The card's width, and the page's (the most a card can be). */
  width: number;
  fullWidth: number;
  expanded: boolean;
  zoomed: boolean;
  /** Step columns spread to fit the width, rather than every step scrolled sideways. */
  spread?: boolean;
  /** The row labels' width the user dragged to, instead of the axis's default. */
  labelW?: number;
  /** The slider's step: spread columns always include it, so its column is never skipped. */
  current?: number | null;
}

export interface GridLayout {
  type: "grid";
  rows: AxisValue[];
  cols: AxisValue[];
  labelW: number;
  headerH: number;
  /** Columns per compared group. */
  group: number;
}

export interface GalleryLayout {
  type: "gallery";
  tiles: AxisValue[];
  perRow: number;
}

export interface SectionLayout {
  /** The run of a section faceted by run, else null. */
  run: string | null;
  /** The tag every cell shares, when the card has one. */
  tag: string | null;
  body: GridLayout | GalleryLayout;
}

export interface CardLayout {
  key: string;
  title: string;
  kind: string;
  info: string;
  cell: number;
  cellW: number;
  cellH: number;
  gap: number;
  expanded: boolean;
  sections: SectionLayout[];
  signature: string;
  /** Width set by the user, or null to fill the page. */
  width: number | null;
  fullWidth: number;
  compare?: string[];
  /** Axis values shown by the card, for tests and the signature. */
  dims: Dims;
  /** Steps across the columns: how many show of how many are logged, and whether spread to fit. */
  steps?: { shown: number; total: number; spread: boolean };
}

/** A gallery tile's caption: the value it stands for (and the compared tag). */
export function tileLabel(v: AxisValue | undefined): string {
  if (!v) return "";
  const base = v.step !== undefined ? `step ${v.step}` : v.label;
  return v.sub !== undefined ? `${base} · ${v.sub}` : base;
}

/** Spread steps with the slider's `current` step (when logged) in place of the nearest one. */
function withCurrent(spread: number[], all: readonly number[], current: number | null): number[] {
  if (current === null || spread.length === all.length || spread.includes(current) || !all.includes(current)) return spread;
  let nearest = 0;
  for (let i = 1; i < spread.length; i++) if (Math.abs(spread[i] - current) < Math.abs(spread[nearest] - current)) nearest = i;
  const out = [...spread];
  out[nearest] = current;
  return out.sort((a, b) => a - b);
}

export function layoutCard(input: CardInput): CardLayout {
  const { plan, layout: s, data, width, fullWidth, expanded } = input;
  const cell = s.cell;
  const gallery = s.mode === "gallery";
  const cellH = cell + (s.captions ? CAPTION_H : 0) + (gallery ? CAPTION_H : 0);
  const labelW = gallery ? 0 : input.labelW ?? LABEL_W[s.y];
  // Steps across the x axis: every step of the window, scrolled sideways, or (spread) as many
  // as fit the width, evenly spread. Down the y axis or through a gallery: every step, scrolled.
  const pairs = plan.compare === true && (gallery || (s.x !== "tag" && s.y !== "tag"));
  const perStep = pairs ? plan.tags.length : 1;
  const stepCols = !gallery && s.x === "step";
  const stepCount = stepCols && input.spread
    ? Math.max(1, Math.floor(columnsThatFit(width - GRID_INSET - GAP, labelW, cell + (perStep > 1 ? GROUP_GAP / perStep : 0), GAP) / perStep))
    : Infinity;
  const dims: Dims = {
    runs: data.runs,
    tags: plan.tags,
    steps: withCurrent(spreadSteps(data.steps, stepCount), data.steps, input.current ?? null),
    indices: Array.from({ length: Math.max(1, data.maxItems) }, (_, i) => i),
  };
  const vals = (a: Axis) => axisValues(a, dims);
  const tag = plan.tags.length === 1 ? plan.tags[0] : null;
  // From the card's own layout, which may differ from the defaults the plan was made with.
  const facets: (string | null)[] = facetsByRun(s.mode, s.x, s.y, s.galleryBy) ? dims.runs : [null];
  const sections: SectionLayout[] = facets.map((run) => {
    if (gallery) {
      const values = vals(s.galleryBy);
      return { run, tag, body: { type: "gallery", tiles: pairs ? pairByTag(values, plan.tags) : values, perRow: columnsThatFit(width, 0, cell, GAP) } };
    }
    return {
      run, tag,
      body: {
        type: "grid", rows: vals(s.y), cols: pairs ? pairByTag(vals(s.x), plan.tags) : vals(s.x),
        labelW, headerH: pairs ? PAIR_HEADER_H : HEADER_H, group: pairs ? plan.tags.length : 1,
      },
    };
  });
  const runsWith = dims.runs.length;
  const info = `${runsWith} run${runsWith === 1 ? "" : "s"} · ${data.stepTotal} step${data.stepTotal === 1 ? "" : "s"}${input.zoomed ? " in window" : ""}`
    + (dims.indices.length > 1 ? ` · ${dims.indices.length} per step` : "");
  const explicitWidth = width < fullWidth ? width : null;
  const signature = JSON.stringify({
    key: plan.key, cell, cellH, mode: s.mode, x: s.x, y: s.y, by: s.galleryBy, expanded, width, explicitWidth, labelW, spread: input.spread,
    sections: sections.map((sec) => [sec.run, sec.body.type === "grid" ? [sec.body.rows.length, sec.body.cols.length] : sec.body.tiles.length]),
    dims, info,
  });
  return {
    key: plan.key, title: plan.title, kind: data.kind, info, cell, cellW: cell, cellH, gap: GAP, expanded, sections, signature,
    width: explicitWidth, fullWidth, compare: plan.compare ? plan.tags : undefined, dims,
    steps: stepCols ? { shown: dims.steps.length, total: Math.max(data.steps.length, data.stepTotal), spread: input.spread === true } : undefined,
  };
}

/** The card's title bar and a run's section title, in px (see styles.css). */
const CARD_HEAD_H = 40;
const SECTION_TITLE_H = 28;

/**
 * The cell size at which a full-screen card's grid fits `width` x `height` (the room below the
 * toolbar and slider): every column across, every row down when they fit at that size. Galleries
 * wrap their tiles, so the width alone sets theirs; step columns that scroll sideways, the rows.
 */
export function fullScreenCell(layout: CardLayout, width: number, height: number): number {
  const captions = layout.cellH - layout.cell;
  const scrolls = layout.steps !== undefined && !layout.steps.spread;
  const w = width - GRID_INSET;
  let h = height - CARD_HEAD_H - GRID_INSET;
  let rows = 0;
  let byWidth = Infinity;
  for (const sec of layout.sections) {
    if (layout.sections.length > 1) h -= SECTION_TITLE_H;
    if (sec.body.type === "gallery") {
      byWidth = Math.min(byWidth, w / Math.max(1, Math.min(sec.body.tiles.length, sec.body.perRow)) - GAP);
      rows += Math.ceil(sec.body.tiles.length / Math.max(1, sec.body.perRow));
      continue;
    }
    h -= sec.body.headerH;
    rows += sec.body.rows.length;
    // Step columns that scroll sideways (not spread to fit) need not all fit: one step's do.
    const across = scrolls ? Math.min(sec.body.cols.length, sec.body.group) : sec.body.cols.length;
    byWidth = Math.min(byWidth, (w - sec.body.labelW) / Math.max(1, across) - GAP);
  }
  const byHeight = h / Math.max(1, rows) - GAP - captions;
  return Math.floor(Math.min(byWidth, byHeight));
}
