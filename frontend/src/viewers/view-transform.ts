// Locked pan and zoom: every image viewer mounted under an element with `data-view-group` (a
// card's body, the Compare view) shows its image through that group's one transform. The wheel
// zooms about the pointer, dragging pans, double-click or "fit" resets; the transform is kept in
// image pixels, so cells whose images differ in size show the same image coordinates at the same
// place. Members draw it with a CSS transform (no layout per frame); changes are batched into one
// animation frame for the whole group.
//
// The wheel rule of the panel: the wheel scrolls the page unless the card has the focus (a click
// into it) or is full screen. So the wheel zooms there, or anywhere with Ctrl / ⌘ held (a
// trackpad pinch sends Ctrl+wheel too).

/**
 * How every cell of a group shows its image: `scale` CSS pixels per image pixel, and the image
 * point (`tx`, `ty`, in image pixels) at the centre of each cell. null in the API: fit, where
 * each cell fits its own image (the panel's default).
 */
export interface ViewTransform { scale: number; tx: number; ty: number }

export interface Size { w: number; h: number }

export const MAX_SCALE = 32;
export const MIN_SCALE = 1 / 32;

// ---- pure math (unit tested) --------------------------------------------------------------

export function clampScale(s: number): number {
  return Math.min(MAX_SCALE, Math.max(MIN_SCALE, s));
}

/** The scale that fits an image into a viewport, whole. */
export function fitScale(view: Size, img: Size): number {
  return Math.min(view.w / Math.max(1, img.w), view.h / Math.max(1, img.h));
}

/** The fit view as a transform: the start of a zoom. */
export function fitTransform(view: Size, img: Size): ViewTransform {
  return { scale: clampScale(fitScale(view, img)), tx: img.w / 2, ty: img.h / 2 };
}

/** Where image point (x, y) is drawn in a viewport (px from its top-left). */
export function toScreen(t: ViewTransform, view: Size, x: number, y: number): [number, number] {
  return [view.w / 2 + (x - t.tx) * t.scale, view.h / 2 + (y - t.ty) * t.scale];
}

/** The image point under viewport point (sx, sy). */
export function toImage(t: ViewTransform, view: Size, sx: number, sy: number): [number, number] {
  return [t.tx + (sx - view.w / 2) / t.scale, t.ty + (sy - view.h / 2) / t.scale];
}

/** Zoom by `factor` keeping the image point under (sx, sy) where it is. */
export function zoomAbout(t: ViewTransform, view: Size, sx: number, sy: number, factor: number): ViewTransform {
  const [x, y] = toImage(t, view, sx, sy);
  const scale = clampScale(t.scale * factor);
  return { scale, tx: x - (sx - view.w / 2) / scale, ty: y - (sy - view.h / 2) / scale };
}

/** Dragging by (dx, dy) screen px moves the image with the pointer; the centre stays on the image. */
export function panBy(t: ViewTransform, dx: number, dy: number, img: Size): ViewTransform {
  const clamp = (v: number, hi: number) => Math.min(hi, Math.max(0, v));
  return { scale: t.scale, tx: clamp(t.tx - dx / t.scale, img.w), ty: clamp(t.ty - dy / t.scale, img.h) };
}

/** One image pixel per device pixel (true pixels), about the same centre. */
export function oneToOne(t: ViewTransform, dpr: number): ViewTransform {
  return { ...t, scale: clampScale(1 / (dpr || 1)) };
}

/**
 * The CSS transform of an element of the image's size (transform-origin 0 0) in a viewport.
 * Offsets are rounded to device pixels so magnified pixels keep their edges on pixel edges.
 */
export function cssTransform(t: ViewTransform, view: Size, dpr = 1): string {
  const r = (v: number) => Math.round(v * dpr) / dpr;
  return `translate(${r(view.w / 2 - t.tx * t.scale)}px,${r(view.h / 2 - t.ty * t.scale)}px) scale(${t.scale})`;
}

/** The wheel's zoom factor: one notch (100 px) is about ×1.25 (browsers differ in line/page units). */
export function wheelFactor(deltaY: number, deltaMode: number): number {
  const px = deltaMode === 1 ? deltaY * 16 : deltaMode === 2 ? deltaY * 400 : deltaY;
  return Math.exp(-Math.max(-400, Math.min(400, px)) * 0.0022);
}

/** "8×", "1:1", "25 %": the zoom as a user reads it. */
export function zoomText(t: ViewTransform | null, dpr = 1): string {
  if (!t) return "fit";
  const s = t.scale * (dpr || 1);
  if (Math.abs(s - 1) < 1e-3) return "1:1";
  if (s >= 1) return `${+s.toFixed(s < 10 ? 1 : 0)}×`;
  return `${Math.round(s * 100)} %`;
}

/** The URL form: [scale, tx, ty], rounded (a link stays short), or null when malformed. */
export function encodeView(t: ViewTransform): [number, number, number] {
  const r = (v: number, d: number) => Math.round(v * d) / d;
  return [r(t.scale, 1e4), r(t.tx, 100), r(t.ty, 100)];
}

