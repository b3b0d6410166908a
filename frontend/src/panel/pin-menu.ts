// The pin control of every cell: a button in the cell's top-left corner that opens one dialog
// for the panel (like the card layout menu): pin or unpin the cell for the Compare view, or
// compare it at once with the same cell at the previous logged step or in the next shown run.
import type { CellKey } from "../state/cells";
import { sameCell } from "../state/cells";
import type { Store } from "../state/store";
import { icon } from "../viewers/icons";
import { placeBeside } from "../viewers/viewer-chrome";
import { closesOnEscapeOrOutside, h } from "./dom";
import { MAX_PINS, isPinned, pinCell, togglePin } from "./pins";

export interface PinMenuEnv {
  store: Store;
  /** The logged step of (run, tag) before `step` (the nearest earlier one), null when none. */
  previousStep(run: string, tag: string, step: number): Promise<number | null>;
  /** The next shown run after `run` (wrapping round) with `tag` at or before `step`, and that step. */
  nextRun(run: string, tag: string, step: number): Promise<{ run: string; step: number } | null>;
}

export function pinLabel(k: CellKey): string {
  return `${k.run} · ${k.tag} · step ${k.step}${k.index ? ` · #${k.index}` : ""}`;
}

interface PinButton {
  el: HTMLButtonElement;
  key(): CellKey | null;
}

export class PinMenu {
  readonly pop: HTMLElement;
  private readonly buttons = new Set<PinButton>();
  private openFor: { key: CellKey; button: HTMLButtonElement } | null = null;
  private token = 0;
  private frame = 0;

  constructor(private readonly env: PinMenuEnv) {
    this.pop = h("div", { class: "mp-card-menu mp-pin-menu", role: "dialog", popover: "manual", "aria-label": "Pin to compare" });
    closesOnEscapeOrOutside(this.pop, () => this.openFor?.button, (refocus) => this.close(refocus));
  }

  /** A cell's pin button; `key` says what the cell shows now (null while it shows nothing). */
  button(key: () => CellKey | null): { el: HTMLButtonElement; refresh(): void; release(): void } {
    const el = h("button", {
      type: "button", class: "mp-pin-btn", "aria-haspopup": "dialog", "aria-expanded": "false",
      "aria-label": "Pin to compare", title: "Pin this cell to the Compare view, or compare it with another step or run",
      "data-control": "pin",
    });
    el.append(icon("pin", 14));
    const b: PinButton = { el, key };
    el.addEventListener("click", (e) => {
      e.stopPropagation();
      const k = key();
      if (!k) return;
      if (this.openFor?.button === el) this.close(false);
      else this.open(k, el);
    });
    this.buttons.add(b);
    this.mark(b);
    return { el, refresh: () => this.mark(b), release: () => this.buttons.delete(b) };
  }

  /** The pins changed: every cell's button shows whether its cell is pinned. */
  refresh(): void {
    for (const b of this.buttons) this.mark(b);
    if (this.openFor) this.fill();
  }

  private mark(b: PinButton): void {
    const k = b.key();
    const on = k !== null && isPinned(this.env.store, k);
    b.el.hidden = k === null;
    b.el.setAttribute("aria-pressed", String(on));
    b.el.classList.toggle("on", on);
    b.el.closest(".mp-cell")?.classList.toggle("mp-pinned", on);
  }

  open(key: CellKey, button: HTMLButtonElement): void {
    this.openFor?.button.setAttribute("aria-expanded", "false");
    this.openFor = { key, button };
    button.setAttribute("aria-expanded", "true");
    if (!this.pop.matches(":popover-open")) this.pop.showPopover();
    this.fill();
    this.pop.querySelector<HTMLElement>("button")?.focus();
    // Pinning opens the Compare bar above the cards, moving the cell: the menu stays by its button.
    const follow = () => {
      this.place();
      this.frame = requestAnimationFrame(follow);
    };
    cancelAnimationFrame(this.frame);
    this.frame = requestAnimationFrame(follow);
  }

