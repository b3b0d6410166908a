// A grid that only creates the cells (and row/column labels) inside the visible part of the
// page, so DOM nodes and requests scale with the screen, not with steps × runs. A grid much
// taller than the screen scrolls inside its card, so a thousand step rows never bury the other
// cards.
import { SIZES } from "../state/settings";
import type { ViewerSettings } from "../viewers/types";
import { Cell } from "./cell";
import type { CellEnv } from "./cell";
import { dragWidth, h } from "./dom";
import { exportVideoButton } from "./export-view";
import type { VideoSpan } from "./export-view";
import type { CellAddress } from "./layout";

export interface GridModel {
  rows: number;
  cols: number;
  cellW: number;
  cellH: number;
  gap: number;
  /** Width of the row-label column and height of the column-label row; 0 when absent. */
  labelW: number;
  headerH: number;
  /** Columns per group (compared tags of one value), set apart by a wider gap; 1 for none. */
  group?: number;
  rowLabel?(r: number): HTMLElement;
  colLabel?(c: number): HTMLElement;
  /** `slider` replaces the slider's step (to look ahead at a neighbouring step). */
  address(r: number, c: number, slider?: number | null): CellAddress | null;
  env(r: number, c: number): CellEnv;
  /** The column of the slider's step (kept wholly in view), or null when steps are not columns. */
  currentCol?(): number | null;
  /** The user dragged the row-label column to `px` wide (called once, on release). */
  labelWidth?(px: number): void;
}

/**
 * Extra rows/columns mounted beyond the visible edge, so small scrolls show ready cells. They
 * are mounted only once the visible cells have loaded, so they never delay what is on screen.
 */
const OVERSCAN = 1;
/** Extra space between column groups. */
export const GROUP_GAP = 14;
/** Room kept on screen above a grid that scrolls inside its card (toolbar, timeline, header). */
const SCREEN_MARGIN = 240;

interface Rect { left: number; top: number; right: number; bottom: number }

/** The part of a grid on screen, for "Download view as PNG" (export-view.ts). */
export interface GridView {
  rows: number[];
  cols: number[];
  cellW: number;
  cellH: number;
  rowLabels: boolean;
  colLabels: boolean;
  cell(r: number, c: number): HTMLElement | null;
  rowLabel(r: number): string;
  colLabel(c: number): string;
}

const GRIDS = new WeakMap<Element, VirtualGrid>();

/** The grid whose element is `el`. */
export function gridOf(el: Element): VirtualGrid | undefined {
  return GRIDS.get(el);
}

/** A label's words, without its controls' (play, export). */
function labelText(el: HTMLElement): string {
  const copy = el.cloneNode(true) as HTMLElement;
  for (const b of copy.querySelectorAll("button")) b.remove();
  return (copy.textContent ?? "").trim();
}

function intersect(a: Rect, b: Rect): Rect {
  return { left: Math.max(a.left, b.left), top: Math.max(a.top, b.top), right: Math.min(a.right, b.right), bottom: Math.min(a.bottom, b.bottom) };
}

export class VirtualGrid {
  readonly el: HTMLElement;
  private readonly labels: HTMLElement;
  /** Covers the row labels beside the pinned column labels of a grid scrolled inside its card. */
  private readonly corner: HTMLElement;
  private readonly scroller: HTMLElement;
  private readonly inner: HTMLElement;
  private readonly cells = new Map<string, Cell>();
  private readonly rowLabels = new Map<number, HTMLElement>();
  private readonly colLabels = new Map<number, HTMLElement>();
  /** "‹ 5" / "3 ›": columns scrolled out of view on either side, a click pages to them. */
  private readonly moreBefore: HTMLButtonElement;
  private readonly moreAfter: HTMLButtonElement;
  private moreShown = "";
  private waiting = false;
  private destroyed = false;

