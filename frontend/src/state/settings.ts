// The panel's view settings and their URL form: everything a shared link must reopen.
import { clampTo } from "../panel/dom";
import type { ViewerSettings } from "../viewers/types";
import { decodeView, encodeView, type ViewTransform } from "../viewers/view-transform";
import type { CompareSettings } from "../viewers/compare-modes";
import { compareDelta, defaultCompare, readCompare } from "../viewers/compare-modes";
import type { CellKey } from "./cells";
import { decodeCellKeys, encodeCellKeys } from "./cells";

export type Axis = "step" | "run" | "index" | "tag";
export type Mode = "grid" | "gallery";
export type GalleryBy = "step" | "index" | "run";

export const AXES: readonly Axis[] = ["step", "run", "index", "tag"];
export const GALLERY_BY: readonly GalleryBy[] = ["step", "index", "run"];

/** What one card sets for itself; the rest comes from the toolbar's defaults. */
export interface CardOverride {
  mode?: Mode;
  x?: Axis;
  y?: Axis;
  galleryBy?: GalleryBy;
  cell?: number;
  fit?: "fit" | "original";
  pixelated?: boolean;
  captions?: boolean;
  /** The card's own viewer settings (masks, camera sync …) instead of the grid-wide ones. */
  viewer?: ViewerSettings;
  /** Height of the card's body in CSS pixels (it scrolls inside), apart from its cell size. */
  height?: number;
}

export interface PanelState {
  mode: Mode;
  x: Axis;
  y: Axis;
  galleryBy: GalleryBy;
  /** The slider's step; null follows the latest logged step (so live runs keep scrolling). */
  step: number | null;
  /** Item index shown where index is not laid out on an axis. */
  index: number;
  /** Timeline zoom window [min, max] in steps; null shows every logged step. */
  zoom: [number, number] | null;
  runFilter: string;
  /** Runs switched off; stored this way round so runs that appear later are shown. */
  runsOff: string[];
  tagFilter: string;
  /** Cell edge in CSS pixels: the default of every card. */
  cell: number;
  /** Per-card layouts, by card key: what a card sets for itself over the defaults above. */
  cards: Record<string, CardOverride>;
  /** Card widths in CSS pixels set by dragging a card's corner; narrower cards sit side by side. */
  cardWidth: Record<string, number>;
  /** Tags compared side by side in one card (e.g. prediction next to ground truth); [] for none. */
  compare: string[];
  /** Card shown full screen, by card key. */
  expanded: string | null;
  fit: "fit" | "original";
  pixelated: boolean;
  captions: boolean;
  /** Step columns spread to fit the width (skipping steps), instead of every step scrolled sideways. */
  spread: boolean;
  /** Grid-wide viewer settings (mask toggles, camera sync …), owned by the viewers. */
  viewer: ViewerSettings;
  /** Cells pinned into the Compare view, in pin order. */
  pins: CellKey[];
  /** Cells bookmarked while reviewing (`b`), in the order they were marked. */
  bookmarks: CellKey[];
  /** Locked pan and zoom of each card's images, by card key (absent: every image fits its cell). */
  views: Record<string, ViewTransform>;
  /** The Compare view of the pins: open or not, its mode, A and B, the modes' settings. */
  compareView: CompareSettings;
  /** The run under review (↑/↓): its row is outlined, full screen shows it. */
  review: string | null;
}

export function defaultState(): PanelState {
  return {
    mode: "grid", x: "step", y: "run", galleryBy: "index", step: null, index: 0, zoom: null,
    runFilter: "", runsOff: [], tagFilter: "", cell: 128, cards: {}, cardWidth: {}, compare: [], expanded: null,
    fit: "fit", pixelated: false, captions: true, spread: false, viewer: {}, pins: [], bookmarks: [], views: {},
    compareView: defaultCompare(), review: null,
  };
}

/**
 * Every size the user sets, in px: the one source for the link's decoder, the sliders, the drag
 * handles and full screen.
 */
