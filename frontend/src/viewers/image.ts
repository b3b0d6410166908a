// Plain image viewer: fit to the cell or original size, smooth or pixelated, caption, full
// screen (fullscreen.ts), download of the original bytes; wheel zoom and drag pan locked with
// every image of the card (view-transform.ts) and the pixel probe (pixel-probe.ts).
import { displayText, ensureStyle, h } from "./viewer-dom";
import type { ItemMeta, ItemRef } from "../api-types";
import { downloadName } from "./events";
import { openFullScreen } from "./fullscreen";
import { setIcon } from "./icons";
import { attachProbe, pixelsOf, rgbText, viewMapping, type Pixels } from "./pixel-probe";
import type { Viewer, ViewerContext, ViewerInstance } from "./types";
import { VIEW_CSS, attachGestures, cssTransform, joinGroup, zoomTools, type Size, type ViewTransform } from "./view-transform";

/** Recently shown images stay referenced so scrubbing back is served from memory, not the network. */
const recent = new Map<string, HTMLImageElement>();
const RECENT_LIMIT = 400;

function remember(url: string, img: HTMLImageElement): void {
  recent.delete(url);
  recent.set(url, img);
  if (recent.size > RECENT_LIMIT) recent.delete(recent.keys().next().value as string);
}

export function isCached(url: string): boolean {
  return recent.has(url);
}

/** Fetches and decodes an image the user is likely to see next (the slider's neighbour step). */
export async function preloadImage(url: string): Promise<void> {
  if (recent.has(url)) return;
  const img = new Image();
  img.decoding = "async";
  img.src = url;
  await img.decode().then(() => remember(url, img), () => undefined);
}

async function loadImage(url: string, signal: AbortSignal): Promise<HTMLImageElement> {
  const img = new Image();
  img.decoding = "async";
  img.draggable = false;
  img.src = url;
  try {
    await img.decode();
  } catch {
    if (signal.aborted) throw new DOMException("aborted", "AbortError");
    throw new Error("The image could not be decoded.");
  }
  remember(url, img.cloneNode() as HTMLImageElement);
  return img;
}

/** The zoomed image: its natural size, placed by a transform (the frame clips it). */
const CSS = `
.mp-image-frame{position:relative}
.mp-image-frame.vt-zoomed{overflow:hidden}
.mp-image-frame>.mp-image.vt-plane{position:absolute;left:0;top:0;max-width:none;max-height:none;object-fit:fill;transform-origin:0 0}
${VIEW_CSS}
`;
export function downloadLink(url: string, name: string): HTMLAnchorElement {
  const a = h("a", { class: "mp-tool" });
  setIcon(a, "download", 14);
  a.href = url;
  a.download = name;
  a.title = "Download the original";
  a.setAttribute("aria-label", "Download the original");
  return a;
}

export const viewer: Viewer = {
  async mount(host: HTMLElement, ref: ItemRef, meta: ItemMeta, ctx: ViewerContext): Promise<ViewerInstance> {
    ensureStyle("tbmp-image", CSS);
    const url = ctx.source.dataUrl(ref);
    const img = await loadImage(url, ctx.signal);
    img.className = "mp-image";
    img.alt = meta.caption || `${ref.tag} at step ${ref.step}`;
    const frame = h("div", { class: "mp-image-frame" });
    frame.append(img);
    const cap = meta.caption ? h("div", { class: "mp-caption", text: meta.caption }) : null;
    if (cap) cap.title = displayText(meta.caption);
    const ext = meta.format || "png";
    const tools = h("div", { class: "mp-tools" });
    const full = h("button", { class: "mp-tool" });
    setIcon(full, "fullscreen", 14);
    full.title = "Full screen (zoom and pan)";
    full.setAttribute("aria-label", "Full screen");
    full.dataset.control = "fullscreen";
    full.addEventListener("click", (e) => {
      e.stopPropagation();
      openFullScreen(ref, meta, ctx);
    });
    const root = h("div", { class: "mp-viewer mp-image-viewer" });
    const image: Size = { w: img.naturalWidth || 1, h: img.naturalHeight || 1 };
    let view: Size = { w: frame.clientWidth, h: frame.clientHeight };
    let settings = ctx.settings;
    let t: ViewTransform | null = null;
    const zoom = zoomTools(host, () => ({ view, img: image }));
    frame.append(zoom.el);
    tools.append(full, downloadLink(ctx.source.downloadUrl(ref), downloadName(ref, ext)));
    root.append(frame, tools);
    if (cap) root.append(cap);
    host.append(root);
    const original = () => settings["image.fit"] === "original";
    /** Draws the group's transform: writes only (the frame's size is cached by the observer). */
    const draw = () => {
      const zoomed = t !== null;
      frame.classList.toggle("mp-original", original() && !zoomed);
      frame.classList.toggle("vt-zoomed", zoomed);
      img.classList.toggle("vt-plane", zoomed);
      const dpr = window.devicePixelRatio || 1;
      // Magnified pixels are squares (nearest neighbour); the toolbar's "pixelated" asks it always.
      const magnified = zoomed ? t!.scale * dpr > 1.001 : false;
      img.style.imageRendering = settings["image.pixelated"] || magnified ? "pixelated" : "auto";
      if (t) {
        img.style.width = `${image.w}px`;
        img.style.height = `${image.h}px`;
        img.style.transform = cssTransform(t, view, dpr);
      } else {
        img.style.width = img.style.height = img.style.transform = "";
      }
      zoom.show(t);
      if (cap) cap.hidden = settings["captions"] === false;
    };
    const member = { apply(next: ViewTransform | null) { t = next; draw(); } };
    const joined = joinGroup(host, member);
    const observer = new ResizeObserver(() => {
      view = { w: frame.clientWidth, h: frame.clientHeight };
      draw();
    });
    observer.observe(frame);
    const detachGestures = attachGestures(frame, host, { viewportAt: () => ({ el: frame, view, img: image }) }, () => full.click());
    let px: Pixels | null = null;
    const detachProbe = attachProbe(host, frame, {
      image,
      views: () => [{
        el: frame, view,
        // The toolbar's "original size" scrolls the frame: 1 CSS px per image px from its scroll offset.
        t: t ?? (original() ? { scale: 1, tx: frame.scrollLeft + view.w / 2, ty: frame.scrollTop + view.h / 2 } : viewMapping(null, view, image)),
      }],
      valueAt: (x, y) => (px ? [rgbText(px, x, y)] : null),
      prepare: async () => { px = await pixelsOf(img); },
    });
    return {
      update(next) { settings = next; draw(); },
      destroy() {
        detachProbe();
        detachGestures();
        joined.leave();
        observer.disconnect();
        root.remove();
      },
    };
  },
};
