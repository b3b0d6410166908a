// The controls of a rich viewer's cell: a small button in the cell's corner that opens a popover.
//
// A cell shows its media first. Settings are grid-wide, so a row of selects and checkboxes in every
// cell only repeats itself, and in a 128 px cell it leaves the image a sliver. The button shows on
// hover or keyboard focus, always in a large cell (>= LARGE px) and on touch screens. The popover is an
// HTML `popover`, shown in the browser's top layer: above every cell and card whatever their stacking
// contexts, containment or overflow (a cell is `isolation: isolate` and clips, so a fixed element in
// it drew under the next row). It keeps its size in a small cell, flips above the button or shifts
// sideways to stay in the window, and is built only while open, so a grid of a hundred cells
// carries no hidden control DOM. Every viewer's menu is one of these.
import { ensureStyle, h } from "./viewer-dom";

/** From this size (both sides, CSS px) a cell is roomy enough that its button and legend stay visible. */
export const LARGE = 320;

const TUNE = "M3 17v2h6v-2H3zM3 5v2h10V5H3zm10 16v-2h8v-2h-8v-2h-2v6h2zM7 9v2H3v2h4v2h2V9H7zm14 4v-2H11v2h10zm-6-4h2V7h4V5h-4V3h-2v6z";

const CSS = `
.vc-btn{position:absolute;top:4px;right:4px;z-index:4;width:24px;height:24px;padding:0;display:flex;align-items:center;justify-content:center;border:1px solid rgba(0,0,0,.14);border-radius:12px;background:rgba(255,255,255,.92);color:#455a64;cursor:pointer;opacity:0;transition:opacity .12s;box-shadow:0 1px 3px rgba(0,0,0,.15)}
.vc-btn:hover{color:#1565c0;border-color:#90caf9}
.vc-btn:focus-visible{outline:2px solid #1976d2;outline-offset:1px}
.vc-host:hover .vc-btn,.vc-host:focus-within .vc-btn,.vc-host.vc-large .vc-btn,.vc-btn[aria-expanded=true]{opacity:1}
.vc-btn[aria-expanded=true]{background:#e3f2fd;border-color:#1976d2;color:#1565c0}
@media (hover:none){.vc-btn{opacity:1}}
.vc-pop{position:fixed;inset:auto;margin:0;box-sizing:border-box;width:272px;max-width:calc(100vw - 16px);overflow:auto;background:#fff;border:1px solid #d6d6d6;border-radius:6px;box-shadow:0 6px 20px rgba(0,0,0,.18);padding:6px 10px 8px;font:12px/1.35 system-ui,sans-serif;color:#212121;text-align:left}
.vc-pop:not(:popover-open){display:none}
.vc-pop h4{margin:8px 0 3px;font-size:10.5px;font-weight:600;text-transform:uppercase;color:#757575;letter-spacing:.05em}
.vc-pop h4:first-child{margin-top:2px}
.vc-pop select,.vc-pop button{font:inherit;padding:1px 6px;border:1px solid #bdbdbd;border-radius:3px;background:#fff;cursor:pointer}
.vc-pop button[aria-pressed=true]{background:#e3f2fd;border-color:#1976d2}
.vc-pop label{display:inline-flex;align-items:center;gap:3px;cursor:pointer}
.vc-pop input[type=range]{width:90px}
.vc-pop input[type=search]{width:100%;box-sizing:border-box;font:inherit;margin-bottom:3px}
.vc-line{display:flex;flex-wrap:wrap;align-items:center;gap:6px;padding:2px 0}
.vc-line .grow{flex:1}
.vc-note{color:#757575;font-size:11px}
.num+.vc-key{margin-left:4px}
.vc-key{margin-left:auto;flex:none;min-width:14px;text-align:center;font:10px/14px system-ui,sans-serif;color:#616161;border:1px solid #bdbdbd;border-bottom-width:2px;border-radius:3px;padding:0 3px}
.vc-pop details>summary{cursor:pointer;color:#616161;font-size:11px;margin-top:6px}
`;

/** The menu open on the page: one at a time, like any popover. */
let current: CellMenu | null = null;

export class CellMenu {
  readonly button: HTMLButtonElement;
  readonly pop: HTMLDivElement;
  private isOpen = false;
  private pressed = false;
  private pending = false;
  private readonly observer: ResizeObserver;

  /**
   * @param host   the viewer's root (position: relative); the button sits in its top-right corner
   * @param build  the popover's contents, from the viewer's current settings
   * @param control  `data-control` of the button, for tests and scripts
   */
  constructor(
    private readonly host: HTMLElement,
    private readonly build: () => Node[],
    label: string,
    control: string,
    popClass = "",
  ) {
    ensureStyle("tbmp-viewer-chrome", CSS);
    host.classList.add("vc-host");
    this.button = h("button", { type: "button", class: "vc-btn", title: label, "aria-label": label, "aria-haspopup": "dialog", "aria-expanded": "false" });
    this.button.dataset.control = control;
    this.button.append(tuneIcon());
    this.pop = h("div", { class: `vc-pop ${popClass}`.trim(), role: "dialog", "aria-label": label, popover: "manual" });
    host.append(this.button, this.pop);
    this.button.addEventListener("click", (e) => {
      e.stopPropagation();
      this.toggle();
    });
    // A slider being dragged must not be rebuilt under the pointer: the drag would end.
    this.pop.addEventListener("pointerdown", () => (this.pressed = true));
    this.observer = new ResizeObserver(() => {
      host.classList.toggle("vc-large", host.clientWidth >= LARGE && host.clientHeight >= LARGE * 0.75);
    });
    this.observer.observe(host);
  }

  get open(): boolean {
    return this.isOpen;
  }

