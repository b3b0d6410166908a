// Video viewer: plays in the cell (muted, so autoplay rules never block it), loop toggle,
// frame-accurate scrubbing (with the slider, or by dragging sideways across the picture, which
// works in the smallest cell), and restart-together when the panel plays a whole row.
// PyTorch's add_video logs GIFs; those are animated images and are shown as <img>.
import { h } from "./viewer-dom";
import type { ItemMeta, ItemRef } from "../api-types";
import { downloadLink } from "./image";
import { ROW_PLAY_EVENT, downloadName } from "./events";
import { setIcon } from "./icons";
import type { Viewer, ViewerContext, ViewerInstance } from "./types";

/**
 * An animated GIF is an image: the browser plays it from its first frame when the image is new,
 * and the same URL again keeps the animation where it is. So the bytes are held as a Blob and
 * "play row" shows them under a fresh blob URL, which starts every GIF of the row at frame 1.
 */
async function gif(host: HTMLElement, ref: ItemRef, meta: ItemMeta, ctx: ViewerContext): Promise<ViewerInstance> {
  const bytes = new Blob([await ctx.source.fetchData(ref, ctx.signal)], { type: "image/gif" });
  const root = h("div", { class: "mp-viewer mp-image-viewer" });
  const frame = h("div", { class: "mp-image-frame" });
  const img = new Image();
  img.className = "mp-image";
  img.alt = meta.caption || `${ref.tag} at step ${ref.step}`;
  const show = () => {
    const old = img.src;
    img.src = URL.createObjectURL(bytes);
    if (old) URL.revokeObjectURL(old);
  };
  show();
  frame.append(img);
  root.append(frame);
  if (meta.caption) root.append(h("div", { class: "mp-caption", text: meta.caption }));
  host.append(root);
  host.addEventListener(ROW_PLAY_EVENT, show);
  return {
    destroy() {
      host.removeEventListener(ROW_PLAY_EVENT, show);
      URL.revokeObjectURL(img.src);
      root.remove();
    },
  };
}

export const viewer: Viewer = {
  async mount(host: HTMLElement, ref: ItemRef, meta: ItemMeta, ctx: ViewerContext): Promise<ViewerInstance> {
    if (meta.format === "gif" || meta.mime === "image/gif") return gif(host, ref, meta, ctx);
    const url = ctx.source.dataUrl(ref);
    const root = h("div", { class: "mp-viewer mp-video-viewer" });
    const video = h("video", { class: "mp-video" });
    video.muted = true;
    video.loop = true;
    video.playsInline = true;
    video.preload = "auto";
    video.src = url;
    const bar = h("div", { class: "mp-media-bar" });
    const play = h("button", { class: "mp-tool mp-play" });
    setIcon(play, "play", 14);
    play.setAttribute("aria-label", "Play");
    const fps = meta.fps > 0 ? meta.fps : 25;
    const scrub = h("input", { class: "mp-scrub" });
    scrub.type = "range";
    scrub.min = "0";
    scrub.step = "1";
    scrub.setAttribute("aria-label", "Frame");
    const label = h("span", { class: "mp-media-time" });
    const loop = h("button", { class: "mp-tool mp-loop on" });
    setIcon(loop, "loop", 14);
    loop.title = "Loop";
    loop.setAttribute("aria-pressed", "true");
    bar.append(play, scrub, label, loop, downloadLink(ctx.source.downloadUrl(ref), downloadName(ref, meta.format || "mp4")));
    root.append(video, bar);
    if (meta.caption) root.append(h("div", { class: "mp-caption", text: meta.caption }));
    host.append(root);

    const frames = () => meta.frames > 0 ? meta.frames : Math.max(1, Math.round((video.duration || 0) * fps));
    const sync = () => {
      const f = Math.min(frames() - 1, Math.floor(video.currentTime * fps + 1e-3));
      scrub.max = String(frames() - 1);
      scrub.value = String(f);
      label.textContent = `${f + 1}/${frames()}`;
      setIcon(play, video.paused ? "play" : "pause", 14);
      play.setAttribute("aria-label", video.paused ? "Play" : "Pause");
    };
    video.addEventListener("timeupdate", sync);
    video.addEventListener("play", sync);
    video.addEventListener("pause", sync);
    video.addEventListener("loadedmetadata", sync);
    play.addEventListener("click", () => { if (video.paused) void video.play(); else video.pause(); });
    const seekFrame = (f: number) => {
      video.pause();
      // Seek to the middle of the frame so rounding never lands on its neighbour.
      video.currentTime = (Math.max(0, Math.min(frames() - 1, f)) + 0.5) / fps;
    };
    scrub.addEventListener("input", () => seekFrame(Number(scrub.value)));
    video.title = "Drag sideways to scrub frames; click to play or pause";
    let drag: { x: number; moved: boolean } | null = null;
    video.addEventListener("pointerdown", (e) => {
      drag = { x: e.clientX, moved: false };
      video.setPointerCapture(e.pointerId);
      e.preventDefault();
    });
    video.addEventListener("pointermove", (e) => {
      if (!drag) return;
      if (Math.abs(e.clientX - drag.x) > 3) drag.moved = true;
      if (!drag.moved) return;
      // The picture's width spans every frame, whatever the cell's size.
      const r = video.getBoundingClientRect();
      seekFrame(Math.floor(((e.clientX - r.left) / Math.max(1, r.width)) * frames()));
      sync();
    });
    video.addEventListener("pointerup", () => {
      if (drag && !drag.moved) play.click();
      drag = null;
    });
    loop.addEventListener("click", () => {
      video.loop = !video.loop;
      loop.classList.toggle("on", video.loop);
      loop.setAttribute("aria-pressed", String(video.loop));
    });
    const rowPlay = () => {
      video.currentTime = 0;
      void video.play();
    };
    host.addEventListener(ROW_PLAY_EVENT, rowPlay);
    await new Promise<void>((resolve, reject) => {
      if (video.readyState >= 1) return resolve();
      video.addEventListener("loadedmetadata", () => resolve(), { once: true });
      video.addEventListener("error", () => reject(new Error("This browser cannot play the video.")), { once: true });
      ctx.signal.addEventListener("abort", () => resolve(), { once: true });
    });
    return {
      destroy() {
        host.removeEventListener(ROW_PLAY_EVENT, rowPlay);
        video.pause();
        video.removeAttribute("src");
        video.load(); // releases the decoder and the connection
        root.remove();
      },
    };
  },
};