  constructor(private model: GridModel) {
    this.corner = h("div", { class: "mp-grid-corner" });
    this.labels = h("div", { class: "mp-grid-rowlabels" }, this.corner);
    this.inner = h("div", { class: "mp-grid-inner" });
    this.scroller = h("div", { class: "mp-grid-scroll mp-clip" }, h("div", { class: "mp-grid-plane" }, this.labels, this.inner));
    this.moreBefore = h("button", { type: "button", class: "mp-grid-more mp-grid-more-before", "data-control": "more-before" });
    this.moreAfter = h("button", { type: "button", class: "mp-grid-more mp-grid-more-after", "data-control": "more-after" });
    this.moreBefore.addEventListener("click", () => this.page(-1));
    this.moreAfter.addEventListener("click", () => this.page(1));
    this.el = h("div", { class: "mp-grid" }, this.scroller, this.moreBefore, this.moreAfter);
    GRIDS.set(this.el, this);
    this.scroller.addEventListener("scroll", () => this.updateVisible(), { passive: true });
    if (model.labelWidth && model.labelW > 0) {
      const handle = h("div", { class: "mp-label-resize", "aria-label": "Resize the row labels", title: "Drag to widen or narrow the row labels" });
      this.labels.append(handle);
      dragWidth(handle, SIZES.labelWidth, () => this.model.labelW, (px) => this.setLabelW(px), (px) => model.labelWidth?.(px));
    }
    this.applySize();
  }

  /** While the row labels are dragged: this grid follows at once; the panel re-lays out on release. */
  private setLabelW(px: number): void {
    this.model = { ...this.model, labelW: px };
    this.labels.style.width = `${px}px`;
    this.updateVisible();
  }

  /** The first column starting at or after `x` (px from the grid's left edge); `cols` past the last. */
  private colFrom(x: number): number {
    const c = Math.max(0, this.colAt(x));
    return c < this.model.cols && this.colLeft(c) < x ? c + 1 : c;
  }

  /**
   * Scrolls sideways just enough for the current step's column to be wholly in view, stopping at
   * a column's edge: no sliver of a cut column beside the row labels (the latest step is the last
   * column, so the grid gets up to a column of room after it to stop there).
   */
  revealCurrent(): void {
    const m = this.model;
    const sc = this.scroller;
    const view = sc.clientWidth - m.labelW; // what the cells show beside the pinned labels
    const over = this.width() - view;
    const stop = over > 0 && view > 0 ? this.colFrom(over) : 0;
    this.inner.style.width = `${Math.max(this.width(), stop < m.cols ? this.colLeft(stop) + view : 0)}px`;
    const c = m.currentCol?.() ?? null;
    if (c === null || c < 0 || c >= m.cols) return;
    // Scroll coordinates of the cells: scrollLeft is the first x beside the labels.
    const left = this.colLeft(c);
    const right = left + m.cellW;
    if (left - m.gap < sc.scrollLeft) sc.scrollLeft = Math.max(0, left - m.gap);
    else if (right + m.gap > sc.scrollLeft + view) {
      const k = this.colFrom(right + m.gap - view);
      sc.scrollLeft = k <= c ? this.colLeft(k) : right + m.gap - view;
    }
  }

  private applySize(): void {
    const m = this.model;
    const height = m.headerH + m.rows * (m.cellH + m.gap);
    this.labels.style.width = `${m.labelW}px`;
    this.labels.style.height = `${height}px`;
    this.labels.hidden = m.labelW === 0;
    this.corner.style.height = `${m.headerH}px`;
    this.inner.style.width = `${this.width()}px`;
    this.inner.style.height = `${height}px`;
    const screen = this.el.ownerDocument.defaultView?.innerHeight ?? 800;
    const limit = Math.max(2 * (m.cellH + m.gap) + m.headerH, screen - SCREEN_MARGIN);
    // A grid up to two screens tall scrolls with the page; a taller one inside its card.
    const tall = height > 2 * limit;
    this.scroller.style.maxHeight = tall ? `${limit}px` : "";
    this.el.classList.toggle("mp-grid-tall", tall);
  }

