// Markdown of text summaries (TensorBoard's text tab renders them as markdown) built as DOM nodes.
//
// Parsing is markdown-it's (CommonMark + GitHub tables and strikethrough), whose work grows
// linearly with the text: a hand-written inline parser was quadratic, and a logged 80 KB text of
// `[` and `*_` stalled the tab for 15 s. (micromark, also tried, is quadratic on `*_` runs.)
// markdown-it also caps nesting (quotes, lists) at 100 levels, so the DOM stays shallow.
//
// Logged text is untrusted: it is never parsed as HTML. markdown-it runs with `html: false`, so
// raw HTML is plain text; its token stream (not its HTML renderer) is turned into elements made
// here from an allow-list of tags, and text only ever reaches the page as text nodes. A link gets
// an href only when it is http(s), opening in a new tab with rel="noopener noreferrer". Images are
// shown by their alt text: loading them would fetch URLs chosen by whoever wrote the log.
import MarkdownIt from "markdown-it";
import type { Token } from "markdown-it";
import { h, prose } from "./viewer-dom";

const parser = new MarkdownIt("default", { html: false, linkify: false, typographer: false });
// Every link parses as a link; safeHref then decides whether it gets an address (an unsafe one
// shows its label only, rather than markdown-it's literal "[label](javascript:…)").
parser.validateLink = () => true;

/** The elements a token may open; markdown-it's `s` (strikethrough) is shown as `del`. */
const TAGS: Record<string, keyof HTMLElementTagNameMap> = {
  p: "p", h1: "h1", h2: "h2", h3: "h3", h4: "h4", h5: "h5", h6: "h6", blockquote: "blockquote",
  ul: "ul", ol: "ol", li: "li", table: "table", thead: "thead", tbody: "tbody", tr: "tr", th: "th",
  td: "td", em: "em", strong: "strong", s: "del",
};

/** A link's href when it is a web address; anything else (javascript:, data:, relative) gets none. */
export function safeHref(url: string): string | null {
  const u = url.trim();
  try {
    const parsed = new URL(u);
    return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : null;
  } catch {
    return null;
  }
}

/** Render markdown `source` into a container element of class `mp-md`. */
export function renderMarkdown(source: string): HTMLElement {
  const root = h("div", { class: "mp-md" });
  build(parser.parse(source, {}), root);
  return root;
}

/**
 * Append the elements of a token stream to `root`. Opening tokens push a parent and closing ones
 * pop it; a paragraph of a tight list item (hidden) and a link to an unsafe address add no element
 * of their own, their content goes to the enclosing one.
 */
function build(tokens: Token[], root: HTMLElement): void {
  // The parent at each open token, restored by its closing token.
  const stack: HTMLElement[] = [];
  let parent: HTMLElement = root;
  const open = (e: HTMLElement | null) => {
    stack.push(parent);
    if (e) {
      parent.append(e);
      parent = e;
    }
  };
  const close = () => {
    parent = stack.pop() ?? root;
  };
  const walk = (list: Token[]) => {
    for (const t of list) {
      if (t.type === "inline") walk(t.children ?? []);
      else if (t.nesting === 1) open(t.hidden ? null : opened(t));
      else if (t.nesting === -1) close();
      else parent.append(...leaf(t));
    }
  };
  walk(tokens);
}

function opened(t: Token): HTMLElement | null {
  if (t.type === "link_open") {
    const href = safeHref(String(t.attrGet("href") ?? ""));
    if (!href) return null;
    return h("a", { href, target: "_blank", rel: "noopener noreferrer", title: href });
  }
  const tag = TAGS[t.tag];
  if (!tag) return null;
  const e = h(tag);
  const start = t.type === "ordered_list_open" ? Number(t.attrGet("start") ?? 1) : 1;
  if (start !== 1 && Number.isSafeInteger(start)) e.setAttribute("start", String(start));
  const align = /^text-align:(left|right|center)$/.exec(String(t.attrGet("style") ?? ""));
  if (align) e.style.textAlign = align[1];
  return e;
}

function leaf(t: Token): Node[] {
  switch (t.type) {
    case "text":
    case "text_special":
      // A soft break reads as a space; text arrives with entities and escapes already resolved.
      return [prose(t.content)];
    case "softbreak":
      return [prose(" ")];
    case "hardbreak":
      return [h("br")];
    case "code_inline":
      return [h("code", {}, prose(t.content))];
    case "fence":
    case "code_block": {
      const lang = t.info.trim().split(/\s+/)[0];
      return [h("pre", {}, h("code", { "data-lang": lang || undefined }, prose(t.content.replace(/\n$/, ""))))];
    }
    case "hr":
      return [h("hr")];
    case "image":
      // The picture is not fetched: its alt text stands for it.
      return [h("span", { class: "mp-md-img" }, prose(t.children?.map((c) => c.content).join("") ?? t.content))];
    default:
      // html_inline / html_block never come (html: false); any other leaf shows as its text.
      return t.content ? [prose(t.content)] : [];
  }
}
