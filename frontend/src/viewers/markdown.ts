// Markdown of text summaries (TensorBoard's text tab renders them as markdown) built as DOM nodes.
//
// Logged text is untrusted: it is never parsed as HTML. Every piece of it reaches the page through
// textContent or a text node, raw HTML in it shows as the characters it is, and a link gets an
// href only when it is http(s), opening in a new tab with rel="noopener noreferrer". Images are
// shown by their alt text: loading them would fetch URLs chosen by whoever wrote the log.
//
// Covered: ATX headings, paragraphs, emphasis and strong (* and _ with word-boundary rules, so
// snake_case stays as it is), strikethrough, inline code, fenced code blocks, block quotes,
// bullet and numbered lists (nested by indentation), GitHub tables, thematic breaks, hard line
// breaks, backslash escapes and links.

type Block = HTMLElement;

const FENCE = /^ {0,3}(`{3,}|~{3,})\s*([^`]*)$/;
const HEADING = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/;
const RULE = /^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$/;
const QUOTE = /^ {0,3}> ?(.*)$/;
const ITEM = /^( {0,3})([-*+]|\d{1,9}[.)])(?:[ \t]+(.*)|$)/;
const TABLE_SEPARATOR = /^ {0,3}\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$/;
const PUNCTUATION = /[!-/:-@[-`{-~]/;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const c of children) e.append(typeof c === "string" ? document.createTextNode(c) : c);
  return e;
}

/** Render markdown `source` into a container element of class `mp-md`. */
export function renderMarkdown(source: string): HTMLElement {
  const root = el("div");
  root.className = "mp-md";
  root.append(...blocks(source.replace(/\r\n?/g, "\n").split("\n")));
  return root;
}

function isBlank(line: string): boolean {
  return line.trim() === "";
}

/** Whether `line` starts a block other than a paragraph (and so ends a paragraph before it). */
function startsBlock(line: string): boolean {
  return FENCE.test(line) || HEADING.test(line) || RULE.test(line) || QUOTE.test(line) || ITEM.test(line);
}

function blocks(lines: string[]): Block[] {
  const out: Block[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (isBlank(line)) {
      i++;
      continue;
    }
    const fence = FENCE.exec(line);
    if (fence) {
      const marker = fence[1];
      const body: string[] = [];
      i++;
      while (i < lines.length && !new RegExp(`^ {0,3}${marker[0]}{${marker.length},}\\s*$`).test(lines[i])) body.push(lines[i++]);
      i++; // the closing fence (or the end of the text)
      const code = el("code", body.join("\n"));
      const lang = fence[2].trim().split(/\s+/)[0];
      if (lang) code.dataset.lang = lang;
      out.push(el("pre", code));
      continue;
    }
    const heading = HEADING.exec(line);
    if (heading) {
      const h = el(`h${heading[1].length}` as "h1");
      h.append(...inline(heading[2] ?? ""));
      out.push(h);
      i++;
      continue;
    }
    if (RULE.test(line)) {
      out.push(el("hr"));
      i++;
      continue;
    }
    if (QUOTE.test(line)) {
      const body: string[] = [];
      while (i < lines.length && !isBlank(lines[i])) {
        const q = QUOTE.exec(lines[i]);
        body.push(q ? q[1] : lines[i]);
        i++;
      }
      out.push(el("blockquote", ...blocks(body)));
      continue;
    }
    if (ITEM.test(line)) {
      i = list(lines, i, out);
      continue;
    }
    if (line.includes("|") && i + 1 < lines.length && TABLE_SEPARATOR.test(lines[i + 1]) && lines[i + 1].includes("-")) {
      i = table(lines, i, out);
      continue;
    }
    const para: string[] = [];
    while (i < lines.length && !isBlank(lines[i]) && (para.length === 0 || !startsBlock(lines[i]))) para.push(lines[i++]);
    const p = el("p");
    para.forEach((text, n) => {
      // Two trailing spaces or a backslash end a line with a break; otherwise lines join with a space.
      const hard = / {2,}$/.test(text) || /\\$/.test(text);
      p.append(...inline(hard ? text.replace(/(?: {2,}|\\)$/, "") : text.trimEnd()));
      if (n < para.length - 1) p.append(hard ? el("br") : " ");
    });
    out.push(p);
  }
  return out;
}

/** A bullet or numbered list starting at `start`; its items' lines are parsed as blocks (nesting). */
function list(lines: string[], start: number, out: Block[]): number {
  const first = ITEM.exec(lines[start]) as RegExpExecArray;
  const ordered = /\d/.test(first[2]);
  const listEl = el(ordered ? "ol" : "ul");
  if (ordered && parseInt(first[2], 10) !== 1) listEl.setAttribute("start", String(parseInt(first[2], 10)));
  let i = start;
  while (i < lines.length) {
    const m = ITEM.exec(lines[i]);
    if (!m || /\d/.test(m[2]) !== ordered) break;
    const indent = m[1].length + m[2].length + 1;
    const body = [m[3] ?? ""];
    i++;
    // The item goes on while lines are indented under it, or continue its text without a blank line.
    while (i < lines.length) {
      const line = lines[i];
      if (isBlank(line)) {
        const next = lines.slice(i + 1).find((l) => !isBlank(l));
        if (next !== undefined && leading(next) >= indent) {
          body.push("");
          i++;
          continue;
        }
        break;
      }
      if (leading(line) >= indent) body.push(line.slice(indent));
      else if (!startsBlock(line) && !isBlank(body[body.length - 1])) body.push(line.trim());
      else break;
      i++;
    }
    const li = el("li");
    const parts = blocks(body);
    // A tight item shows its text inline rather than as a spaced paragraph.
    if (parts[0]?.tagName === "P" && !body.includes("")) {
      li.append(...Array.from(parts[0].childNodes));
      parts.shift();
    }
    li.append(...parts);
    listEl.append(li);
    while (i < lines.length && isBlank(lines[i]) && lines.slice(i).find((l) => !isBlank(l)) !== undefined) {
      const next = lines.slice(i).find((l) => !isBlank(l)) as string;
      const nm = ITEM.exec(next);
      if (!nm || /\d/.test(nm[2]) !== ordered) break;
      i++;
    }
  }
  out.push(listEl);
  return i;
}

function leading(line: string): number {
  return (/^ */.exec(line) as RegExpExecArray)[0].length;
}

/** Cells of a table row: split on pipes that are neither escaped nor inside a code span. */
export function tableCells(row: string): string[] {
  let s = row.trim();
  if (s.startsWith("|")) s = s.slice(1);
  if (s.endsWith("|") && !s.endsWith("\\|")) s = s.slice(0, -1);
  const cells: string[] = [];
  let cur = "";
  let code = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === "\\" && s[i + 1] === "|") {
      cur += "|";
      i++;
    } else if (c === "`") {
      let n = 1;
      while (s[i + n] === "`") n++;
      code = code === n ? 0 : code || n;
      cur += "`".repeat(n);
      i += n - 1;
    } else if (c === "|" && !code) {
      cells.push(cur.trim());
      cur = "";
    } else cur += c;
  }
  cells.push(cur.trim());
  return cells;
}