export const SIZES = {
  cell: { min: 48, max: 1024 },
  /** The cell-size sliders' range; a card's corner and full screen go on up to `cell.max`. */
  cellSlider: { min: 48, max: 512, step: 8 },
  cardWidth: { min: 240, max: 8192 },
  cardHeight: { min: 120, max: 8192 },
  /** The row-label column and the sidebar (kept in localStorage, see widths.ts). */
  labelWidth: { min: 40, max: 640 },
  sideWidth: { min: 180, max: 640 },
} as const;

export function clampCardHeight(px: number): number {
  return clampTo(px, SIZES.cardHeight);
}

/** A card's width, never wider than `room` (the page's width) when given. */
export function clampCardWidth(px: number, room: number = SIZES.cardWidth.max): number {
  return clampTo(px, { min: SIZES.cardWidth.min, max: Math.max(SIZES.cardWidth.min, Math.min(room, SIZES.cardWidth.max)) });
}

export function clampCell(px: number): number {
  return clampTo(px, SIZES.cell);
}

function isAxis(v: string | null): v is Axis {
  return v !== null && (AXES as readonly string[]).includes(v);
}

function intOrNull(v: string | null): number | null {
  if (v === null || !/^\d+$/.test(v)) return null;
  return Number(v);
}

function jsonObject(v: string | null): Record<string, unknown> | null {
  if (!v) return null;
  try {
    const parsed: unknown = JSON.parse(v);
    return parsed && typeof parsed === "object" && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** A card's override from a link; older links stored only its cell size, as a number. */
function decodeOverride(v: unknown): CardOverride {
  if (typeof v === "number") return { cell: clampCell(v) };
  if (!v || typeof v !== "object" || Array.isArray(v)) return {};
  const r = v as Record<string, unknown>;
  const o: CardOverride = {};
  if (r.mode === "grid" || r.mode === "gallery") o.mode = r.mode;
  if (typeof r.x === "string" && isAxis(r.x)) o.x = r.x;
  if (typeof r.y === "string" && isAxis(r.y)) o.y = r.y;
  if (o.x !== undefined && o.x === o.y) delete o.y;
  if (r.galleryBy === "step" || r.galleryBy === "index" || r.galleryBy === "run") o.galleryBy = r.galleryBy;
  if (typeof r.cell === "number" && Number.isFinite(r.cell)) o.cell = clampCell(r.cell);
  if (r.fit === "fit" || r.fit === "original") o.fit = r.fit;
  if (typeof r.pixelated === "boolean") o.pixelated = r.pixelated;
  if (typeof r.captions === "boolean") o.captions = r.captions;
  if (r.viewer && typeof r.viewer === "object" && !Array.isArray(r.viewer)) o.viewer = r.viewer as ViewerSettings;
  if (typeof r.height === "number" && Number.isFinite(r.height)) o.height = clampCardHeight(r.height);
  return o;
}

/** The layout and image settings of card `key`: its own where it set them, else the defaults. */
export function cardSettings(s: PanelState, key: string): Required<Omit<CardOverride, "height">> & { height: number | null } {
  const o = s.cards[key] ?? {};
  let x = o.x ?? s.x;
  let y = o.y ?? s.y;
  // An override of one axis onto the other default's value takes the free one for the other.
  if (x === y) {
    if (o.x !== undefined) y = o.x === s.x ? s.y : s.x;
    else x = o.y === s.y ? s.x : s.y;
  }
  return {
    mode: o.mode ?? s.mode, x, y, galleryBy: o.galleryBy ?? s.galleryBy, cell: o.cell ?? s.cell,
    fit: o.fit ?? s.fit, pixelated: o.pixelated ?? s.pixelated, captions: o.captions ?? s.captions,
    viewer: o.viewer ?? s.viewer, height: o.height ?? null,
  };
}

/** Only settings that differ from the defaults are written, so links stay short. */
export function encodeState(s: PanelState): string {
  const d = defaultState();
  const q = new URLSearchParams();
  if (s.mode !== d.mode) q.set("mode", s.mode);
  if (s.x !== d.x) q.set("x", s.x);
  if (s.y !== d.y) q.set("y", s.y);
  if (s.galleryBy !== d.galleryBy) q.set("by", s.galleryBy);
  if (s.step !== null) q.set("step", String(s.step));
  if (s.index !== d.index) q.set("index", String(s.index));
  if (s.zoom) q.set("zoom", `${s.zoom[0]}-${s.zoom[1]}`);
  if (s.runFilter) q.set("runs", s.runFilter);
  for (const r of s.runsOff) q.append("off", r);
  if (s.tagFilter) q.set("tags", s.tagFilter);
  if (s.cell !== d.cell) q.set("cell", String(s.cell));
  const cards = Object.entries(s.cards).filter(([, o]) => Object.keys(o).length);
  if (cards.length) q.set("cards", JSON.stringify(Object.fromEntries(cards)));
  if (Object.keys(s.cardWidth).length) q.set("widths", JSON.stringify(s.cardWidth));
  for (const t of s.compare) q.append("cmp", t);
  if (s.expanded !== null) q.set("expanded", s.expanded);
  if (s.fit !== d.fit) q.set("fit", s.fit);
  if (s.pixelated) q.set("pixelated", "1");
  if (!s.captions) q.set("captions", "0");
  if (s.spread) q.set("spread", "1");
  if (Object.keys(s.viewer).length) q.set("viewer", JSON.stringify(s.viewer));
  if (s.pins.length) q.set("pins", encodeCellKeys(s.pins));
  if (s.bookmarks.length) q.set("marks", encodeCellKeys(s.bookmarks));
  const views = Object.entries(s.views);
  if (views.length) q.set("view", JSON.stringify(Object.fromEntries(views.map(([k, t]) => [k, encodeView(t)]))));
  const cv = compareDelta(s.compareView);
  if (cv) q.set("cv", JSON.stringify(cv));
  if (s.review !== null) q.set("review", s.review);
  return q.toString();
}

/** Unknown or malformed values fall back to defaults: a hand-edited link never breaks the panel. */
export function decodeState(text: string): PanelState {
  const q = new URLSearchParams(text);
  const s = defaultState();
  const mode = q.get("mode");
  if (mode === "grid" || mode === "gallery") s.mode = mode;
  const x = q.get("x");
  const y = q.get("y");
  if (isAxis(x)) s.x = x;
  if (isAxis(y)) s.y = y;
  if (s.x === s.y) s.y = s.x === "run" ? "step" : "run";
  const by = q.get("by");
  if (by === "step" || by === "index" || by === "run") s.galleryBy = by;
  s.step = intOrNull(q.get("step"));
  s.index = intOrNull(q.get("index")) ?? 0;
  const zoom = /^(\d+)-(\d+)$/.exec(q.get("zoom") ?? "");
  if (zoom) {
    const a = Number(zoom[1]);
    const b = Number(zoom[2]);
    if (a <= b) s.zoom = [a, b];
  }
  s.runFilter = q.get("runs") ?? "";
  s.runsOff = q.getAll("off");
  s.tagFilter = q.get("tags") ?? "";
  const cell = intOrNull(q.get("cell"));
  if (cell !== null) s.cell = clampCell(cell);
  const cards = jsonObject(q.get("cards"));
  if (cards) {
    for (const [k, v] of Object.entries(cards)) {
      const o = decodeOverride(v);
      if (Object.keys(o).length) s.cards[k] = o;
    }
  }
  const widths = jsonObject(q.get("widths"));
  if (widths) {
    for (const [k, v] of Object.entries(widths)) if (typeof v === "number") s.cardWidth[k] = clampCardWidth(v);
  }
  s.compare = [...new Set(q.getAll("cmp"))];
  s.expanded = q.get("expanded");
  if (q.get("fit") === "original") s.fit = "original";
  s.pixelated = q.get("pixelated") === "1";
  s.captions = q.get("captions") !== "0";
  s.spread = q.get("spread") === "1";
  s.viewer = jsonObject(q.get("viewer")) ?? {};
  s.pins = decodeCellKeys(q.get("pins"));
  s.bookmarks = decodeCellKeys(q.get("marks"));
  for (const [k, v] of Object.entries(jsonObject(q.get("view")) ?? {})) {
    const t = decodeView(v);
    if (t) s.views[k] = t;
  }
  s.compareView = readCompare(jsonObject(q.get("cv")));
  s.review = q.get("review");
  return s;
}
