// Plain image viewer: fit to the cell or original size, smooth or pixelated, caption, full
// screen (fullscreen.ts: wheel zoom and drag pan), download of the original bytes.
import { displayText, h } from "./viewer-dom";
import type { ItemMeta, ItemRef } from "../api-types";
import { downloadName } from "./events";
import { openFullScreen } from "./fullscreen";
import { setIcon } from "./icons";
import type { Viewer, ViewerContext, ViewerInstance, ViewerSettings } from "./types";

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

function applySettings(frame: HTMLElement, img: HTMLImageElement, cap: HTMLElement | null, s: ViewerSettings): void {
  const original = s["image.fit"] === "original";
  frame.classList.toggle("mp-original", original);
  img.style.imageRendering = s["image.pixelated"] ? "pixelated" : "auto";
  if (cap) cap.hidden = s["captions"] === false;
}

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
    frame.addEventListener("dblclick", () => full.click());
    tools.append(full, downloadLink(ctx.source.downloadUrl(ref), downloadName(ref, ext)));
    const root = h("div", { class: "mp-viewer mp-image-viewer" });
    root.append(frame, tools);
    if (cap) root.append(cap);
    applySettings(frame, img, cap, ctx.settings);
    host.append(root);
    return {
      update(settings) { applySettings(frame, img, cap, settings); },
      destroy() { root.remove(); },
    };
  },
};
