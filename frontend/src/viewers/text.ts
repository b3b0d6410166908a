// Text summaries as TensorBoard's text dashboard shows them: a scalar as its markdown, a vector
// one row per element, a matrix as a table (a higher rank its first 2-D slice, with a note), each
// cell rendered as markdown, or as the plain characters with the markdown switch off.
// The markdown is turned into DOM nodes by markdown.ts: logged content is never parsed as HTML.
import type { ItemMeta, ItemRef, TextCells } from "../api-types";
import { renderMarkdown } from "./markdown";
import type { Viewer, ViewerContext, ViewerInstance, ViewerSettings } from "./types";
import { CellMenu, heading, line } from "./viewer-chrome";
import { checkbox, ensureStyle, h, prose } from "./viewer-dom";

/** Markdown on (TensorBoard's default) or off: a grid-wide setting, as the dashboard's switch. */
export const MARKDOWN_KEY = "text.markdown";

export function readMarkdown(s: ViewerSettings): boolean {
  return s[MARKDOWN_KEY] !== false;
}

const CSS = `
.mp-text-plain { white-space: pre-wrap; margin: 0; font: inherit; }
.mp-text-table { border-collapse: collapse; }
.mp-text-table td { border: 1px solid #e0e0e0; padding: 2px 6px; vertical-align: top; }
.mp-text-table td > .mp-md > :last-child { margin-bottom: 0; }
.mp-text-note { color: var(--mp-muted, #757575); font-style: italic; margin-bottom: 4px; }
`;

/** One cell's content: its markdown, or its characters as they are. */
function cell(source: string, markdown: boolean): HTMLElement {
  if (markdown) return renderMarkdown(source);
  return h("pre", { class: "mp-text-plain" }, prose(source));
}

/** The text's elements: a scalar alone, anything else a table of its rows. */
export function renderText(text: TextCells, markdown: boolean): HTMLElement[] {
  if (text.shape.length === 0) return [cell(text.rows[0]?.[0] ?? "", markdown)];
  const out: HTMLElement[] = [];
  if (text.rank > 2) out.push(h("div", { class: "mp-text-note", text: `A rank-${text.rank} tensor: its first 2-D slice is shown.` }));
  const body = h("tbody", {}, ...text.rows.map((row) => h("tr", {}, ...row.map((c) => h("td", {}, cell(c, markdown))))));
  out.push(h("table", { class: "mp-text-table" }, body));
  return out;
}

class TextView implements ViewerInstance {
  private readonly root: HTMLDivElement;
  private readonly body: HTMLDivElement;
  private readonly menu: CellMenu;
  private markdown: boolean;

  constructor(host: HTMLElement, private readonly text: TextCells, meta: ItemMeta, private readonly ctx: ViewerContext) {
    ensureStyle("tbmp-text", CSS);
    this.markdown = readMarkdown(ctx.settings);
    this.body = h("div", { class: "mp-text" });
    // The caption is a name-like string: shown through displayText, as every caption is.
    this.root = h("div", { class: "mp-viewer mp-text-viewer" }, this.body, meta.caption ? h("div", { class: "mp-caption", text: meta.caption }) : null);
    this.menu = new CellMenu(this.root, () => this.menuContents(), "Text display", "text-menu");
    host.append(this.root);
    this.draw();
  }

  update(settings: ViewerSettings): void {
    const markdown = readMarkdown(settings);
    if (markdown === this.markdown) return;
    this.markdown = markdown;
    this.draw();
    this.menu.refresh();
  }

  destroy(): void {
    this.menu.destroy();
    this.root.remove();
  }

  private draw(): void {
    this.body.replaceChildren(...renderText(this.text, this.markdown));
    this.body.dataset.markdown = this.markdown ? "on" : "off";
  }

  private menuContents(): Node[] {
    const toggle = checkbox("Render markdown", this.markdown, (on) => this.ctx.setSettings({ [MARKDOWN_KEY]: on }));
    toggle.dataset.control = "text-markdown";
    return [heading("Text"), line(toggle)];
  }
}

export const viewer: Viewer = {
  async mount(host: HTMLElement, ref: ItemRef, meta: ItemMeta, ctx: ViewerContext): Promise<ViewerInstance> {
    // A text tensor's cells come with its metadata; other text items are their payload's text.
    const text = meta.text ?? { shape: [], rows: [[new TextDecoder().decode(await ctx.source.fetchData(ref, ctx.signal))]], rank: 0 };
    return new TextView(host, text, meta, ctx);
  },
};