export function decodeView(v: unknown): ViewTransform | null {
  if (!Array.isArray(v) || v.length !== 3 || !v.every((n) => typeof n === "number" && Number.isFinite(n))) return null;
  const [scale, tx, ty] = v as number[];
  if (scale <= 0) return null;
  return { scale: clampScale(scale), tx, ty };
}

// ---- groups -------------------------------------------------------------------------------

/** One image viewer in a group: draws the transform, maps its pointer to image pixels. */
export interface ViewMember {
  /** The group's transform changed (null: fit). Called inside an animation frame. */
  apply(t: ViewTransform | null): void;
}

type Listener = (t: ViewTransform | null) => void;

class Group {
  t: ViewTransform | null = null;
  readonly members = new Set<ViewMember>();
  readonly listeners = new Set<Listener>();
  save: ((t: ViewTransform | null) => void) | null = null;
  private frame = 0;
  private saveTimer = 0;

  set(t: ViewTransform | null, persist = true): void {
    this.t = t;
    if (!this.frame) this.frame = requestAnimationFrame(() => this.flush());
    if (persist && this.save) {
      // The URL once a gesture pauses, not per frame.
      window.clearTimeout(this.saveTimer);
      this.saveTimer = window.setTimeout(() => this.save?.(this.t), 250);
    }
  }

  flush(): void {
    this.frame = 0;
    for (const m of this.members) m.apply(this.t);
    for (const fn of this.listeners) fn(this.t);
  }
}

const GROUP_ATTR = "data-view-group";
const groups = new WeakMap<Element, Group>();

function groupFor(el: Element): Group {
  let g = groups.get(el);
  if (!g) groups.set(el, (g = new Group()));
  return g;
}

/** A viewer's group element: the nearest ancestor with `data-view-group`, else its own host. */
export function groupElement(host: Element): Element {
  return host.closest(`[${GROUP_ATTR}]`) ?? host;
}

/** The group's transform in image pixels; null when its cells fit their images. */
export function groupTransform(groupEl: Element): ViewTransform | null {
  return groups.get(groupEl)?.t ?? null;
}

/** Calls `fn` (in an animation frame) whenever the group's transform changes; returns the unsubscribe. */
export function subscribeTransform(groupEl: Element, fn: Listener): () => void {
  const g = groupFor(groupEl);
  g.listeners.add(fn);
  return () => g.listeners.delete(fn);
}

/** Sets a group's transform, e.g. from a link; `persist` false does not call the group's save. */
export function setGroupTransform(groupEl: Element, t: ViewTransform | null, persist = true): void {
  groupFor(groupEl).set(t, persist);
}

/** The owner of a group element (the panel for a card) keeps its transform: from a link, into the URL. */
export function bindGroup(groupEl: HTMLElement, initial: ViewTransform | null, save: (t: ViewTransform | null) => void): void {
  groupEl.setAttribute(GROUP_ATTR, groupEl.getAttribute(GROUP_ATTR) || "1");
  const g = groupFor(groupEl);
  g.save = save;
  if (JSON.stringify(g.t) !== JSON.stringify(initial)) g.set(initial, false);
}

/** Adds a viewer to the group of `host`; it is drawn with the current transform at once. */
export function joinGroup(host: Element, member: ViewMember): { group: Element; leave(): void } {
  const el = groupElement(host);
  const g = groupFor(el);
  g.members.add(member);
  member.apply(g.t);
  return { group: el, leave: () => g.members.delete(member) };
}

// ---- gestures -----------------------------------------------------------------------------

/** Elements a drag must leave alone: the cell's tools, menus, sliders, handles. */
const CONTROLS = "button,input,select,textarea,a,[data-control],.mp-tools,.vt-zoom,.vc-pop,.fs-btn,.ai-miou,.mp-resize";

/** The event is on one of `el`'s own controls, not on the picture (what is around `el` does not count). */
function onControl(e: Event, el: HTMLElement): boolean {
  const c = e.target instanceof Element ? e.target.closest(CONTROLS) : null;
  return c !== null && c !== el && el.contains(c);
}

/** Whether a plain wheel (no Ctrl / ⌘) is the viewer's: the card has the focus or is full screen. */
export function wheelIsOurs(e: WheelEvent, el: Element): boolean {
  if (e.ctrlKey || e.metaKey) return true;
  const card = el.closest(".mp-card");
  // Outside a card (full screen of one item, the Compare view) nothing else wants the wheel.
  if (!card) return true;
  return card.classList.contains("mp-expanded") || card.contains(document.activeElement);
}

export interface GestureTarget {
  /** The viewport under the pointer and its size, or null when the pointer is not over one. */
  viewportAt(e: MouseEvent): { el: HTMLElement; view: Size; img: Size } | null;
}

export const ZOOM_HINT = "Zoom: Ctrl/⌘ + wheel, or the wheel once the card is clicked · drag pans · double-click resets";

/**
 * Wheel, drag and double-click on `el` for the group of `host`. Returns the detach. `onDoubleAtFit`
 * runs for a double-click when there is nothing to reset (the plain image opens full screen).
 */
