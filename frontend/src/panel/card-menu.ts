// A card's own layout: the dialog its header's "Card layout" button opens. Each control shows
// what the card uses (its own setting, else the toolbar's default) and sets the card's own.
// One dialog for the panel, outside the cards: a card rebuilt by a change keeps it open.
import type { Axis, CardOverride, GalleryBy, PanelState } from "../state/settings";
import { AXES, GALLERY_BY, SIZES, cardSettings, clampCell } from "../state/settings";
import type { Store } from "../state/store";
import { placeBeside } from "../viewers/viewer-chrome";
import { closesOnEscapeOrOutside, h } from "./dom";
import { downloadViewPng } from "./export-view";
import { ALL_TAGS_CARD } from "./layout";

export class CardLayoutMenu {
  readonly pop: HTMLElement;
  private key: string | null = null;
  private button: HTMLElement | null = null;
  private title = "";

  constructor(private readonly store: Store) {
    this.pop = h("div", { class: "mp-card-menu", role: "dialog", popover: "manual" });
    closesOnEscapeOrOutside(this.pop, () => (this.key !== null ? (this.button ?? this.pop) : null), (refocus) => this.close(refocus));
  }

  get openKey(): string | null {
    return this.key;
  }

  /** A "Card layout" button for the header of card `key`. */
  buttonFor(key: string, title: string): HTMLButtonElement {
    const b = h("button", {
      class: "mp-icon-btn mp-card-layout-btn", "aria-label": "Card layout", title: `Layout of this card (${title})`,
      "aria-haspopup": "dialog", "aria-expanded": "false", text: "⋮",
    });
    b.addEventListener("click", () => {
      if (this.key === key) this.close(false);
      else this.open(key, title, b);
    });
    return b;
  }

  open(key: string, title: string, button: HTMLElement): void {
    this.button?.setAttribute("aria-expanded", "false");
    this.key = key;
    this.title = title;
    this.button = button;
    button.setAttribute("aria-expanded", "true");
    this.pop.setAttribute("aria-label", `Layout of ${title}`);
    if (!this.pop.matches(":popover-open")) this.pop.showPopover();
    this.fill();
    this.place();
    this.pop.querySelector<HTMLElement>("button, select, input")?.focus();
  }

  /** The card was rebuilt: follow its new button and show the new values. */
  reattach(button: HTMLElement | null): void {
    if (this.key === null) return;
    if (!button) return this.close(false);
    this.button = button;
    button.setAttribute("aria-expanded", "true");
    this.fill();
    this.place();
  }

  close(returnFocus: boolean): void {
    if (this.key === null) return;
    this.key = null;
    this.button?.setAttribute("aria-expanded", "false");
    if (this.pop.matches(":popover-open")) this.pop.hidePopover();
    this.pop.replaceChildren();
    if (returnFocus) this.button?.focus();
  }

  private set(patch: CardOverride): void {
    const key = this.key;
    if (key === null) return;
    this.store.set({ cards: { ...this.store.state.cards, [key]: { ...this.store.state.cards[key], ...patch } } });
  }