  toggle(): void {
    if (this.isOpen) this.close();
    else this.show();
  }

  show(): void {
    if (current && current !== this) current.close();
    current = this;
    this.isOpen = true;
    this.button.setAttribute("aria-expanded", "true");
    this.pop.showPopover();
    this.fill();
    this.place();
    document.addEventListener("pointerdown", this.outside, true);
    document.addEventListener("pointerup", this.released, true);
    // Capture phase: Escape closes the menu only, not also a full-screen card or view behind it.
    window.addEventListener("keydown", this.escape, true);
    window.addEventListener("scroll", this.follow, true);
    window.addEventListener("resize", this.follow);
  }

  close(): void {
    if (!this.isOpen) return;
    this.isOpen = false;
    if (current === this) current = null;
    this.button.setAttribute("aria-expanded", "false");
    if (this.pop.isConnected && this.pop.matches(":popover-open")) this.pop.hidePopover();
    this.pop.replaceChildren();
    document.removeEventListener("pointerdown", this.outside, true);
    document.removeEventListener("pointerup", this.released, true);
    window.removeEventListener("keydown", this.escape, true);
    window.removeEventListener("scroll", this.follow, true);
    window.removeEventListener("resize", this.follow);
  }

  /** Settings changed: rebuild the contents if open (after a drag inside it ends). */
  refresh(): void {
    if (!this.isOpen) return;
    if (this.pressed) {
      this.pending = true;
      return;
    }
    this.fill();
  }

  destroy(): void {
    this.close();
    this.observer.disconnect();
    this.button.remove();
    this.pop.remove();
  }

  private fill(): void {
    // Typing in a search field survives the rebuild: focus and caret go back to the same control.
    const active = document.activeElement;
    const focused = active instanceof HTMLElement && this.pop.contains(active) ? active.dataset.control : undefined;
    const caret = active instanceof HTMLInputElement && active.type === "search" ? active.selectionStart : null;
    const scroll = this.pop.scrollTop;
    this.pop.replaceChildren(...this.build());
    this.pop.scrollTop = scroll;
    if (focused) {
      const el = this.pop.querySelector<HTMLElement>(`[data-control="${focused}"]`);
      el?.focus();
      if (el instanceof HTMLInputElement && caret !== null) el.setSelectionRange(caret, caret);
    }
  }

  /** Next to the button, inside the window: below it if it fits, else above, else on the roomier
   * side with a scrollbar; shifted sideways so no edge leaves the window. */
  private place(): void {
    const s = this.pop.style;
    s.maxHeight = "";
    const r = this.button.getBoundingClientRect();
    const spot = placeBeside(r, this.pop.offsetWidth, this.pop.offsetHeight, window.innerWidth, window.innerHeight);
    s.left = `${spot.left}px`;
    s.top = `${spot.top}px`;
    s.maxHeight = `${spot.maxHeight}px`;
  }

  private readonly outside = (e: PointerEvent): void => {
    const t = e.target as Node;
    if (!this.pop.contains(t) && !this.button.contains(t)) this.close();
  };

  private readonly escape = (e: KeyboardEvent): void => {
    if (e.key !== "Escape") return;
    e.stopPropagation();
    e.preventDefault();
    this.close();
    this.button.focus(); // keyboard users carry on from the button that opened it
  };

  private readonly released = (): void => {
    this.pressed = false;
    if (this.pending) {
      this.pending = false;
      this.fill();
    }
  };

  /** The page scrolled: stay by the button, or close once the button has left the window. */
  private readonly follow = (e: Event): void => {
    if (e.target instanceof Node && this.pop.contains(e.target)) return; // the popover's own scroll
    if (!this.host.isConnected) return this.close();
    const r = this.button.getBoundingClientRect();
    if (r.bottom < 0 || r.top > window.innerHeight || r.right < 0 || r.left > window.innerWidth) this.close();
    else this.place();
  };
}

const MARGIN = 8;
const GAP = 4;

/**
 * Where a popover of `w`×`h` goes next to an anchor rect in a `vw`×`vh` window: below, flipped
 * above when it does not fit below but does above, else on the roomier side cut to fit (it
 * scrolls); its right edge on the anchor's, shifted to stay `MARGIN` inside the window.
 */
export function placeBeside(
  anchor: { top: number; bottom: number; right: number },
  w: number, h: number, vw: number, vh: number,
): { left: number; top: number; maxHeight: number } {
  const left = Math.max(MARGIN, Math.min(anchor.right - w, vw - w - MARGIN));
  const below = vh - anchor.bottom - GAP - MARGIN;
  const above = anchor.top - GAP - MARGIN;
  const down = h <= below || (h > above && below >= above);
  const room = Math.max(0, down ? below : above);
  const height = Math.min(h, room);
  const top = down ? anchor.bottom + GAP : anchor.top - GAP - height;
  // An anchor outside the window (scrolled away) still gives a popover inside it.
  return { left, top: Math.max(MARGIN, Math.min(top, vh - MARGIN - height)), maxHeight: Math.max(0, Math.min(room, vh - 2 * MARGIN)) };
}

function tuneIcon(): SVGSVGElement {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("width", "15");
  svg.setAttribute("height", "15");
  svg.setAttribute("aria-hidden", "true");
  const path = document.createElementNS(ns, "path");
  path.setAttribute("d", TUNE);
  path.setAttribute("fill", "currentColor");
  svg.append(path);
  return svg;
}

/** A section heading in a popover. */
export function heading(text: string): HTMLHeadingElement {
  return h("h4", { text });
}

/** A row of controls in a popover. */
export function line(...children: Node[]): HTMLDivElement {
  const el = h("div", { class: "vc-line" });
  el.append(...children);
  return el;
}
