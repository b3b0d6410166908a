// A card's bottom edge: dragging it sets the card's height (its body then scrolls inside),
// apart from its cell size, which the corner and the card's layout set.
import { clampCardHeight } from "../state/settings";
import type { Card } from "./card";
import { h } from "./dom";

export class CardHeight {
  private readonly body: HTMLElement | null;

  /**
   * @param set     the height the user dragged to, or null for the card's natural height
   * @param scrolled  the body scrolled: mount the cells that came into view
   */
  constructor(card: Card, set: (px: number | null) => void, scrolled: () => void) {
    this.body = card.el.querySelector<HTMLElement>(".mp-card-body");
    const body = this.body;
    if (!body) return;
    body.addEventListener("scroll", scrolled, { passive: true });
    const edge = h("div", {
      class: "mp-resize-height", role: "separator", "aria-orientation": "horizontal", "aria-label": "Resize card height",
      title: "Drag to set the card's height (its cells keep their size); double-click for the full height",
    });
    let start: { y: number; height: number } | null = null;
    edge.addEventListener("pointerdown", (e) => {
      start = { y: e.clientY, height: body.getBoundingClientRect().height };
      edge.setPointerCapture(e.pointerId);
      e.preventDefault();
    });
    edge.addEventListener("pointermove", (e) => {
      if (!start) return;
      body.style.height = `${clampCardHeight(start.height + e.clientY - start.y)}px`;
    });
    edge.addEventListener("pointerup", (e) => {
      if (!start) return;
      const next = clampCardHeight(start.height + e.clientY - start.y);
      start = null;
      // Dragged to (about) everything: the card grows with its content again.
      set(next >= body.scrollHeight - 4 ? null : next);
    });
    edge.addEventListener("dblclick", () => set(null));
    card.el.append(edge);
  }

  apply(height: number | null): void {
    if (!this.body) return;
    this.body.style.height = height === null ? "" : `${height}px`;
    this.body.classList.toggle("mp-card-scroll", height !== null);
    this.body.classList.toggle("mp-clip", height !== null);
  }
}
