// A card: one tag (or all tags when tag is an axis, or compared tags), with a header, one or
// more labelled grid sections, a corner handle that resizes it (dragging sideways sets the
// card's width, so narrower cards sit side by side; up/down sets its cell size), and a
// full-screen toggle.
import { clampCardWidth, clampCell } from "../state/settings";
import type { ViewerSettings } from "../viewers/types";
import { setIcon } from "../viewers/icons";
import { h, nameEl, notice } from "./dom";
import { VirtualGrid } from "./virtual-grid";
import type { GridModel } from "./virtual-grid";
import type { CellAddress } from "./layout";

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
  /** Width set by the user, or null to fill the page; and the page's width, the most it can be. */
  width: number | null;
  fullWidth: number;
  /** The compared tags, for a comparison card (which can be closed). */
  compare?: string[];
  /**
   * Steps across the columns: how many show of how many logged in the window, and whether they
   * are spread to fit the width (else every step, scrolled sideways). Absent when steps are not columns.
   */
  steps?: { shown: number; total: number; spread: boolean };
  /** Why the card's data could not be loaded: shown instead of its cells, other cards unaffected. */
  error?: string;
  /** The tag's logged description (markdown), shown under the header as TensorBoard does. */
  description?: string;
}

export interface CardEvents {
  expand(key: string, on: boolean): void;
  resize(key: string, width: number | null, cell: number): void;
  close(key: string): void;
  /** Spread the step columns to fit the width (true) or show every step, scrolled sideways. */
  spread?(on: boolean): void;
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
    let close: HTMLElement | null = null;
    if (model.compare) {
      close = h("button", { class: "mp-icon-btn", title: "Stop comparing", "aria-label": "Stop comparing" });
      setIcon(close, "close");
      close.addEventListener("click", () => events.close(model.key));
    }
    let stepsNote: HTMLElement | null = null;
    let spread: HTMLElement | null = null;
    if (model.steps) {
      const { shown, total, spread: on } = model.steps;
      // Never hide steps silently: say how many the columns leave out.
      if (shown < total) {
        stepsNote = h("span", {
          class: "mp-steps-note", role: "status", text: `${shown} of ${total} steps`,
          title: on ? "Spread to fit the width: steps in between are skipped. Show every step to scroll through all of them, or zoom the timeline."
            : "More steps are logged than are fetched at once: zoom the timeline to see the ones in between.",
        });
      }
      spread = h("button", {
        class: `mp-chip mp-spread${on ? " on" : ""}`, "aria-pressed": String(on),
        text: "fit to width", "aria-label": "Fit steps to the width",
        title: on ? "Showing steps spread to fit the width; click to show every step, scrolled sideways" : "Spread steps to fit the width instead of scrolling sideways",
      });
      spread.addEventListener("click", () => events.spread?.(!on));
    }
    const header = h("div", { class: "mp-card-header" },
      nameEl(model.title, "mp-card-title"),
      model.kind ? h("span", { class: "mp-kind", text: model.kind }) : null,
      h("span", { class: "mp-card-info", text: model.info }),
      stepsNote,
      h("span", { class: "mp-spacer" }),
      spread,
      expand,
      close,
    );
    // Logged markdown, built as DOM nodes by renderMarkdown (never parsed as HTML); the parser
    // loads with the first card that has a description, keeping it out of the first bundle.
    const description = model.description ? h("div", { class: "mp-card-description mp-md" }) : null;
    if (description && model.description) {
      const source = model.description;
      void import("../viewers/markdown").then(({ renderMarkdown }) => description.replaceChildren(...renderMarkdown(source).childNodes));
    }
    // One group for the locked zoom and the pixel probe of its images (viewers/view-transform.ts).
    const body = h("div", { class: "mp-card-body", "data-view-group": model.key });
    if (model.error !== undefined) body.append(notice("error", model.error));
    for (const s of model.error !== undefined ? [] : model.sections) {
      if (s.title) {
        const dot = h("span", { class: "mp-run-dot" });
        dot.style.background = s.title.color;
        body.append(h("div", { class: "mp-section-title" }, dot, nameEl(s.title.text)));
      }
      const grid = new VirtualGrid(s.grid);
      this.grids.push(grid);
      body.append(grid.el);
    }
    const handle = h("div", {
      class: "mp-resize", title: "Drag sideways to set the card's width, up or down to set its cell size", "aria-label": "Resize card",
    });
    const sizeTip = h("div", { class: "mp-resize-tip" });
    this.el = h("section", {
      class: `mp-card${model.expanded ? " mp-expanded mp-clip" : ""}`, "data-card": model.key,
    }, header, description, body, handle, sizeTip);
    this.el.style.setProperty("--cell", `${model.cell}px`);
    if (model.width !== null && !model.expanded) this.el.style.flex = `0 0 ${model.width}px`;
    let start: { x: number; y: number; width: number } | null = null;
    let nextWidth = model.width ?? model.fullWidth;
    let nextCell = model.cell;
    handle.addEventListener("pointerdown", (e) => {
      start = { x: e.clientX, y: e.clientY, width: this.el.getBoundingClientRect().width };
      handle.setPointerCapture(e.pointerId);
      e.preventDefault();
    });
    handle.addEventListener("pointermove", (e) => {
      if (!start) return;
      nextWidth = clampCardWidth(start.width + e.clientX - start.x, model.fullWidth);
      nextCell = clampCell(model.cell + (e.clientY - start.y) / 2);
      // The outline follows the pointer; the grid is rebuilt once, on release.
      this.el.style.flex = `0 0 ${nextWidth}px`;
      sizeTip.textContent = `${nextWidth >= model.fullWidth ? "full" : `${nextWidth} px`} wide · ${nextCell} px cells`;
      sizeTip.hidden = false;
    });
    handle.addEventListener("pointerup", () => {
      if (!start) return;
      start = null;
      sizeTip.hidden = true;
      const width = nextWidth >= model.fullWidth ? null : nextWidth;
      if (width !== model.width || nextCell !== model.cell) events.resize(model.key, width, nextCell);
    });
    sizeTip.hidden = true;
  }

  updateVisible(): void {
    for (const g of this.grids) g.updateVisible();
  }

  /** Where the mounted cells would point with the slider at `slider` (for prefetching). */
  addressesAt(slider: number): CellAddress[] {
    return this.grids.flatMap((g) => g.addressesAt(slider));
  }

  async settled(): Promise<void> {
    await Promise.all(this.grids.map((g) => g.settled()));
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
