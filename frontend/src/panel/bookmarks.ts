// Bookmarks: cells marked while reviewing (`b` over a cell), kept in the link (`marks`), listed
// in the toolbar's "Bookmarks" dialog, from where a click goes back to one or pins it (or all of
// them) into the Compare view. The store alone writes them; cells show theirs by a style rule.
import type { CellKey } from "../state/cells";
import { MAX_CELL_KEYS, sameCell } from "../state/cells";
import type { Store } from "../state/store";
import { titleOf } from "../viewers/fullscreen";
import { placeBeside } from "../viewers/viewer-chrome";
import { closesOnEscapeOrOutside, displayText, h } from "./dom";
import { MAX_PINS, isPinned, pinCell } from "./pins";

/** The element of a cell (grid, Compare view or full screen) that holds `el`: what it shows, by its data attributes. */
export function cellKeyAt(el: Element | null): CellKey | null {
  const cell = el?.closest<HTMLElement>("[data-run][data-tag][data-step][data-index]");
  if (!cell) return null;
  const { run, tag, step, index } = cell.dataset;
  // An empty cell has no step ("" until an item is shown): nothing to mark.
  if (run === undefined || tag === undefined || !/^-?\d+$/.test(step ?? "") || !/^\d+$/.test(index ?? "")) return null;
  return { run, tag, step: Number(step), index: Number(index) };
}

/** `list` with `key` removed when it is there, else added at the end; null when the list is full. */
export function toggleBookmark(list: readonly CellKey[], key: CellKey): CellKey[] | null {
  if (list.some((k) => sameCell(k, key))) return list.filter((k) => !sameCell(k, key));
  if (list.length >= MAX_CELL_KEYS) return null;
  return [...list, { run: key.run, tag: key.tag, step: key.step, index: key.index }];
}

/** `text` as a quoted CSS string: logged names, so quotes, backslashes and line breaks are escaped. */
function cssString(text: string): string {
  return `"${text.replace(/["\\\n\r\f]/g, (c) => `\\${c.charCodeAt(0).toString(16)} `)}"`;
}

/** A selector for the grid cells showing `key`. */
export function cellSelector(key: CellKey): string {
  return `.mp-cell[data-run=${cssString(key.run)}][data-tag=${cssString(key.tag)}][data-step="${key.step}"][data-index="${key.index}"]`;
}

/** A bookmarked cell's mark: a folded corner at its top left. */
const MARK = "content: ''; position: absolute; left: 0; top: 0; z-index: 3; pointer-events: none; border-style: solid; "
  + "border-width: 16px 16px 0 0; border-color: #fbc02d transparent transparent transparent;";

/**
 * The style rules that mark bookmarked cells and the run under review, wherever the virtual
 * grids mount their cells (one rule per bookmark instead of a walk over the mounted cells).
 */
export function markRules(bookmarks: readonly CellKey[], run: string | null): string {
  const rules: string[] = [];
  if (bookmarks.length) rules.push(`${bookmarks.map((k) => `.mp-root ${cellSelector(k)}::before`).join(",\n")} { ${MARK} }`);
  if (run !== null) {
    const r = cssString(run);
    rules.push(`.mp-root .mp-cell[data-run=${r}] { outline: 2px solid var(--mp-accent); outline-offset: 1px; }`);
    rules.push(`.mp-root .mp-axis-run[data-value=${r}] { background: var(--mp-hover); box-shadow: inset 3px 0 var(--mp-accent); }`);
  }
  return rules.join("\n");
}

/** A cell flashes once, so the eye finds the one `b` marked or a bookmark went to. */
export function flash(cell: Element): void {
  cell.classList.remove("mp-mark-flash");
  void (cell as HTMLElement).offsetWidth; // a second press restarts the animation
  cell.classList.add("mp-mark-flash");
}

export interface BookmarkActions {
  /** Shows the bookmarked cell: its step, its run and its card. */
  jump(key: CellKey): void;
}

/** The toolbar's "Bookmarks" button and its dialog: the list, jump, remove, pin, pin all. */
export class BookmarkList {
  readonly button: HTMLButtonElement;
  readonly pop: HTMLElement;
  /** Says what `b` did (bookmarked or removed which cell), for a moment. */
  readonly status: HTMLElement;
  private readonly count: HTMLElement;
  private shown = false;
  private statusTimer = 0;

  constructor(private readonly store: Store, private readonly actions: BookmarkActions) {
    this.count = h("span", { class: "mp-bookmark-count" });
    this.button = h("button", {
      class: "mp-chip mp-bookmarks-btn", title: "Bookmarked cells (b over a cell bookmarks it)",
      "aria-label": "Bookmarks", "aria-haspopup": "dialog", "aria-expanded": "false",
    }, "Bookmarks", this.count);
    this.button.addEventListener("click", () => (this.shown ? this.close(false) : this.open()));
    this.pop = h("div", { class: "mp-card-menu mp-bookmarks", role: "dialog", "aria-label": "Bookmarks", popover: "manual", tabindex: -1 });
    closesOnEscapeOrOutside(this.pop, () => (this.shown ? this.button : null), (refocus) => this.close(refocus));
    this.status = h("div", { class: "mp-toast", role: "status" });
    this.status.hidden = true;
    this.update();
  }

