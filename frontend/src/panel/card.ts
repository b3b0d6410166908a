// A card: one tag (or all tags when tag is an axis), with a header, one or more labelled grid
// sections, a corner handle that resizes its cells, and a full-screen toggle.
import type { ViewerSettings } from "../viewers/types";
import { setIcon } from "../viewers/icons";
import { h } from "./dom";
import { VirtualGrid } from "./virtual-grid";
import type { GridModel } from "./virtual-grid";

export interface SectionModel {
  title: { text: string; color: string } | null;
  grid: GridModel;
}

export interface CardModel {
  key: string;
  title: string;
  kind: string;
  info: string;
  cell: number;
  expanded: boolean;
  sections: SectionModel[];
  /** Compared to decide whether an existing card can stay (and only re-resolve its cells). */
  signature: string;
}

export interface CardEvents {
  expand(key: string, on: boolean): void;
  resize(key: string, cell: number): void;
}

export class Card {
  readonly el: HTMLElement;
  readonly grids: VirtualGrid[] = [];

  constructor(readonly model: CardModel, events: CardEvents) {
    const expand = h("button", {
      class: "mp-icon-btn", title: model.expanded ? "Exit full screen (Esc)" : "Full screen",
      "aria-label": model.expanded ? "Exit full screen" : "Full screen",
    });
    setIcon(expand, model.expanded ? "close" : "fullscreen");
    expand.addEventListener("click", () => events.expand(model.key, !model.expanded));
    const header = h("div", { class: "mp-card-header" },
      h("span", { class: "mp-card-title", text: model.title, title: model.title }),
      model.kind ? h("span", { class: "mp-kind", text: model.kind }) : null,
      h("span", { class: "mp-card-info", text: model.info }),
      h("span", { class: "mp-spacer" }),
      expand,
    );
    const body = h("div", { class: "mp-card-body" });
    for (const s of model.sections) {
      if (s.title) {
        const dot = h("span", { class: "mp-run-dot" });
        dot.style.background = s.title.color;
        body.append(h("div", { class: "mp-section-title" }, dot, h("span", { text: s.title.text, title: s.title.text })));
      }
      const grid = new VirtualGrid(s.grid);
      this.grids.push(grid);
      body.append(grid.el);
    }
    const handle = h("div", { class: "mp-resize", title: "Drag to resize this card's cells", "aria-label": "Resize cells" });
    const sizeTip = h("div", { class: "mp-resize-tip" });
    this.el = h("section", {
      class: `mp-card${model.expanded ? " mp-expanded mp-clip" : ""}`, "data-card": model.key,
    }, header, body, handle, sizeTip);
    this.el.style.setProperty("--cell", `${model.cell}px`);
    let start: { x: number; cell: number } | null = null;
    let next = model.cell;
    handle.addEventListener("pointerdown", (e) => {
      start = { x: e.clientX, cell: model.cell };
      handle.setPointerCapture(e.pointerId);
      e.preventDefault();
    });
    handle.addEventListener("pointermove", (e) => {
      if (!start) return;
      next = Math.round(Math.max(48, Math.min(1024, start.cell + (e.clientX - start.x) / 2)));
      sizeTip.textContent = `${next} px cells`;
      sizeTip.hidden = false;
    });
    handle.addEventListener("pointerup", () => {
      if (!start) return;
      start = null;
      sizeTip.hidden = true;
      if (next !== model.cell) events.resize(model.key, next);
    });
    sizeTip.hidden = true;
  }

  updateVisible(): void {
    for (const g of this.grids) g.updateVisible();
  }

  readdress(): void {
    for (const g of this.grids) g.readdress();
  }

  reloadCells(): void {
    for (const g of this.grids) g.reloadCells();
  }

  refreshLabels(): void {
    for (const g of this.grids) g.refreshLabels();
  }

  updateSettings(settings: ViewerSettings): void {
    for (const g of this.grids) g.updateSettings(settings);
  }

  destroy(): void {
    for (const g of this.grids) g.destroy();
    this.el.remove();
  }
}
