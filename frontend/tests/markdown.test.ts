import { describe, expect, it } from "vitest";
import { renderMarkdown, safeHref } from "../src/viewers/markdown";

/** The rendered tree as compact markup, for comparing structure (built by the test, not the viewer). */
function shape(source: string): string {
  const walk = (n: Node): string => {
    if (n.nodeType === Node.TEXT_NODE) return n.textContent ?? "";
    const e = n as HTMLElement;
    const attrs = ["href", "rel", "target", "start"].filter((a) => e.hasAttribute(a)).map((a) => ` ${a}="${e.getAttribute(a)}"`).join("");
    return `<${e.tagName.toLowerCase()}${attrs}>${Array.from(e.childNodes).map(walk).join("")}</${e.tagName.toLowerCase()}>`;
  };
  return Array.from(renderMarkdown(source).childNodes).map(walk).join("");
}

/** The markup of a one-paragraph text's content. */
const inlineShape = (s: string) => (renderMarkdown(s).querySelector("p") as HTMLElement).innerHTML;

describe("markdown of text summaries", () => {
  it("renders the demo's legacy notes: heading, code spans and a table", () => {
    const notes = "### Legacy run\n\nWritten with `torch.utils.tensorboard.SummaryWriter` only:\n\n| call | tag |\n|---|---|\n| `add_image` | `legacy/cat` |\n| `add_text` | `legacy/notes` |\n";
    expect(shape(notes)).toBe(
      "<h3>Legacy run</h3>" +
        "<p>Written with <code>torch.utils.tensorboard.SummaryWriter</code> only:</p>" +
        "<table><thead><tr><th>call</th><th>tag</th></tr></thead><tbody>" +
        "<tr><td><code>add_image</code></td><td><code>legacy/cat</code></td></tr>" +
        "<tr><td><code>add_text</code></td><td><code>legacy/notes</code></td></tr></tbody></table>",
    );
  });

  it("emphasis, strong, strikethrough; snake_case and lone stars stay as written", () => {
    expect(inlineShape("*a* **b** _c_ __d__ ***e*** ~~f~~")).toBe("<em>a</em> <strong>b</strong> <em>c</em> <strong>d</strong> <em><strong>e</strong></em> <del>f</del>");
    expect(inlineShape("learning_rate_max and 2 * 3 * 4")).toBe("learning_rate_max and 2 * 3 * 4");
    expect(inlineShape("**bold with `co*de`**")).toBe("<strong>bold with <code>co*de</code></strong>");
    expect(inlineShape("\\*not em\\*")).toBe("*not em*");
  });

  it("fenced code keeps its text verbatim, markup included", () => {
    const md = "```python\nx = '<b>1</b>'  # **not bold**\n```";
    const pre = renderMarkdown(md).querySelector("pre code") as HTMLElement;
    expect(pre.textContent).toBe("x = '<b>1</b>'  # **not bold**");
    expect(pre.dataset.lang).toBe("python");
    expect(pre.children.length).toBe(0);
  });

  it("lists, nested and numbered, block quotes and rules", () => {
    expect(shape("- one\n- two\n  - inner\n- three")).toBe("<ul><li>one</li><li>two<ul><li>inner</li></ul></li><li>three</li></ul>");
    expect(shape("3. c\n4. d")).toBe('<ol start="3"><li>c</li><li>d</li></ol>');
    expect(shape("> quoted *text*\n\n---\n\nafter")).toBe("<blockquote><p>quoted <em>text</em></p></blockquote><hr></hr><p>after</p>");
    expect(shape("line one\nline two  \nline three")).toBe("<p>line one line two<br></br>line three</p>");
  });

  it("links get an href only for http(s), open in a new tab without an opener", () => {
    expect(shape("[docs](https://example.com/a?b=1)")).toBe('<p><a href="https://example.com/a?b=1" rel="noopener noreferrer" target="_blank">docs</a></p>');
    for (const bad of ["javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html;base64,PHNjcmlwdD4=", "/relative", "vbscript:x"]) {
      const root = renderMarkdown(`[click](${bad})`);
      expect(root.querySelector("a")).toBeNull();
      expect(root.textContent).toBe("click");
    }
    expect(safeHref(" http://x.org ")).toBe("http://x.org/");
    expect(safeHref("javascript:alert(1)")).toBeNull();
    // Images are not fetched: their alt text shows.
    const img = renderMarkdown("![a plot](https://example.com/p.png)");
    expect(img.querySelector("img")).toBeNull();
    expect(img.textContent).toBe("a plot");
  });

  it("raw HTML is shown as the characters it is, never as elements", () => {
    const hostile = "text <script>window.__pwned='script'</script> <img src=x onerror=\"window.__pwned='7'\"> <a href=\"javascript:window.__pwned='a'\">click</a>";
    const root = renderMarkdown(hostile);
    expect(root.textContent).toBe(hostile);
    expect(root.querySelectorAll("script, img, a, [onerror]").length).toBe(0);
    const block = renderMarkdown("<div onclick=x>\n# <img src=x onerror=y>\n| <b>h</b> |\n|---|\n| <i>c</i> |");
    expect(block.querySelectorAll("div, img, b, i").length).toBe(0);
    expect(block.textContent).toContain("<img src=x onerror=y>");
  });

  it("splits table rows on pipes outside code spans and escapes", () => {
    const cells = (md: string) => Array.from(renderMarkdown(md).querySelectorAll("tbody td"), (td) => td.textContent);
    expect(cells("| h1 | h2 | h3 |\n|---|---|---|\n| a | `b\\|c` | d\\|e |")).toEqual(["a", "b|c", "d|e"]);
    expect(cells("h1|h2\n-|-\nx|y")).toEqual(["x", "y"]);
  });
});
