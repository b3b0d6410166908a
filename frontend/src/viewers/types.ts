// The viewer contract: the panel asks the registry for a viewer by media kind and mounts it in a cell.
import type { ItemMeta, ItemRef, PointArray } from "../api-types";

/** URLs and fetches of one item's payloads; the panel's api module implements it. */
export interface ItemSource {
  dataUrl(ref: ItemRef): string;                       // payload bytes (image, video, audio, 3D file, molecule text)
  downloadUrl(ref: ItemRef): string;                   // the same bytes as an attachment, for Download links
  htmlUrl(ref: ItemRef): string;                       // logged HTML on its sandboxed route
  fetchData(ref: ItemRef, signal?: AbortSignal): Promise<ArrayBuffer>;
  fetchMask(ref: ItemRef, layer: string, signal?: AbortSignal): Promise<Uint16Array>;      // class id per pixel, row-major
  fetchPoints(ref: ItemRef, array: PointArray, signal?: AbortSignal): Promise<ArrayBuffer>; // little-endian typed array
  fetchHeatmap(ref: ItemRef, layer: string, signal?: AbortSignal): Promise<ArrayBuffer>;    // raw H×W values ("" = the item's own)
}

/** Grid-wide viewer settings (mask/box toggles, 3D camera sync ...). Viewers read their own keys. */
export type ViewerSettings = Record<string, unknown>;

/** The panel's slider and runs, for a view that moves on its own (full screen). */
export interface ItemNavigator {
  /** The slider's step, null before any data. */
  current(): number | null;
  stepBy(direction: -1 | 1): void;
  /** Puts the slider on `step` (a full-screen view opened on a cell of another step). */
  setStep(step: number): void;
  /** Calls back when the slider, the run under review or the grid-wide viewer settings changed; returns the unsubscribe. */
  subscribe(fn: (what: "step" | "run" | "settings") => void): () => void;
  settings(): ViewerSettings;
  /** Shown runs, in the panel's order. */
  runs(): readonly string[];
  /** The run under review: one for the grid (↑/↓ highlight its row) and the full-screen view. */
  currentRun(): string | null;
  setRun(run: string): void;
  /** The previous or next run (↑/↓, the full-screen view's run buttons). */
  runBy(direction: -1 | 1): void;
  /** The item of `tag` #`index` in `run` at `step` or the nearest earlier one; null when none. */
  item(run: string, tag: string, step: number, index: number): Promise<{ ref: ItemRef; meta: ItemMeta } | null>;
}

export interface ViewerContext {
  source: ItemSource;
  settings: ViewerSettings;
  /** A viewer changes a grid-wide setting (e.g. toggles a class); the panel re-applies it to every cell. */
  setSettings(patch: ViewerSettings): void;
  signal: AbortSignal;
  /** Items of other tags at the same run and step, for overlays (molecules, 3D). */
  overlays?: { ref: ItemRef; meta: ItemMeta }[];
  /** Given by the panel: the full-screen view follows the slider and steps through runs with it. */
  nav?: ItemNavigator;
}

export interface ViewerInstance {
  /** Settings changed: apply without refetching pixels. */
  update?(settings: ViewerSettings): void;
  /** The cell was resized. */
  resize?(width: number, height: number): void;
  destroy(): void;
}

export interface Viewer {
  mount(el: HTMLElement, ref: ItemRef, meta: ItemMeta, ctx: ViewerContext): Promise<ViewerInstance>;
}

/** Viewers are loaded lazily, so heavy libraries (three.js, 3Dmol) stay out of the first bundle. */
export type ViewerLoader = () => Promise<Viewer>;