  private colLeft(c: number): number {
    const m = this.model;
    const group = Math.max(1, m.group ?? 1);
    return c * (m.cellW + m.gap) + (group > 1 ? Math.floor(c / group) * GROUP_GAP : 0);
  }

  private width(): number {
    const m = this.model;
    return m.cols ? this.colLeft(m.cols - 1) + m.cellW + m.gap : 0;
  }

  /** The column under x (px from the grid's left edge); a gap counts with the column before it. */
  private colAt(x: number): number {
    const m = this.model;
    const group = Math.max(1, m.group ?? 1);
    const pw = m.cellW + m.gap;
    if (group === 1) return Math.floor(x / pw);
    const gw = group * pw + GROUP_GAP;
    const g = Math.floor(x / gw);
    return g * group + Math.min(group - 1, Math.floor((x - g * gw) / pw));
  }

  /** Cells currently in the DOM (for tests of boundedness and for the panel's bookkeeping). */
  get mounted(): Cell[] {
    return [...this.cells.values()];
  }

  /** Which rows/columns intersect the visible part of the page, widened by `overscan`. */
  visibleRange(overscan = OVERSCAN): { r0: number; r1: number; c0: number; c1: number } | null {
    const m = this.model;
    if (!this.el.isConnected || !m.rows || !m.cols) return null;
    const win = this.inner.ownerDocument.defaultView;
    let clip: Rect = { left: 0, top: 0, right: win?.innerWidth ?? 0, bottom: win?.innerHeight ?? 0 };
    for (let p: HTMLElement | null = this.scroller; p; p = p.parentElement) {
      if (p.classList.contains("mp-clip")) clip = intersect(clip, p.getBoundingClientRect());
    }
    const box = this.inner.getBoundingClientRect();
    const x0 = clip.left - box.left;
    const x1 = clip.right - box.left;
    const y0 = clip.top - box.top - m.headerH;
    const y1 = clip.bottom - box.top - m.headerH;
    if (x1 <= 0 || y1 <= 0 || x0 >= this.width() || y0 >= m.rows * (m.cellH + m.gap)) return null;
    const ph = m.cellH + m.gap;
    return {
      r0: Math.max(0, Math.floor(y0 / ph) - overscan),
      r1: Math.min(m.rows - 1, Math.floor(Math.max(y1 - 1, 0) / ph) + overscan),
      c0: Math.max(0, this.colAt(x0) - overscan),
      c1: Math.min(m.cols - 1, this.colAt(Math.max(x1 - 1, 0)) + overscan),
    };
  }

  private mount(r: number, c: number, keep: Set<string>): Cell | null {
    const m = this.model;
    const addr = m.address(r, c);
    if (!addr) return null;
    const key = `${r},${c}`;
    keep.add(key);
    const existing = this.cells.get(key);
    if (existing) return existing;
    const cell = new Cell(m.env(r, c), addr);
    cell.el.dataset.row = String(r);
    cell.el.dataset.col = String(c);
    Object.assign(cell.el.style, {
      left: `${this.colLeft(c)}px`, top: `${m.headerH + r * (m.cellH + m.gap)}px`,
      width: `${m.cellW}px`, height: `${m.cellH}px`,
    });
    this.cells.set(key, cell);
    this.inner.append(cell.el);
    return cell;
  }