  private fill(): void {
    const key = this.key;
    if (key === null) return;
    const s: Readonly<PanelState> = this.store.state;
    const c = cardSettings(s, key);
    const own = s.cards[key] ?? {};
    const focused = (document.activeElement as HTMLElement | null)?.dataset?.control;
    const select = <T extends string>(label: string, name: string, value: T, options: readonly T[], on: (v: T) => void) => {
      const sel = h("select", { class: "mp-select", "aria-label": name, "data-control": name });
      for (const o of options) sel.append(h("option", { value: o, text: o }));
      sel.value = value;
      sel.addEventListener("change", () => on(sel.value as T));
      return h("label", { class: "mp-field" }, h("span", { class: "mp-field-label", text: label }), sel);
    };
    const pressed = (text: string, on: boolean, click: () => void) => {
      const b = h("button", { class: `mp-chip${on ? " on" : ""}`, text, "aria-pressed": String(on), "data-control": text });
      b.addEventListener("click", click);
      return b;
    };
    // The card of all tags has no tag of its own: tag stays on one of its axes, and it is a grid.
    const allTags = key === ALL_TAGS_CARD;
    const setAxis = (which: "x" | "y", v: Axis) => {
      const other = which === "x" ? "y" : "x";
      // Picking the other axis's value swaps them, as in the toolbar.
      const rest = c[other] === v ? c[which] : allTags && v !== "tag" ? "tag" : c[other];
      this.set({ [which]: v, [other]: rest });
    };
    const gallery = pressed("Gallery", c.mode === "gallery", () => this.set({ mode: "gallery" }));
    if (allTags) {
      gallery.disabled = true;
      gallery.title = "A gallery shows one tag per card";
    }
    const rows: HTMLElement[] = [
      h("div", { class: "mp-menu-line" },
        pressed("Grid", c.mode === "grid", () => this.set({ mode: "grid" })),
        gallery),
    ];
    if (c.mode === "grid") {
      rows.push(h("div", { class: "mp-menu-line" },
        select("x", "x axis", c.x, AXES, (v) => setAxis("x", v)),
        select("y", "y axis", c.y, AXES, (v) => setAxis("y", v))));
    } else {
      rows.push(h("div", { class: "mp-menu-line" }, select("tile by", "Tile by", c.galleryBy, GALLERY_BY, (v: GalleryBy) => this.set({ galleryBy: v }))));
    }
    const size = h("input", { class: "mp-range", type: "range", ...SIZES.cellSlider, value: c.cell, "aria-label": "Cell size", "data-control": "Cell size" });
    size.addEventListener("change", () => this.set({ cell: clampCell(Number(size.value)) }));
    rows.push(
      h("div", { class: "mp-menu-line" }, h("label", { class: "mp-field" }, h("span", { class: "mp-field-label", text: "size" }), size),
        h("span", { class: "mp-field-label", text: `${c.cell} px` })),
      h("div", { class: "mp-menu-line" },
        select("image", "Image size", c.fit, ["fit", "original"] as const, (v) => this.set({ fit: v })),
        pressed("pixelated", c.pixelated, () => this.set({ pixelated: !c.pixelated })),
        pressed("captions", c.captions, () => this.set({ captions: !c.captions }))),
    );
    const ownViewer = h("input", { type: "checkbox", "aria-label": "Own viewer settings", "data-control": "own-viewer" });
    ownViewer.checked = own.viewer !== undefined;
    ownViewer.addEventListener("change", () => {
      const cards = { ...this.store.state.cards };
      const next: CardOverride = { ...cards[key] };
      if (ownViewer.checked) next.viewer = { ...this.store.state.viewer };
      else delete next.viewer;
      cards[key] = next;
      this.store.set({ cards });
    });
    rows.push(h("label", { class: "mp-menu-line", title: "Masks, classes, camera sync … set in this card apply to this card only" },
      ownViewer, h("span", { text: "own viewer settings" })));
    const defaults = h("button", { class: "mp-link-btn", text: "Use defaults", "data-control": "defaults" });
    defaults.disabled = Object.keys(own).filter((k) => k !== "height").length === 0;
    defaults.addEventListener("click", () => {
      // The card's height is set by dragging its edge, not a layout: it stays.
      const cards = { ...this.store.state.cards };
      if (own.height === undefined) delete cards[key];
      else cards[key] = { height: own.height };
      this.store.set({ cards });
    });
    const png = h("button", {
      class: "mp-link-btn", text: "Download view as PNG", "data-control": "download-png",
      title: "The cells on screen at their logged resolution, with masks, boxes and labels as shown",
    });
    png.addEventListener("click", () => {
      const card = this.button?.closest<HTMLElement>(".mp-card");
      if (!card) return;
      png.disabled = true;
      downloadViewPng(card, this.title)
        .then(() => (png.dataset.state = "done"), (err: unknown) => {
          png.dataset.state = "error";
          png.title = `Could not make the picture: ${err instanceof Error ? err.message : String(err)}`;
        })
        .finally(() => (png.disabled = false));
    });
    rows.push(h("div", { class: "mp-menu-line" }, png));
    rows.push(h("div", { class: "mp-menu-line mp-menu-foot" },
      h("span", { class: "mp-field-label", text: Object.keys(own).length ? "this card's own layout" : "the toolbar's defaults" }), defaults));
    this.pop.replaceChildren(...rows);
    if (focused) this.pop.querySelector<HTMLElement>(`[data-control="${focused}"]`)?.focus();
  }

  private place(): void {
    if (!this.button) return;
    const st = this.pop.style;
    st.maxHeight = "";
    const spot = placeBeside(this.button.getBoundingClientRect(), this.pop.offsetWidth, this.pop.offsetHeight, window.innerWidth, window.innerHeight);
    st.left = `${spot.left}px`;
    st.top = `${spot.top}px`;
    st.maxHeight = `${spot.maxHeight}px`;
  }
}
