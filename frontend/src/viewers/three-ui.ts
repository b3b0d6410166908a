// The controls shared by the 3D viewers: a compact toolbar, the overlay list and a legend.
import { checkbox, ensureStyle, h } from "./viewer-dom";
import { SYNC_KEY, type CameraSync } from "./three-shared";
import type { ViewerSettings } from "./types";

/** tag -> shown; overlays start hidden: the panel offers every other tag, the user picks. */
export const OVERLAY_SHOWN_KEY = "3d.overlays";

const CSS = `
.v3d-root{container-type:size;position:relative;width:100%;height:100%;overflow:hidden;font:12px/1.3 system-ui,sans-serif;color:#212121;min-height:0}
.v3d-bar{position:absolute;left:4px;top:4px;right:4px;display:flex;flex-wrap:wrap;gap:4px;align-items:center;pointer-events:none;font-size:11px}
@container (max-width: 300px){.v3d-root:not(:hover):not(:focus-within) .v3d-bar{opacity:0}}
.v3d-bar{transition:opacity .15s}
.v3d-bar>*{pointer-events:auto;background:rgba(255,255,255,.88);border:1px solid #ccc;border-radius:3px;padding:0 4px;font:inherit}
.v3d-bar label{display:inline-flex;align-items:center;gap:3px;cursor:pointer}
.v3d-bar input[type=range]{width:70px}
.v3d-panel{position:absolute;left:4px;bottom:4px;max-height:45%;max-width:60%;overflow:auto;background:rgba(255,255,255,.9);border:1px solid #ccc;border-radius:3px;padding:3px 6px}
.v3d-panel:empty{display:none}
.v3d-row{display:flex;align-items:center;gap:4px;white-space:nowrap}
.v3d-sw{display:inline-block;width:10px;height:10px;border-radius:2px;border:1px solid rgba(0,0,0,.3)}
.v3d-row .num{color:#757575;font-variant-numeric:tabular-nums}
.v3d-msg{position:absolute;inset:0;display:flex;align-items:center;justify-content:center;color:#616161;text-align:center;padding:8px}
`;

export function root3d(el: HTMLElement): { root: HTMLDivElement; bar: HTMLDivElement; panel: HTMLDivElement } {
  ensureStyle("tbmp-3d", CSS);
  const root = h("div", { class: "v3d-root" });
  const bar = h("div", { class: "v3d-bar" });
  const panel = h("div", { class: "v3d-panel" });
  el.append(root);
  return { root, bar, panel };
}

/** A select bound to a grid-wide setting. */
export function select(
  title: string,
  options: readonly (readonly [string, string])[],
  value: string,
  onChange: (v: string) => void,
): HTMLSelectElement {
  const s = h("select", { title });
  for (const [v, t] of options) {
    const o = h("option", { value: v });
    o.textContent = t;
    s.append(o);
  }
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
  const row = h("div", { class: "v3d-row" });
  const sw = h("span", { class: "v3d-sw" });
  sw.style.background = color;
  const name = h("span");
  name.textContent = text;
  row.append(sw, name);
  if (extra) {
    const n = h("span", { class: "num" });
    n.textContent = extra;
    row.append(n);
  }
  return row;
}

/** Rows to show/hide each overlaid item (keyed by tag, grid-wide), with its colour. */
export function overlayRows(
  items: { tag: string; color: string; own: boolean }[],
  shown: Record<string, boolean>,
  set: (p: ViewerSettings) => void,
): HTMLDivElement[] {
  return items.map((it) => {
    const row = h("div", { class: "v3d-row" });
    row.dataset.overlay = it.tag;
    const cb = checkbox("", it.own || !!shown[it.tag], (on) => set({ [OVERLAY_SHOWN_KEY]: { ...shown, [it.tag]: on } }));
    if (it.own) cb.querySelector("input")!.disabled = true; // the cell's own item is always shown
    const sw = h("span", { class: "v3d-sw" });
    sw.style.background = it.color;
    const name = h("span");
    name.textContent = it.tag;
    row.append(cb, sw, name);
    return row;
  });
}

export function readFlags(s: ViewerSettings, key: string): Record<string, boolean> {
  const v = s[key];
  const out: Record<string, boolean> = {};
  if (v && typeof v === "object" && !Array.isArray(v))
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) if (typeof x === "boolean") out[k] = x;
  return out;
}

export function message(root: HTMLElement, text: string): void {
  const m = h("div", { class: "v3d-msg" });
  m.textContent = text;
  root.append(m);
}