function table(lines: string[], start: number, out: Block[]): number {
  const head = tableCells(lines[start]);
  const aligns = tableCells(lines[start + 1]).map((c) => (c.startsWith(":") && c.endsWith(":") ? "center" : c.endsWith(":") ? "right" : c.startsWith(":") ? "left" : ""));
  const row = (cells: string[], tag: "th" | "td") => {
    const tr = el("tr");
    head.forEach((_, n) => {
      const cell = el(tag, ...inline(cells[n] ?? ""));
      if (aligns[n]) cell.style.textAlign = aligns[n];
      tr.append(cell);
    });
    return tr;
  };
  const tbody = el("tbody");
  let i = start + 2;
  while (i < lines.length && !isBlank(lines[i]) && lines[i].includes("|") && !startsBlock(lines[i])) tbody.append(row(tableCells(lines[i++]), "td"));
  out.push(el("table", el("thead", row(head, "th")), tbody));
  return i;
}

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

function isSpace(c: string | undefined): boolean {
  return c === undefined || /\s/.test(c);
}

function isWordChar(c: string | undefined): boolean {
  return c !== undefined && /[\p{L}\p{N}]/u.test(c);
}

/** Whether the delimiter run s[i, i+n) may open (or close) emphasis: CommonMark's flanking rules, simplified. */
function canOpen(s: string, i: number, n: number): boolean {
  const before = s[i - 1];
  const after = s[i + n];
  if (isSpace(after)) return false;
  const left = !PUNCTUATION.test(after) || isSpace(before) || PUNCTUATION.test(before ?? "");
  return left && (s[i] === "*" || !isWordChar(before));
}