  close(returnFocus: boolean): void {
    if (!this.openFor) return;
    const b = this.openFor.button;
    this.openFor = null;
    this.token++;
    cancelAnimationFrame(this.frame);
    b.setAttribute("aria-expanded", "false");
    if (this.pop.matches(":popover-open")) this.pop.hidePopover();
    this.pop.replaceChildren();
    if (returnFocus && b.isConnected) b.focus();
  }

  /** Pins `key` and `other` (keeping pins already there) and opens the Compare view on them. */
  private compareWith(key: CellKey, other: CellKey): void {
    const store = this.env.store;
    const room = MAX_PINS - store.state.pins.length;
    const needed = [key, other].filter((k) => !isPinned(store, k)).length;
    if (needed > room) return;
    pinCell(store, key);
    pinCell(store, other);
    const pins = store.state.pins;
    store.set({
      compareView: {
        ...store.state.compareView, open: true,
        a: pins.findIndex((p) => sameCell(p, key)), b: pins.findIndex((p) => sameCell(p, other)),
      },
    });
    this.close(false);
  }

  private fill(): void {
    const at = this.openFor;
    if (!at) return;
    const token = ++this.token;
    const { key } = at;
    const store = this.env.store;
    const pinned = isPinned(store, key);
    const count = store.state.pins.length;
    const full = !pinned && count >= MAX_PINS;
    const toggle = h("button", {
      class: `mp-chip${pinned ? " on" : ""}`, "data-control": "pin-toggle", "aria-pressed": String(pinned),
      text: pinned ? "Unpin" : "Pin to compare",
    });
    toggle.disabled = full;
    toggle.addEventListener("click", () => {
      togglePin(store, key);
      this.fill();
    });
    const prev = h("button", { class: "mp-link-btn", "data-control": "compare-step", text: "Compare with the previous step …" });
    const next = h("button", { class: "mp-link-btn", "data-control": "compare-run", text: "Compare with the next run …" });
    prev.disabled = next.disabled = true;
    const openView = h("button", { class: "mp-link-btn", "data-control": "open-compare", text: `Open Compare (${count} pinned)` });
    openView.disabled = count === 0;
    openView.addEventListener("click", () => {
      store.set({ compareView: { ...store.state.compareView, open: true } });
      this.close(false);
    });
    const note = h("div", {
      class: "mp-field-label", role: "status",
      text: full ? `The Compare view holds ${MAX_PINS} cells: unpin one first.` : pinLabel(key),
    });
    this.pop.replaceChildren(
      h("div", { class: "mp-menu-line" }, toggle, openView),
      h("div", { class: "mp-menu-line" }, prev),
      h("div", { class: "mp-menu-line" }, next),
      note,
    );
    this.place();
    const wire = (b: HTMLButtonElement, other: CellKey | null, text: string, none: string) => {
      if (token !== this.token) return;
      b.textContent = other ? text : none;
      const room = MAX_PINS - count;
      const needed = other ? [key, other].filter((k) => !isPinned(store, k)).length : 0;
      b.disabled = other === null || needed > room;
      if (other) b.onclick = () => this.compareWith(key, other);
    };
    void this.env.previousStep(key.run, key.tag, key.step).then((s) =>
      wire(prev, s === null ? null : { ...key, step: s }, `Compare with step ${s} (the previous logged step)`, "No earlier step to compare with"));
    void this.env.nextRun(key.run, key.tag, key.step).then((r) =>
      wire(next, r && { ...key, run: r.run, step: r.step }, `Compare with ${r?.run} at step ${r?.step} (the next run)`, "No other shown run has this tag"));
  }

  private place(): void {
    const b = this.openFor?.button;
    if (!b) return;
    const st = this.pop.style;
    st.maxHeight = "";
    // The button is in the cell's left corner: the menu opens rightwards from it, over its own cell.
    const r = b.getBoundingClientRect();
    const anchor = { top: r.top, bottom: r.bottom, right: r.left + this.pop.offsetWidth };
    const spot = placeBeside(anchor, this.pop.offsetWidth, this.pop.offsetHeight, window.innerWidth, window.innerHeight);
    st.left = `${spot.left}px`;
    st.top = `${spot.top}px`;
    st.maxHeight = `${spot.maxHeight}px`;
  }
}