  updateVisible(): void {
    if (this.destroyed) return;
    const m = this.model;
    const range = this.visibleRange();
    const seen = this.visibleRange(0);
    const keep = new Set<string>();
    const keepRows = new Set<number>();
    const keepCols = new Set<number>();
    const onScreen: Cell[] = [];
    if (seen) {
      for (let r = seen.r0; r <= seen.r1; r++) {
        for (let c = seen.c0; c <= seen.c1; c++) {
          const cell = this.mount(r, c, keep);
          if (cell) onScreen.push(cell);
        }
      }
    }
    const loading = onScreen.filter((c) => c.el.dataset.state === "loading");
    if (range) {
      for (let r = range.r0; r <= range.r1; r++) keepRows.add(r);
      for (let c = range.c0; c <= range.c1; c++) keepCols.add(c);
      for (let r = range.r0; r <= range.r1; r++) {
        for (let c = range.c0; c <= range.c1; c++) {
          const key = `${r},${c}`;
          // Overscan cells already mounted stay; new ones wait until the screen has loaded.
          if (this.cells.has(key)) keep.add(key);
          else if (!loading.length) this.mount(r, c, keep);
        }
      }
    }
    if (loading.length && !this.waiting) {
      this.waiting = true;
      void Promise.all(loading.map((c) => c.ready)).then(() => {
        this.waiting = false;
        this.updateVisible();
      });
    }
    for (const [key, cell] of this.cells) {
      if (!keep.has(key)) {
        cell.destroy();
        this.cells.delete(key);
      }
    }
    if (m.rowLabel) this.syncLabels(this.rowLabels, keepRows, this.labels, (r) => {
      const el = m.rowLabel!(r);
      Object.assign(el.style, { top: `${m.headerH + r * (m.cellH + m.gap)}px`, height: `${m.cellH}px` });
      return this.withExport(el, "row", r);
    });
    if (m.colLabel) this.syncLabels(this.colLabels, keepCols, this.inner, (c) => {
      const el = m.colLabel!(c);
      Object.assign(el.style, { left: `${this.colLeft(c)}px`, width: `${m.cellW}px`, height: `${m.headerH}px` });
      return this.withExport(el, "col", c);
    });
    // A grid scrolling inside its card keeps its column labels at the top of what is shown;
    // one scrolling with the page keeps them under its card's pinned header.
    let pin = this.el.classList.contains("mp-grid-tall") ? this.scroller.scrollTop : 0;
    const header = this.el.closest(".mp-card")?.querySelector(".mp-card-header");
    if (!pin && header && m.headerH && this.el.isConnected) {
      const below = header.getBoundingClientRect().bottom - this.inner.getBoundingClientRect().top;
      pin = Math.max(0, Math.min(below, m.rows * (m.cellH + m.gap) - m.cellH));
    }
    for (const el of [this.corner, ...this.colLabels.values(), this.moreBefore, this.moreAfter]) el.style.transform = pin ? `translateY(${pin}px)` : "";
    this.el.classList.toggle("mp-grid-pinned", pin > 0);
    this.updateMore();
  }

  /** The columns out of view on each side (a scrollbar may not show: overlay scrollbars, touch). */
  private hiddenCols(): [number, number] {
    const m = this.model;
    const sc = this.scroller;
    const view = sc.clientWidth - m.labelW;
    if (!m.cols || view <= 0 || this.width() <= view + 1) return [0, 0];
    const before = this.colFrom(sc.scrollLeft);
    const end = sc.scrollLeft + view;
    const c = Math.min(m.cols - 1, this.colAt(end));
    const after = m.cols - (this.colLeft(c) + m.cellW <= end + 0.5 ? c + 1 : c);
    return [before, Math.max(0, after)];
  }

  private updateMore(): void {
    const [before, after] = this.hiddenCols();
    const m = this.model;
    // Called on every scroll event: the chips are written only when what they say changes.
    const shown = `${before},${after},${m.labelW},${m.headerH}`;
    if (shown === this.moreShown) return;
    this.moreShown = shown;
    const set = (b: HTMLButtonElement, n: number, side: string, text: string) => {
      b.hidden = n === 0 || m.headerH === 0;
      if (b.hidden) return;
      b.textContent = text;
      b.title = `${n} more column${n === 1 ? "" : "s"} to the ${side}: click, or scroll sideways`;
      b.setAttribute("aria-label", `Show ${n} more column${n === 1 ? "" : "s"} to the ${side}`);
    };
    set(this.moreBefore, before, "left", `‹ ${before}`);
    set(this.moreAfter, after, "right", `${after} ›`);
    // In the corner above the row labels when there is room, else over the first column's label.
    const inCorner = m.labelW >= 48;
    this.moreBefore.style.left = inCorner ? "" : `${m.labelW + 2}px`;
    this.moreBefore.style.right = inCorner ? `calc(100% - ${m.labelW - 4}px)` : "";
  }

