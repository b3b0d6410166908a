// Markdown rendering does work linear in the text's length, on the inputs that make naive inline
// parsers quadratic (issue 13 item 7: 80 KB of `[` and `*_` stalled the tab for 15-19 s).
//
// No clock: the test counts the string-scanning primitives the parser calls (charCodeAt, indexOf,
// and every regular-expression match, which `test`, `match` and `replace` go through) while it
// renders a text of n, 2n and 4n characters. Linear work grows 4x from n to 4n; a quadratic parser
// grows 16x. (Indexing a string with s[i] cannot be counted; both parsers also call the counted
// primitives in their scanning loops, so the quadratic one's count is quadratic too.)
import { afterEach, describe, expect, it } from "vitest";
import { renderMarkdown } from "../src/viewers/markdown";

const original = {
  charCodeAt: String.prototype.charCodeAt,
  indexOf: String.prototype.indexOf,
  exec: RegExp.prototype.exec,
};

afterEach(() => {
  String.prototype.charCodeAt = original.charCodeAt;
  String.prototype.indexOf = original.indexOf;
  RegExp.prototype.exec = original.exec;
});

/** How many scanning primitives rendering `source` calls, and the rendered element. */
function work(source: string): { ops: number; root: HTMLElement } {
  let ops = 0;
  String.prototype.charCodeAt = function (this: string, i: number) {
    ops++;
    return original.charCodeAt.call(this, i);
  };
  String.prototype.indexOf = function (this: string, s: string, from?: number) {
    ops++;
    return original.indexOf.call(this, s, from);
  };
  RegExp.prototype.exec = function (this: RegExp, s: string) {
    ops++;
    return original.exec.call(this, s);
  };
  try {
    const root = renderMarkdown(source);
    return { ops, root };
  } finally {
    String.prototype.charCodeAt = original.charCodeAt;
    String.prototype.indexOf = original.indexOf;
    RegExp.prototype.exec = original.exec;
  }
}

/** Texts of about `n` characters that stall parsers which rescan the rest of the line per delimiter. */
const PATHOLOGICAL: Record<string, (n: number) => string> = {
  "issue's [ then *_": (n) => "[".repeat(n / 2) + "*_".repeat(n / 4),
  "image openers": (n) => "![".repeat(n / 2),
  "unclosed link destinations": (n) => "[a](".repeat(n / 4),
  "alternating emphasis": (n) => "*a **a ".repeat(n / 7),
  "underscores inside words": (n) => "a_".repeat(n / 4) + "_b".repeat(n / 4),
  "backtick runs": (n) => "`a``".repeat(n / 4),
  "strikethrough openers": (n) => "~~a ".repeat(n / 4),
};

describe("markdown rendering is linear in the text's length", () => {
  for (const [name, make] of Object.entries(PATHOLOGICAL)) {
    it(name, () => {
      const n = 2000;
      const [a, b, c] = [n, 2 * n, 4 * n].map((k) => work(make(k)).ops);
      // Linear: 4x (plus a constant); quadratic: 16x. 6x leaves room for the constant.
      expect(b / a, `ops ${a}, ${b}, ${c}`).toBeLessThan(3);
      expect(c / a, `ops ${a}, ${b}, ${c}`).toBeLessThan(6);
    });
  }

  it("the issue's 80 KB text renders: every bracket shown, no link made", () => {
    const { root } = work("[".repeat(40000) + "*_".repeat(20000));
    const text = root.textContent ?? "";
    expect(text.startsWith("[".repeat(40000))).toBe(true);
    expect(text.length).toBeGreaterThan(40000);
    expect(root.querySelectorAll("a").length).toBe(0);
  });
});
