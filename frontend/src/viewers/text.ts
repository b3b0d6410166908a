// Text and markdown items shown as plain text: logged content is never parsed as HTML.
import type { ItemMeta, ItemRef } from "../api-types";
import type { Viewer, ViewerContext, ViewerInstance } from "./types";

export const viewer: Viewer = {
  async mount(host: HTMLElement, ref: ItemRef, meta: ItemMeta, ctx: ViewerContext): Promise<ViewerInstance> {
    const bytes = await ctx.source.fetchData(ref, ctx.signal);
    const root = document.createElement("div");
    root.className = "mp-viewer mp-text-viewer";
    const pre = document.createElement("pre");
    pre.className = "mp-text";
    pre.textContent = new TextDecoder().decode(bytes);
    root.append(pre);
    if (meta.caption) {
      const cap = document.createElement("div");
      cap.className = "mp-caption";
      cap.textContent = meta.caption;
      root.append(cap);
    }
    host.append(root);
    return { destroy() { root.remove(); } };
  },
};