  /** Scrolls a screenful of columns sideways, stopping at a column's edge. */
  private page(direction: -1 | 1): void {
    const m = this.model;
    const sc = this.scroller;
    const view = sc.clientWidth - m.labelW;
    const cols = Math.max(1, Math.floor(view / (m.cellW + m.gap)));
    const first = this.colFrom(sc.scrollLeft);
    const to = Math.min(Math.max(0, first + direction * cols), m.cols - 1);
    sc.scrollLeft = Math.max(0, this.colLeft(to) - (to > 0 ? 0 : m.gap));
  }

  private syncLabels(map: Map<number, HTMLElement>, keep: Set<number>, parent: HTMLElement, make: (i: number) => HTMLElement): void {
    for (const [i, el] of map) {
      if (!keep.has(i)) {
        el.remove();
        map.delete(i);
      }
    }
    for (const i of keep) {
      if (map.has(i)) continue;
      const el = make(i);
      map.set(i, el);
      parent.append(el);
    }
  }

  /** The fixed dimensions changed (e.g. the slider's step): every mounted cell re-resolves in place. */
  readdress(): void {
    for (const [key, cell] of this.cells) {
      const [r, c] = key.split(",").map(Number);
      const addr = this.model.address(r, c);
      if (addr) cell.setAddress(addr);
    }
  }

  /** Labels depend on the slider (the current step's column is highlighted): rebuild them. */
  refreshLabels(): void {
    for (const el of this.rowLabels.values()) el.remove();
    for (const el of this.colLabels.values()) el.remove();
    this.rowLabels.clear();
    this.colLabels.clear();
    this.revealCurrent();
    this.updateVisible();
  }

  /** Where the mounted cells would point if the slider were at `slider` (for prefetching). */
  addressesAt(slider: number): CellAddress[] {
    const out: CellAddress[] = [];
    for (const [key, cell] of this.cells) {
      const [r, c] = key.split(",").map(Number);
      const addr = this.model.address(r, c, slider);
      // Cells whose step is on an axis do not move with the slider.
      if (addr && addr.step !== cell.address.step) out.push(addr);
    }
    return out;
  }

  /** Settles once every mounted cell has shown its current address. */
  async settled(): Promise<void> {
    await Promise.all([...this.cells.values()].map((c) => c.ready));
  }

  reloadCells(): void {
    for (const cell of this.cells.values()) cell.reload();
  }

  updateSettings(settings: ViewerSettings): void {
    for (const cell of this.cells.values()) cell.update(settings);
  }

