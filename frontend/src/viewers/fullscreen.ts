// Full screen for one item of any kind: a plain image with wheel zoom and drag pan, every other
// kind mounted by its own viewer at the size of the screen, with its own controls (menus, 3D
// camera, playback). The view follows the panel's slider (← and → too), steps and runs back and
// forth from its bar, and downloads the item shown. One implementation for every viewer: the
// registry adds its button to each cell, the image viewer opens it from its own tools.
import type { ItemMeta, ItemRef } from "../api-types";
import { downloadName } from "./events";
import { setIcon } from "./icons";
import { loadViewer, viewerModuleFor } from "./registry";
import type { ItemNavigator, ViewerContext, ViewerInstance } from "./types";
import { displayText, ensureStyle, h } from "./viewer-dom";

const CSS = `
.fs-btn{position:absolute;top:4px;right:4px;z-index:4;width:24px;height:24px;padding:0;display:flex;align-items:center;justify-content:center;border:1px solid rgba(0,0,0,.14);border-radius:12px;background:rgba(255,255,255,.92);color:#455a64;cursor:pointer;opacity:0;transition:opacity .12s}
.vc-host~.fs-btn{right:32px}
.mp-cell:hover .fs-btn,.fs-btn:focus-visible{opacity:1}
@media (hover:none){.fs-btn{opacity:1}}
.mp-lightbox .mp-fs-content{position:absolute;inset:0;display:flex;cursor:auto}
.mp-lightbox-msg{margin:auto;color:#bdbdbd}
`;

/** The full-screen view open on the page, if any. */
let active: FullScreen | null = null;

export function titleOf(ref: ItemRef): string {
  return `${ref.run} · ${ref.tag} · step ${ref.step} · #${ref.index}`;
}

function button(text: string, label: string, onClick: () => void): HTMLButtonElement {
  const b = h("button", { type: "button", class: "mp-btn", "aria-label": label, title: label });
  b.textContent = text;
  b.addEventListener("click", onClick);
  return b;
}

class FullScreen {
  private readonly overlay: HTMLDivElement;
  private readonly name: HTMLSpanElement;
  private readonly zoomLabel: HTMLSpanElement;
  private readonly zoomTools: HTMLSpanElement;
  private readonly download: HTMLAnchorElement;
  private readonly stage: HTMLDivElement;
  private readonly caption: HTMLDivElement;
  private readonly closeBtn: HTMLButtonElement;
  private readonly nav: ItemNavigator | undefined;
  private unfollow: () => void = () => undefined;
  private instance: ViewerInstance | null = null;
  private abort = new AbortController();
  private token = 0;
  private zoom: { fit(): void; oneToOne(): void } | null = null;

  constructor(private ref: ItemRef, meta: ItemMeta, private readonly ctx: ViewerContext) {
    ensureStyle("tbmp-fullscreen", CSS);
    this.nav = ctx.nav;
    this.overlay = h("div", { class: "mp-lightbox", role: "dialog", "aria-modal": "true" });
    this.name = h("span", { class: "mp-lightbox-title" });
    this.zoomLabel = h("span", { class: "mp-lightbox-zoom" });
    this.zoomTools = h("span");
    this.zoomTools.append(this.zoomLabel, button("Fit", "Fit", () => this.zoom?.fit()),
      button("1:1", "1:1", () => this.zoom?.oneToOne()));
    this.download = h("a", { class: "mp-btn", title: "Download the original" });
    this.download.textContent = "Download";
    this.closeBtn = button("Close", "Close full screen", () => this.close());
    const bar = h("div", { class: "mp-lightbox-bar" });
    bar.append(this.name);
    if (this.nav) {
      const nav = this.nav;
      bar.append(
        button("‹ step", "Previous step", () => nav.stepBy(-1)),
        button("step ›", "Next step", () => nav.stepBy(1)),
        button("‹ run", "Previous run", () => this.runBy(-1)),
        button("run ›", "Next run", () => this.runBy(1)),
      );
    }
    bar.append(this.zoomTools, this.download, this.closeBtn);
    this.stage = h("div", { class: "mp-lightbox-stage" });
    this.caption = h("div", { class: "mp-lightbox-caption" });
    this.overlay.append(bar, this.stage, this.caption);
    document.body.append(this.overlay);
    // Document, capture phase: a cell menu open over the view (window, capture) takes Escape first.
    document.addEventListener("keydown", this.onKey, true);
    if (this.nav) {
      const nav = this.nav;
      this.unfollow = nav.subscribe((what) => {
        if (what === "settings") return this.instance?.update?.(nav.settings());
        if (what === "run") {
          const run = nav.currentRun();
          if (run !== null && run !== this.ref.run) void this.goTo(run, nav.current() ?? Number(this.ref.step));
          return;
        }
        const step = nav.current();
        if (step !== null && String(step) !== String(this.ref.step)) void this.goTo(this.ref.run, step);
      });
    }
    this.show(ref, meta);
    this.nav?.setRun(ref.run); // the run under review is the one shown
    // And the slider's step: a cell of another column opened, ← → and the run buttons go on from it.
    const step = Number(ref.step);
    if (this.nav && Number.isSafeInteger(step) && this.nav.current() !== step) this.nav.setStep(step);
    this.closeBtn.focus();
  }

  /** The item at `run` at or before `step`, same tag and index, or a note that there is none. */
  private async goTo(run: string, step: number): Promise<void> {
    if (!this.nav) return;
    const token = ++this.token;
    const found = await this.nav.item(run, this.ref.tag, step, this.ref.index).catch(() => null);
    if (token !== this.token || active !== this) return;
    if (found) this.show(found.ref, found.meta);
    else this.empty({ ...this.ref, run, step }, `No ${this.ref.tag} #${this.ref.index} in ${run} at or before step ${step}`);
  }

