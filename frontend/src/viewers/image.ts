// Plain image viewer: fit to the cell or original size, smooth or pixelated, caption, full
// screen with wheel zoom and drag pan, download of the original bytes.
import type { ItemMeta, ItemRef } from "../api-types";
import { downloadName } from "./events";
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

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function applySettings(frame: HTMLElement, img: HTMLImageElement, cap: HTMLElement | null, s: ViewerSettings): void {
  const original = s["image.fit"] === "original";
  frame.classList.toggle("mp-original", original);
  img.style.imageRendering = s["image.pixelated"] ? "pixelated" : "auto";
  if (cap) cap.hidden = s["captions"] === false;
}

export function downloadLink(url: string, name: string): HTMLAnchorElement {
  const a = el("a", "mp-tool");
  setIcon(a, "download", 14);
  a.href = url;
  a.download = name;
  a.title = "Download the original";
  a.setAttribute("aria-label", "Download the original");
  return a;
}

/** Full-screen view: wheel zooms around the pointer, drag pans, double-click or "Fit" resets. */
export function openFullscreen(url: string, title: string, caption: string, download: string, pixelated: boolean, downloadUrl: string): void {
  const overlay = el("div", "mp-lightbox");
  overlay.setAttribute("role", "dialog");
  overlay.setAttribute("aria-label", `${title} full screen`);
  const bar = el("div", "mp-lightbox-bar");
  const name = el("span", "mp-lightbox-title", title);
  const zoomLabel = el("span", "mp-lightbox-zoom");
  const fitBtn = el("button", "mp-btn", "Fit");
  const oneBtn = el("button", "mp-btn", "1:1");
  const dl = el("a", "mp-btn", "Download");
  dl.href = downloadUrl;
  dl.download = download;
  const close = el("button", "mp-btn", "Close");
  close.setAttribute("aria-label", "Close full screen");
  bar.append(name, zoomLabel, fitBtn, oneBtn, dl, close);
  const stage = el("div", "mp-lightbox-stage");
  const img = new Image();
  img.src = url;
  img.draggable = false;
  img.className = "mp-lightbox-img";
  img.style.imageRendering = pixelated ? "pixelated" : "auto";
  stage.append(img);
  overlay.append(bar, stage);
  if (caption) overlay.append(el("div", "mp-lightbox-caption", caption));
  document.body.append(overlay);

  let scale = 1;
  let tx = 0;
  let ty = 0;
  const apply = () => {
    img.style.transform = `translate(${tx}px, ${ty}px) scale(${scale})`;
    zoomLabel.textContent = `${Math.round(scale * 100)}%`;
  };
  const fit = () => {
    const r = stage.getBoundingClientRect();
    const w = img.naturalWidth || 1;
    const hgt = img.naturalHeight || 1;
    scale = Math.min(r.width / w, r.height / hgt);
    tx = (r.width - w * scale) / 2;
    ty = (r.height - hgt * scale) / 2;
    apply();
  };
  const oneToOne = () => {
    const r = stage.getBoundingClientRect();
    scale = 1;
    tx = (r.width - img.naturalWidth) / 2;
    ty = (r.height - img.naturalHeight) / 2;
    apply();
  };
  img.decode().then(fit, fit);
  stage.addEventListener("wheel", (e) => {
    e.preventDefault();
    const r = stage.getBoundingClientRect();
    const px = e.clientX - r.left;
    const py = e.clientY - r.top;
    const f = Math.exp(-e.deltaY * 0.0015);
    const next = Math.min(64, Math.max(0.05, scale * f));
    tx = px - ((px - tx) * next) / scale;
    ty = py - ((py - ty) * next) / scale;
    scale = next;
    apply();
  }, { passive: false });
  let drag: { x: number; y: number } | null = null;
  stage.addEventListener("pointerdown", (e) => {
    drag = { x: e.clientX - tx, y: e.clientY - ty };
    stage.setPointerCapture(e.pointerId);
  });
  stage.addEventListener("pointermove", (e) => {
    if (!drag) return;
    tx = e.clientX - drag.x;
    ty = e.clientY - drag.y;
    apply();
  });
  stage.addEventListener("pointerup", () => { drag = null; });
  stage.addEventListener("dblclick", fit);
  fitBtn.addEventListener("click", fit);
  oneBtn.addEventListener("click", oneToOne);
  const onKey = (e: KeyboardEvent) => {
    if (e.key === "Escape") {
      e.stopPropagation();
      done();
    }
  };
  const done = () => {
    overlay.remove();
    document.removeEventListener("keydown", onKey, true);
  };
  close.addEventListener("click", done);
  document.addEventListener("keydown", onKey, true);
  close.focus();
}

export const viewer: Viewer = {
  async mount(host: HTMLElement, ref: ItemRef, meta: ItemMeta, ctx: ViewerContext): Promise<ViewerInstance> {
    const url = ctx.source.dataUrl(ref);
    const img = await loadImage(url, ctx.signal);
    img.className = "mp-image";
    img.alt = meta.caption || `${ref.tag} at step ${ref.step}`;
    const frame = el("div", "mp-image-frame");
    frame.append(img);
    const cap = meta.caption ? el("div", "mp-caption", meta.caption) : null;
    if (cap) cap.title = meta.caption;
    const ext = meta.format || "png";
    const tools = el("div", "mp-tools");
    const full = el("button", "mp-tool");
    setIcon(full, "fullscreen", 14);
    full.title = "Full screen (zoom and pan)";
    full.setAttribute("aria-label", "Full screen");
    full.addEventListener("click", (e) => {
      e.stopPropagation();
      openFullscreen(url, `${ref.run} · ${ref.tag} · step ${ref.step} · #${ref.index}`, meta.caption,
        downloadName(ref, ext), ctx.settings["image.pixelated"] === true, ctx.source.downloadUrl(ref));
    });
    frame.addEventListener("dblclick", () => full.click());
    tools.append(full, downloadLink(ctx.source.downloadUrl(ref), downloadName(ref, ext)));
    const root = el("div", "mp-viewer mp-image-viewer");
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
