// Text summaries rendered as markdown, as TensorBoard's own text tab shows them. The markdown is
// turned into DOM nodes by markdown.ts: logged content is never parsed as HTML.
import type { ItemMeta, ItemRef } from "../api-types";
import { renderMarkdown } from "./markdown";
import type { Viewer, ViewerContext, ViewerInstance } from "./types";

export const viewer: Viewer = {
  async mount(host: HTMLElement, ref: ItemRef, meta: ItemMeta, ctx: ViewerContext): Promise<ViewerInstance> {
    const bytes = await ctx.source.fetchData(ref, ctx.signal);
    const root = document.createElement("div");
    root.className = "mp-viewer mp-text-viewer";
    const body = renderMarkdown(new TextDecoder().decode(bytes));
    body.classList.add("mp-text");
    root.append(body);
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