  /** What is on screen: the visible rows and columns, their mounted cells and label words. */
  view(): GridView | null {
    const m = this.model;
    const range = this.visibleRange(0);
    if (!range) return null;
    const span = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);
    return {
      rows: span(range.r0, range.r1), cols: span(range.c0, range.c1), cellW: m.cellW, cellH: m.cellH,
      rowLabels: !!m.rowLabel && m.labelW > 0, colLabels: !!m.colLabel && m.headerH > 0,
      cell: (r, c) => this.cells.get(`${r},${c}`)?.el ?? null,
      rowLabel: (r) => (m.rowLabel ? labelText(this.rowLabels.get(r) ?? m.rowLabel(r)) : ""),
      colLabel: (c) => (m.colLabel ? labelText(this.colLabels.get(c) ?? m.colLabel(c)) : ""),
    };
  }

  /** A row or column over the steps of one series of images or videos gets "Export as video". */
  private withExport(el: HTMLElement, axis: "row" | "col", i: number): HTMLElement {
    const span = this.seriesAlong(axis, i);
    if (!span) return el;
    const env = axis === "row" ? this.model.env(i, 0) : this.model.env(0, i);
    const cells = () => [...this.cells.entries()].filter(([k]) => Number(k.split(",")[axis === "row" ? 0 : 1]) === i).map(([, c]) => c.el);
    const annotated = () => cells().some((c) => c.querySelector(".ai-stage canvas, .ai-box") !== null);
    el.append(exportVideoButton(env.data.api, span, annotated));
    return el;
  }

  /** The one series (run, tag, index) a row or column runs over, with its first and last step,
   * when its cells are that series at different steps and it holds images or videos. */
  private seriesAlong(axis: "row" | "col", i: number): VideoSpan | null {
    const m = this.model;
    const n = axis === "row" ? m.cols : m.rows;
    if (n < 2 || (m.group ?? 1) > 1) return null;
    let first: CellAddress | null = null;
    let from = Infinity;
    let to = -Infinity;
    for (let k = 0; k < n; k++) {
      const a = axis === "row" ? m.address(i, k) : m.address(k, i);
      if (!a) return null;
      first ??= a;
      if (a.run !== first.run || a.tag !== first.tag || a.index !== first.index) return null;
      from = Math.min(from, a.step);
      to = Math.max(to, a.step);
    }
    if (!first || from === to) return null;
    const kind = (axis === "row" ? m.env(i, 0) : m.env(0, i)).data.tags.get(first.tag)?.kind;
    if (kind !== "image" && kind !== "video") return null;
    return { run: first.run, tag: first.tag, index: first.index, from, to };
  }

  /**
   * Scrolls the first cell whose address `match`es into view, in the grid and the page alike
   * (it need not be mounted: the scroll mounts it); false when no cell matches.
   */
  reveal(match: (a: CellAddress) => boolean): boolean {
    const m = this.model;
    // Rows and columns on screen first: the run's row at the steps shown, not at the first step.
    const seen = this.visibleRange(0);
    const order = (n: number, a = 0, b = -1) => {
      const all = [...Array(n).keys()];
      return [...all.slice(a, b + 1), ...all.filter((i) => i < a || i > b)];
    };
    // Among the columns, the current step's first, then those wholly in view (not one half under
    // the row labels: revealing it would scroll the grid sideways, off the current step).
    const whole = seen ? Math.max(seen.c0, this.colFrom(this.scroller.scrollLeft)) : 0;
    const cur = m.currentCol?.() ?? -1;
    const cols = [...new Set([...(cur >= 0 && cur < m.cols ? [cur] : []), ...order(m.cols, whole, seen?.c1)])];
    for (const r of order(m.rows, seen?.r0, seen?.r1)) {
      for (const c of cols) {
        const a = m.address(r, c);
        if (!a || !match(a)) continue;
        const spot = h("div", { class: "mp-reveal" });
        Object.assign(spot.style, {
          position: "absolute", pointerEvents: "none", left: `${this.colLeft(c)}px`, top: `${m.headerH + r * (m.cellH + m.gap)}px`,
          width: `${m.cellW}px`, height: `${m.cellH}px`,
          // Clear of the pinned card header, column labels and row labels.
          scrollMargin: `${m.headerH + 48}px 8px 8px ${m.labelW + 8}px`,
        });
        this.inner.append(spot);
        spot.scrollIntoView({ block: "nearest", inline: "nearest" });
        spot.remove();
        return true;
      }
    }
    return false;
  }

  /** Cells of row r that are mounted (to play a row of videos together). */
  rowCells(r: number): Cell[] {
    return [...this.cells.entries()].filter(([k]) => Number(k.split(",")[0]) === r).map(([, c]) => c);
  }

  destroy(): void {
    this.destroyed = true;
    for (const cell of this.cells.values()) cell.destroy();
    this.cells.clear();
    this.el.remove();
  }
}