  /** `b` over `cell` showing `key`: bookmarks it, or removes its bookmark; the cell flashes and the toast says which. */
  toggle(key: CellKey, cell: HTMLElement | null): void {
    const next = toggleBookmark(this.store.state.bookmarks, key);
    if (next === null) return this.say(`At most ${MAX_CELL_KEYS} bookmarks: remove one first`);
    const added = next.length > this.store.state.bookmarks.length;
    this.store.set({ bookmarks: next });
    this.say(`${added ? "Bookmarked" : "Bookmark removed"}: ${titleOf(key)}`);
    if (cell) flash(cell);
  }

  private say(text: string): void {
    this.status.textContent = displayText(text);
    this.status.hidden = false;
    window.clearTimeout(this.statusTimer);
    this.statusTimer = window.setTimeout(() => (this.status.hidden = true), 2500);
  }

  get isOpen(): boolean {
    return this.shown;
  }

  open(): void {
    this.shown = true;
    this.button.setAttribute("aria-expanded", "true");
    if (!this.pop.matches(":popover-open")) this.pop.showPopover();
    this.update();
    this.pop.querySelector<HTMLElement>("button")?.focus();
  }

  close(returnFocus: boolean): void {
    if (!this.shown) return;
    this.shown = false;
    this.button.setAttribute("aria-expanded", "false");
    if (this.pop.matches(":popover-open")) this.pop.hidePopover();
    this.pop.replaceChildren();
    if (returnFocus) this.button.focus();
  }

  /** The state changed (bookmarks or pins): the count, and the list when open. */
  update(): void {
    const marks = this.store.state.bookmarks;
    this.count.textContent = marks.length ? String(marks.length) : "";
    this.button.classList.toggle("on", marks.length > 0);
    if (!this.shown) return;
    const active = document.activeElement as HTMLElement | null;
    const focused = active && this.pop.contains(active) ? active.dataset.control : undefined;
    const rows: HTMLElement[] = [];
    if (!marks.length) {
      rows.push(h("div", { class: "mp-menu-line mp-field-label", text: "No bookmarks yet. Press b over a cell to bookmark it." }));
    }
    marks.forEach((key, i) => {
      const go = h("button", { class: "mp-link-btn mp-bookmark-go", text: titleOf(key), title: `Show ${titleOf(key)}`, "data-control": `go-${i}` });
      go.addEventListener("click", () => this.actions.jump(key));
      const pinned = isPinned(this.store, key);
      const pin = h("button", {
        class: `mp-chip${pinned ? " on" : ""}`, text: pinned ? "pinned" : "pin", "aria-pressed": String(pinned),
        title: "Pin into the Compare view", "data-control": `pin-${i}`,
      });
      pin.disabled = pinned || this.store.state.pins.length >= MAX_PINS;
      pin.addEventListener("click", () => pinCell(this.store, key));
      const remove = h("button", { class: "mp-icon-btn", text: "×", title: "Remove this bookmark", "aria-label": "Remove bookmark", "data-control": `remove-${i}` });
      remove.addEventListener("click", () => this.store.set({ bookmarks: this.store.state.bookmarks.filter((k) => !sameCell(k, key)) }));
      rows.push(h("div", { class: "mp-menu-line mp-bookmark", "data-bookmark": i }, go, pin, remove));
    });
    if (marks.length) {
      const all = h("button", { class: "mp-link-btn", text: "Pin all", title: `Pin every bookmark into the Compare view (up to ${MAX_PINS})`, "data-control": "pin-all" });
      all.disabled = marks.every((k) => isPinned(this.store, k));
      all.addEventListener("click", () => {
        for (const k of marks) if (!pinCell(this.store, k)) break;
        this.close(true); // the pins are in the Compare view now, which the list would cover
      });
      const clearAll = h("button", { class: "mp-link-btn", text: "Remove all", "data-control": "remove-all" });
      clearAll.addEventListener("click", () => this.store.set({ bookmarks: [] }));
      rows.push(h("div", { class: "mp-menu-line mp-menu-foot" }, all, clearAll));
    }
    this.pop.replaceChildren(...rows);
    // Focus stays in the list (a pin button just pressed is disabled now), so Escape still closes it.
    if (focused) (this.pop.querySelector<HTMLElement>(`[data-control="${focused}"]:not(:disabled)`) ?? this.pop).focus();
    const spot = placeBeside(this.button.getBoundingClientRect(), this.pop.offsetWidth, this.pop.offsetHeight, window.innerWidth, window.innerHeight);
    Object.assign(this.pop.style, { left: `${spot.left}px`, top: `${spot.top}px`, maxHeight: `${spot.maxHeight}px` });
  }
}
