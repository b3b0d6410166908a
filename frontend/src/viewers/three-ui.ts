// The controls shared by the 3D viewers: the cell root, selects, the overlay list and a legend.
import { overlayShown, rankOverlays } from "./overlay-pairs";
import { heading } from "./viewer-chrome";
import { checkbox, ensureStyle, h } from "./viewer-dom";
import { SYNC_KEY, type CameraSync } from "./scene-settings";
import type { ViewerSettings } from "./types";

/** tag -> shown, grid-wide; a tag not in it falls back to `overlayDefaultOn` (its obvious partner). */
export const OVERLAY_SHOWN_KEY = "3d.overlays";

// The cell is the picture: no toolbar over it. The controls are in the corner button's popover
// (viewer-chrome); a legend shows in the bottom-left corner only when the cell is large.
const CSS = `
.v3d-root{position:relative;width:100%;height:100%;overflow:hidden;font:12px/1.3 system-ui,sans-serif;color:#212121;min-height:0}
.v3d-panel{position:absolute;left:4px;bottom:4px;max-height:40%;max-width:55%;overflow:auto;background:rgba(255,255,255,.88);border:1px solid rgba(0,0,0,.12);border-radius:4px;padding:2px 6px;font-size:11px;display:none}
.v3d-root.vc-large .v3d-panel{display:block}
.v3d-panel:empty{display:none!important}
.v3d-row{display:flex;align-items:center;gap:4px;white-space:nowrap;min-width:0}
.v3d-row>span:not(.v3d-sw):not(.num){overflow:hidden;text-overflow:ellipsis}
.v3d-sw{display:inline-block;flex:none;width:10px;height:10px;border-radius:2px;border:1px solid rgba(0,0,0,.3)}
.v3d-row .num{color:#757575;font-variant-numeric:tabular-nums;margin-left:auto;padding-left:6px}
.v3d-msg{position:absolute;inset:0;display:flex;align-items:center;justify-content:center;color:#616161;text-align:center;padding:8px}
.v3d-readout{position:absolute;left:4px;top:4px;z-index:3;max-width:calc(100% - 70px);box-sizing:border-box;overflow:hidden;display:-webkit-box;-webkit-box-orient:vertical;-webkit-line-clamp:2;overflow-wrap:anywhere;background:rgba(255,255,255,.9);border:1px solid rgba(0,0,0,.14);border-radius:4px;padding:1px 4px;font-size:11px;font-variant-numeric:tabular-nums;pointer-events:none}
.mp-has-pin .v3d-readout{left:30px;max-width:calc(100% - 32px)}
.mp-has-pin .vc-large .v3d-readout{max-width:calc(100% - 96px)}
.v3d-readout .long,.vc-large .v3d-readout .short{display:none}
.vc-large .v3d-readout .long{display:inline}
`;

export function root3d(el: HTMLElement): { root: HTMLDivElement; panel: HTMLDivElement } {
  ensureStyle("tbmp-3d", CSS);
  const root = h("div", { class: "v3d-root" });
  const panel = h("div", { class: "v3d-panel" });
  el.append(root);
  return { root, panel };
}

/** A select bound to a grid-wide setting. */
export function select(
  title: string,
  options: readonly (readonly [string, string])[],
  value: string,
  onChange: (v: string) => void,
): HTMLSelectElement {
  const s = h("select", { title }, ...options.map(([v, t]) => h("option", { value: v, text: t })));
  s.value = value;
  s.addEventListener("change", () => onChange(s.value));
  return s;
}

export function syncSelect(value: CameraSync, set: (p: ViewerSettings) => void): HTMLSelectElement {
  const s = select(
    "Turn cameras together",
    [["row", "sync: row"], ["grid", "sync: grid"], ["off", "sync: off"]],
    value,
    (v) => set({ [SYNC_KEY]: v }),
  );
  s.dataset.control = "camera-sync";
  return s;
}

export function legendRow(color: string, text: string, extra?: string): HTMLDivElement {
  const sw = h("span", { class: "v3d-sw" });
  sw.style.background = color;
  return h("div", { class: "v3d-row" }, sw, h("span", { class: "v3d-name", text }), extra ? h("span", { class: "num", text: extra }) : null);
}