export function attachGestures(el: HTMLElement, host: Element, target: GestureTarget, onDoubleAtFit?: () => void): () => void {
  const group = () => groupFor(groupElement(host));
  const current = (vp: { view: Size; img: Size }) => group().t ?? fitTransform(vp.view, vp.img);
  const wheel = (e: WheelEvent) => {
    if (!wheelIsOurs(e, el)) return;
    const vp = target.viewportAt(e);
    if (!vp) return;
    e.preventDefault(); // the page does not scroll, the browser does not zoom
    const r = vp.el.getBoundingClientRect();
    group().set(zoomAbout(current(vp), vp.view, e.clientX - r.left, e.clientY - r.top, wheelFactor(e.deltaY, e.deltaMode)));
  };
  let drag: { x: number; y: number; img: Size; moved: boolean; id: number } | null = null;
  const down = (e: PointerEvent) => {
    if (e.button !== 0 || !group().t || onControl(e, el)) return;
    const vp = target.viewportAt(e);
    if (!vp) return;
    drag = { x: e.clientX, y: e.clientY, img: vp.img, moved: false, id: e.pointerId };
  };
  const move = (e: PointerEvent) => {
    if (!drag || e.pointerId !== drag.id) return;
    const t = group().t;
    const dx = e.clientX - drag.x;
    const dy = e.clientY - drag.y;
    // A click (to focus the card) is not a pan: only past a few pixels.
    if (!t || !drag.moved && Math.hypot(dx, dy) < 3) return;
    if (!drag.moved) {
      drag.moved = true;
      el.setPointerCapture(e.pointerId);
      el.classList.add("vt-panning");
    }
    drag.x = e.clientX;
    drag.y = e.clientY;
    group().set(panBy(t, dx, dy, drag.img));
  };
  const up = (e: PointerEvent) => {
    if (!drag || e.pointerId !== drag.id) return;
    if (drag.moved) el.classList.remove("vt-panning");
    drag = null;
  };
  const dbl = (e: MouseEvent) => {
    if (onControl(e, el)) return;
    if (group().t) group().set(null);
    else onDoubleAtFit?.();
  };
  el.addEventListener("wheel", wheel, { passive: false });
  el.addEventListener("pointerdown", down);
  el.addEventListener("pointermove", move);
  el.addEventListener("pointerup", up);
  el.addEventListener("pointercancel", up);
  el.addEventListener("dblclick", dbl);
  return () => {
    el.removeEventListener("wheel", wheel);
    el.removeEventListener("pointerdown", down);
    el.removeEventListener("pointermove", move);
    el.removeEventListener("pointerup", up);
    el.removeEventListener("pointercancel", up);
    el.removeEventListener("dblclick", dbl);
  };
}

/** The zoom chip of a cell's tools: the zoom, "1:1" and "fit". */
export function zoomTools(host: Element, viewOf: () => { view: Size; img: Size } | null): { el: HTMLElement; show(t: ViewTransform | null): void } {
  const el = document.createElement("span");
  el.className = "vt-zoom";
  el.title = ZOOM_HINT;
  const label = document.createElement("span");
  label.className = "vt-zoom-label";
  const btn = (text: string, title: string, control: string, fn: () => void) => {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "mp-tool";
    b.textContent = text;
    b.title = title;
    b.dataset.control = control;
    b.addEventListener("click", (e) => {
      e.stopPropagation();
      fn();
    });
    return b;
  };
  const g = () => groupFor(groupElement(host));
  const one = btn("1:1", "True pixels: one image pixel per screen pixel, in every image of the card", "zoom-1", () => {
    const vp = viewOf();
    const t = g().t ?? (vp ? fitTransform(vp.view, vp.img) : null);
    if (t) g().set(oneToOne(t, window.devicePixelRatio));
  });
  const fit = btn("fit", "Fit every image of the card to its cell", "zoom-fit", () => g().set(null));
  el.append(label, one, fit);
  return {
    el,
    show(t) {
      // At fit the label only says how to zoom (its title tells the gestures).
      label.textContent = t ? zoomText(t, window.devicePixelRatio) : "zoom";
      el.dataset.zoom = t ? String(t.scale) : "fit";
      fit.hidden = !t;
      one.hidden = label.textContent === "1:1";
    },
  };
}

export const VIEW_CSS = `
.vt-zoom{position:absolute;right:3px;bottom:3px;z-index:3;display:none;align-items:center;gap:2px}
*:hover>.vt-zoom,.vt-zoom:not([data-zoom=fit]){display:inline-flex}
.vt-zoom:not([data-zoom=fit])>.mp-tool{display:none}
*:hover>.vt-zoom>.mp-tool:not([hidden]){display:inline-block}
.pp-probing :not(.pp-here)>.vt-zoom{display:none!important}
.vt-zoom-label{font:11px/18px system-ui,sans-serif;padding:0 4px;border-radius:3px;background:rgba(33,33,33,.72);color:#fff;font-variant-numeric:tabular-nums;cursor:help}
.vt-zoomed{cursor:grab}
.vt-panning,.vt-panning *{cursor:grabbing!important}
`;