function canClose(s: string, i: number, n: number): boolean {
  const before = s[i - 1];
  const after = s[i + n];
  if (isSpace(before)) return false;
  const right = !PUNCTUATION.test(before ?? "") || isSpace(after) || PUNCTUATION.test(after);
  return right && (s[i] === "*" || !isWordChar(after));
}

/** Where the closing run of `n` `ch` for an opener ending at `from` is, or -1. */
function findCloser(s: string, from: number, ch: string, n: number): number {
  for (let j = from; j < s.length; j++) {
    if (s[j] === "\\") {
      j++;
      continue;
    }
    if (s[j] === "`") {
      // Delimiters inside a code span do not count.
      let k = 1;
      while (s[j + k] === "`") k++;
      const end = s.indexOf("`".repeat(k), j + k);
      if (end >= 0) j = end + k - 1;
      continue;
    }
    if (s[j] !== ch) continue;
    let run = 1;
    while (s[j + run] === ch) run++;
    // A run of the same length closes; one of three closes either (its rest shows as text).
    if ((run === n || run === 3) && j > from && canClose(s, j, Math.min(run, n))) return j;
    j += run - 1;
  }
  return -1;
}

/** The end of a bracketed link label starting at `open` ("[" index), nesting allowed, or -1. */
function labelEnd(s: string, open: number): number {
  let depth = 0;
  for (let j = open; j < s.length; j++) {
    if (s[j] === "\\") j++;
    else if (s[j] === "[") depth++;
    else if (s[j] === "]" && --depth === 0) return j;
  }
  return -1;
}

/** Inline markdown as nodes: only text nodes and elements made here, never parsed markup. */
export function inline(s: string): Node[] {
  const out: Node[] = [];
  let text = "";
  const flush = () => {
    if (text) out.push(document.createTextNode(text));
    text = "";
  };
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (c === "\\" && i + 1 < s.length && PUNCTUATION.test(s[i + 1])) {
      text += s[i + 1];
      i += 2;
      continue;
    }
    if (c === "`") {
      let n = 1;
      while (s[i + n] === "`") n++;
      const end = s.indexOf("`".repeat(n), i + n);
      if (end >= 0 && s[end + n] !== "`") {
        flush();
        let body = s.slice(i + n, end).replace(/\n/g, " ");
        if (body.length > 2 && body.startsWith(" ") && body.endsWith(" ") && body.trim()) body = body.slice(1, -1);
        out.push(el("code", body));
        i = end + n;
        continue;
      }
      text += "`".repeat(n);
      i += n;
      continue;
    }
    const image = c === "!" && s[i + 1] === "[";
    if (c === "[" || image) {
      const open = image ? i + 1 : i;
      const close = labelEnd(s, open);
      const dest = close >= 0 && s[close + 1] === "(" ? /^\(\s*<?([^\s()<>]*(?:\([^\s()]*\)[^\s()<>]*)*)>?(?:\s+("[^"]*"|'[^']*'))?\s*\)/.exec(s.slice(close + 1)) : null;
      if (close >= 0 && dest) {
        flush();
        const label = s.slice(open + 1, close);
        if (image) {
          // The picture is not fetched: its alt text stands for it.
          const alt = el("span", ...inline(label));
          alt.className = "mp-md-img";
          out.push(alt);
        } else {
          const href = safeHref(dest[1]);
          if (href) {
            const a = el("a", ...inline(label));
            a.href = href;
            a.target = "_blank";
            a.rel = "noopener noreferrer";
            a.title = href;
            out.push(a);
          } else out.push(...inline(label));
        }
        i = close + 1 + dest[0].length;
        continue;
      }
    }
    if (c === "*" || c === "_" || c === "~") {
      let run = 1;
      while (s[i + run] === c) run++;
      const usable = c === "~" ? run === 2 : run <= 3;
      if (usable && canOpen(s, i, run)) {
        const end = findCloser(s, i + run, c, run);
        if (end > i + run) {
          flush();
          const content = inline(s.slice(i + run, end));
          if (c === "~") out.push(el("del", ...content));
          else if (run === 3) out.push(el("em", el("strong", ...content)));
          else out.push(el(run === 2 ? "strong" : "em", ...content));
          i = end + run;
          continue;
        }
      }
      text += c.repeat(run);
      i += run;
      continue;
    }
    text += c;
    i++;
  }
  flush();
  return out;
}