export interface OverlayItem { tag: string; color: string; own: boolean }

/** Rows to show/hide each overlaid item (keyed by tag, grid-wide), with its colour. */
export function overlayRows(
  items: readonly OverlayItem[],
  isShown: (tag: string) => boolean,
  shown: Record<string, boolean>,
  set: (p: ViewerSettings) => void,
): HTMLDivElement[] {
  return items.map((it) => {
    const cb = checkbox("", it.own || isShown(it.tag), (on) => set({ [OVERLAY_SHOWN_KEY]: { ...shown, [it.tag]: on } }));
    if (it.own) cb.querySelector("input")!.disabled = true; // the cell's own item is always shown
    const sw = h("span", { class: "v3d-sw" });
    sw.style.background = it.color;
    return h("div", { class: "v3d-row", "data-overlay": it.tag }, cb, sw, h("span", { text: it.tag, title: it.tag }));
  });
}

/**
 * The overlay part of a 3D cell: the popover lists the obvious partners (`x/predicted` for
 * `x/true`) and, folded away, every other tag of the kind; the in-cell legend only the cell's own
 * item, its partners and whatever the user turned on.
 */
export function overlayControls(
  own: OverlayItem,
  others: readonly OverlayItem[],
  settings: ViewerSettings,
  set: (p: ViewerSettings) => void,
  pairsOn = true,
): { menu: Node[]; legend: HTMLElement[]; isShown: (tag: string) => boolean } {
  const shown = readFlags(settings, OVERLAY_SHOWN_KEY);
  const isShown = (tag: string) => overlayShown(own.tag, tag, shown, pairsOn);
  if (!others.length) return { menu: [], legend: [], isShown };
  // A tag logged as a batch offers one item per index; they show and hide together (keyed by tag),
  // so the lists name each tag once.
  const byTag = new Map<string, OverlayItem>();
  for (const it of others) if (!byTag.has(it.tag)) byTag.set(it.tag, it);
  const { paired, others: rest } = rankOverlays(own.tag, [...byTag.values()]);
  const menu: Node[] = [heading("Overlay")];
  menu.push(...overlayRows([own, ...paired], isShown, shown, set));
  if (rest.length) {
    const summary = h("summary", { text: paired.length ? `other tags (${rest.length})` : `overlay another tag (${rest.length})` });
    const more = h("details", {}, summary, ...overlayRows(rest, isShown, shown, set));
    more.open = rest.some((it) => isShown(it.tag));
    menu.push(more);
  }
  const inLegend = [...paired, ...rest.filter((it) => isShown(it.tag))];
  const legend = inLegend.length ? overlayRows([own, ...inLegend], isShown, shown, set) : [];
  return { menu, legend, isShown };
}

export function readFlags(s: ViewerSettings, key: string): Record<string, boolean> {
  const v = s[key];
  const out: Record<string, boolean> = {};
  if (v && typeof v === "object" && !Array.isArray(v))
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) if (typeof x === "boolean") out[k] = x;
  return out;
}

/**
 * A readout in the cell's top-left corner (RMSD, changed points), in every cell whatever its
 * size: the whole text in a large cell (two lines at most), its figure alone in a smaller one
 * (`short`), the whole text as its title. Beside a grid cell's pin button (.mp-has-pin), as the
 * cell's badges are. null removes it.
 */
export function setReadout(root: HTMLElement, text: { long: string; short: string } | null, control: string): void {
  let el = root.querySelector<HTMLDivElement>(`:scope > .v3d-readout[data-control="${control}"]`);
  if (text === null) return el?.remove();
  if (!el) {
    el = h("div", { class: "v3d-readout" });
    el.dataset.control = control;
    root.append(el);
  }
  el.replaceChildren(h("span", { class: "long", text: text.long }), h("span", { class: "short", text: text.short }));
  el.title = text.long;
}

export function message(root: HTMLElement, text: string): void {
  root.append(h("div", { class: "v3d-msg", text }));
}