  /** The panel moves its run under review from this one; the view follows it (subscribe). */
  private runBy(direction: -1 | 1): void {
    this.nav?.setRun(this.ref.run);
    this.nav?.runBy(direction);
  }

  private label(ref: ItemRef): void {
    this.ref = ref;
    const title = titleOf(ref);
    this.name.textContent = displayText(title);
    this.overlay.setAttribute("aria-label", `${title} full screen`);
    this.overlay.dataset.run = ref.run;
    this.overlay.dataset.tag = ref.tag;
    this.overlay.dataset.step = String(ref.step);
    this.overlay.dataset.index = String(ref.index);
  }

  private clearStage(): void {
    this.abort.abort();
    this.abort = new AbortController();
    this.instance?.destroy();
    this.instance = null;
    this.zoom = null;
    this.stage.replaceChildren();
  }

  private empty(ref: ItemRef, text: string): void {
    this.label(ref);
    this.clearStage();
    this.zoomTools.hidden = true;
    this.download.hidden = true;
    this.caption.textContent = "";
    this.stage.append(h("div", { class: "mp-lightbox-msg" }, text));
  }

  show(ref: ItemRef, meta: ItemMeta): void {
    this.label(ref);
    this.clearStage();
    this.download.hidden = false;
    this.download.href = this.ctx.source.downloadUrl(ref);
    this.download.download = downloadName(ref, meta.format);
    this.caption.textContent = displayText(meta.caption);
    this.caption.hidden = !meta.caption;
    const plain = viewerModuleFor(meta) === "image";
    this.zoomTools.hidden = !plain;
    if (plain) {
      this.zoom = zoomable(this.stage, this.ctx.source.dataUrl(ref), this.zoomLabel, this.ctx.settings["image.pixelated"] === true);
      return;
    }
    const host = h("div", { class: "mp-cell-content mp-fs-content" });
    this.stage.append(host);
    const signal = this.abort.signal;
    const token = ++this.token;
    void loadViewer(meta)
      .then((v) => v.mount(host, ref, meta, { ...this.ctx, signal, settings: this.nav?.settings() ?? this.ctx.settings }))
      .then((inst) => {
        if (token !== this.token || active !== this) inst.destroy();
        else {
          this.instance = inst;
          // A viewer that writes its own caption (images, video, audio, text): not twice.
          if (host.querySelector(".mp-caption")) this.caption.hidden = true;
        }
      })
      .catch((err: unknown) => {
        if (!signal.aborted) host.replaceChildren(h("div", { class: "mp-lightbox-msg" }, `Could not show it: ${String(err)}`));
      });
  }

  private readonly onKey = (e: KeyboardEvent): void => {
    if (e.key !== "Escape") return;
    e.stopPropagation();
    this.close();
  };

  close(): void {
    if (active === this) active = null;
    this.token++;
    this.unfollow();
    this.clearStage();
    this.overlay.remove();
    document.removeEventListener("keydown", this.onKey, true);
  }
}

/** Opens the full-screen view of an item (closing any other). */
export function openFullScreen(ref: ItemRef, meta: ItemMeta, ctx: ViewerContext): void {
  active?.close();
  active = new FullScreen(ref, meta, ctx);
}

/** The corner button that opens an item full screen, for viewers without one of their own. */
export function fullScreenButton(ref: ItemRef, meta: ItemMeta, ctx: ViewerContext): HTMLButtonElement {
  ensureStyle("tbmp-fullscreen", CSS);
  const b = h("button", { type: "button", class: "fs-btn", title: "Full screen", "aria-label": "Full screen" });
  b.dataset.control = "fullscreen";
  setIcon(b, "fullscreen", 15);
  b.addEventListener("click", (e) => {
    e.stopPropagation();
    openFullScreen(ref, meta, ctx);
  });
  return b;
}

/** Wheel zooms around the pointer, drag pans, double-click or "Fit" resets. */
function zoomable(stage: HTMLElement, url: string, label: HTMLElement, pixelated: boolean): { fit(): void; oneToOne(): void } {
  const img = new Image();
  img.src = url;
  img.draggable = false;
  img.className = "mp-lightbox-img";
  img.style.imageRendering = pixelated ? "pixelated" : "auto";
  stage.append(img);
  let scale = 1;
  let tx = 0;
  let ty = 0;
  const apply = () => {
    img.style.transform = `translate(${tx}px, ${ty}px) scale(${scale})`;
    label.textContent = `${Math.round(scale * 100)}%`;
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
  img.addEventListener("wheel", (e) => {
    e.preventDefault();
    const r = stage.getBoundingClientRect();
    const px = e.clientX - r.left;
    const py = e.clientY - r.top;
    const next = Math.min(64, Math.max(0.05, scale * Math.exp(-e.deltaY * 0.0015)));
    tx = px - ((px - tx) * next) / scale;
    ty = py - ((py - ty) * next) / scale;
    scale = next;
    apply();
  }, { passive: false });
  let drag: { x: number; y: number } | null = null;
  img.addEventListener("pointerdown", (e) => {
    drag = { x: e.clientX - tx, y: e.clientY - ty };
    img.setPointerCapture(e.pointerId);
  });
  img.addEventListener("pointermove", (e) => {
    if (!drag) return;
    tx = e.clientX - drag.x;
    ty = e.clientY - drag.y;
    apply();
  });
  img.addEventListener("pointerup", () => { drag = null; });
  img.addEventListener("dblclick", fit);
  return { fit, oneToOne };
}
