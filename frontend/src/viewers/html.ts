// Logged HTML runs its scripts inside a sandboxed iframe without allow-same-origin, so it can
// reach neither TensorBoard nor the panel; the html route adds its own CSP sandbox too.
import type { ItemMeta, ItemRef } from "../api-types";
import type { Viewer, ViewerContext, ViewerInstance } from "./types";
import { h } from "./viewer-dom";

export const viewer: Viewer = {
  async mount(host: HTMLElement, ref: ItemRef, meta: ItemMeta, ctx: ViewerContext): Promise<ViewerInstance> {
    const frame = h("iframe", {
      class: "mp-html", sandbox: "allow-scripts", referrerpolicy: "no-referrer", title: meta.title || `${ref.tag} at step ${ref.step}`,
    });
    frame.src = ctx.source.htmlUrl(ref);
    const root = h("div", { class: "mp-viewer mp-html-viewer" }, frame);
    host.append(root);
    await new Promise<void>((resolve) => {
      frame.addEventListener("load", () => resolve(), { once: true });
      ctx.signal.addEventListener("abort", () => resolve(), { once: true });
    });
    return { destroy() { root.remove(); } };
  },
};
