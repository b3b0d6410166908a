// The toolbar: layout mode, axes (or what a gallery tiles by), item index, cell size and the
// image settings. Its controls are built once; `update` shows the state in them.
import type { Axis, GalleryBy, PanelState } from "../state/settings";
import { AXES, GALLERY_BY, SIZES, clampCell } from "../state/settings";
import type { Store } from "../state/store";
import { setIcon } from "../viewers/icons";
import { h } from "./dom";

interface Select<T extends string> {
  field: HTMLElement;
  select: HTMLSelectElement;
  set(value: T): void;
}

function select<T extends string>(label: string, name: string, options: readonly T[], on: (v: T) => void): Select<T> {
  const sel = h("select", { class: "mp-select", "aria-label": name });
  for (const o of options) sel.append(h("option", { value: o, text: o }));
  sel.addEventListener("change", () => on(sel.value as T));
  const field = h("label", { class: "mp-field" }, h("span", { class: "mp-field-label", text: label }), sel);
  return { field, select: sel, set: (v) => { sel.value = v; } };
}

function toggle(text: string, flip: () => void): HTMLButtonElement {
  const b = h("button", { class: "mp-chip", text });
  b.addEventListener("click", flip);
  return b;
}

function showPressed(b: HTMLButtonElement, on: boolean): void {
  b.classList.toggle("on", on);
  b.setAttribute("aria-pressed", String(on));
}

export interface ToolbarActions {
  /** Copies the view's link; resolves to null, or to the link when it had to be copied by hand. */
  copyLink(): Promise<string | null>;
  help(): void;
}

export class Toolbar {
  readonly el: HTMLElement;
  /** Copy link and the shortcuts, placed at the end of the timeline's row (the toolbar wraps). */
  readonly end: HTMLElement;
  private readonly modes: Record<PanelState["mode"], HTMLButtonElement>;
  private readonly x: Select<Axis>;
  private readonly y: Select<Axis>;
  private readonly swap: HTMLButtonElement;
  private readonly by: Select<GalleryBy>;
  private readonly index: HTMLInputElement;
  private readonly indexField: HTMLElement;
  private readonly size: HTMLInputElement;
  private readonly fit: Select<PanelState["fit"]>;
  private readonly pixelated: HTMLButtonElement;
  private readonly captions: HTMLButtonElement;

  constructor(private readonly store: Store, actions: ToolbarActions) {
    const group = h("div", { class: "mp-seg", role: "group", "aria-label": "Layout" });
    const mode = (m: PanelState["mode"], text: string) => {
      const b = h("button", { class: "mp-seg-btn", text });
      b.addEventListener("click", () => store.set({ mode: m }));
      group.append(b);
      return b;
    };
    this.modes = { grid: mode("grid", "Grid"), gallery: mode("gallery", "Gallery") };
    const setAxis = (which: "x" | "y", v: Axis) => {
      const s = store.state;
      const other = which === "x" ? "y" : "x";
      const patch: Partial<PanelState> = { [which]: v };
      if (s[other] === v) patch[other] = s[which]; // picking the other axis's value swaps them
      store.set(patch);
    };
    this.x = select("x", "x axis", AXES, (v) => setAxis("x", v));
    this.y = select("y", "y axis", AXES, (v) => setAxis("y", v));
    this.swap = h("button", { class: "mp-icon-btn", title: "Swap x and y", "aria-label": "Swap axes" });
    setIcon(this.swap, "swap");
    this.swap.addEventListener("click", () => store.set({ x: store.state.y, y: store.state.x }));
    this.by = select("tile by", "Tile by", GALLERY_BY, (v) => store.set({ galleryBy: v }));
    this.index = h("input", { class: "mp-number", type: "number", min: 0, "aria-label": "Item index" });
    this.index.addEventListener("change", () => store.set({ index: Math.max(0, Math.floor(Number(this.index.value) || 0)) }));
    this.indexField = h("label", { class: "mp-field" }, h("span", { class: "mp-field-label", text: "index" }), this.index);
    this.size = h("input", { class: "mp-range", type: "range", ...SIZES.cellSlider, "aria-label": "Cell size" });
    this.size.addEventListener("change", () => store.set({ cell: clampCell(Number(this.size.value)) }));
    this.fit = select("image", "Image size", ["fit", "original"] as const, (v) => store.set({ fit: v }));
    this.pixelated = toggle("pixelated", () => store.set({ pixelated: !store.state.pixelated }));
    this.captions = toggle("captions", () => store.set({ captions: !store.state.captions }));
    const copy = h("button", { class: "mp-chip", text: "Copy link", "aria-label": "Copy link", title: "Copy a link that opens this view" });
    const copied = h("span", { class: "mp-copied", role: "status" });
    copy.addEventListener("click", () => {
      void actions.copyLink().then((byHand) => {
        copied.replaceChildren();
        if (byHand === null) {
          copied.textContent = "Copied";
          window.setTimeout(() => { copied.textContent = ""; }, 2000);
          return;
        }
        // No clipboard (permission refused): the link, selected, to copy with Ctrl+C.
        const field = h("input", { class: "mp-link-field", readonly: true, "aria-label": "Link to this view", value: byHand });
        copied.append(field);
        field.select();
      });
    });
    const help = h("button", { class: "mp-icon-btn mp-help-btn", text: "?", title: "Keyboard shortcuts (?)", "aria-label": "Keyboard shortcuts" });
    help.addEventListener("click", () => actions.help());
    this.el = h("div", { class: "mp-toolbar" },
      group, this.x.field, this.swap, this.y.field, this.by.field, this.indexField,
      h("label", { class: "mp-field" }, h("span", { class: "mp-field-label", text: "size" }), this.size),
      this.fit.field, this.pixelated, this.captions);
    this.end = h("div", { class: "mp-toolbar-end" }, h("div", { class: "mp-toolbar-end-row" }, copied, copy), help);
  }

  update(): void {
    const s = this.store.state;
    for (const [m, b] of Object.entries(this.modes)) showPressed(b, s.mode === m);
    const grid = s.mode === "grid";
    this.x.field.hidden = !grid;
    this.swap.hidden = !grid;
    this.y.field.hidden = !grid;
    this.by.field.hidden = grid;
    this.x.set(s.x);
    this.y.set(s.y);
    this.by.set(s.galleryBy);
    this.indexField.hidden = grid ? s.x === "index" || s.y === "index" : s.galleryBy === "index";
    if (document.activeElement !== this.index) this.index.value = String(s.index);
    this.size.value = String(s.cell);
    this.fit.set(s.fit);
    showPressed(this.pixelated, s.pixelated);
    showPressed(this.captions, s.captions);
  }
}
