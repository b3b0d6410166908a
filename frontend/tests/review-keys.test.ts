import { describe, expect, it } from "vitest";
import { cellKeyAt, markRules, toggleBookmark } from "../src/panel/bookmarks";
import { CurrentRun, SHORTCUTS, classToggle, keyAction, keyClasses, runBeside, spaceActivates } from "../src/panel/keyboard";
import { MAX_CELL_KEYS } from "../src/state/cells";
import { Store } from "../src/state/store";

function press(key: string, target: EventTarget | null = document.body, mods: Partial<KeyboardEvent> = {}) {
  return keyAction({ key, ctrlKey: false, metaKey: false, altKey: false, target, ...mods });
}

function el(html: string): HTMLElement {
  const box = document.createElement("div");
  box.innerHTML = html;
  return box.firstElementChild as HTMLElement;
}

describe("keyAction", () => {
  it("maps the review keys", () => {
    expect(press("ArrowUp")).toEqual({ do: "run", by: -1 });
    expect(press("ArrowDown")).toEqual({ do: "run", by: 1 });
    expect(press("ArrowLeft")).toEqual({ do: "step", by: -1 });
    expect(press(" ")).toEqual({ do: "flip" });
    expect(press("b")).toEqual({ do: "bookmark" });
    expect(press("B")).toEqual({ do: "bookmark" }); // caps lock
    expect(press("1")).toEqual({ do: "class", n: 1 });
    expect(press("9")).toEqual({ do: "class", n: 9 });
    expect(press("0")).toBeNull();
    expect(press("x")).toBeNull();
  });

  it("leaves keys typed into a text field, and browser shortcuts, alone", () => {
    const input = el('<input type="search">');
    for (const k of ["ArrowUp", "b", "2", " ", "?"]) expect(press(k, input)).toBeNull();
    expect(press("b", el("<textarea></textarea>"))).toBeNull();
    expect(press("b", document.body, { ctrlKey: true })).toBeNull();
    expect(press("2", document.body, { metaKey: true })).toBeNull();
  });

  it("keeps Space for a focused button, checkbox, video or role=button", () => {
    for (const html of ["<button>x</button>", '<input type="checkbox">', "<video></video>", '<div role="button"></div>', "<summary></summary>"]) {
      expect(spaceActivates(el(html))).toBe(true);
      expect(press(" ", el(html))).toBeNull();
    }
    expect(spaceActivates(el("<div></div>"))).toBe(false);
    // The other keys still work from a focused button (← on the help button steps).
    expect(press("b", el("<button>x</button>"))).toEqual({ do: "bookmark" });
  });

  it("every key it answers is in the ? list", () => {
    const listed = SHORTCUTS.flatMap((g) => g.shortcuts.flatMap((s) => s.keys));
    for (const k of ["←", "→", "↑", "↓", "Home", "End", "1", "9", "b", "Space", "Esc", "?"]) expect(listed).toContain(k);
  });
});

describe("the run under review", () => {
  const runs = ["a", "b", "c"];

  it("steps round the ends, as full screen's run buttons do; starts at an end", () => {
    expect(runBeside(runs, null, 1)).toBe("a");
    expect(runBeside(runs, null, -1)).toBe("c");
    expect(runBeside(runs, "a", 1)).toBe("b");
    expect(runBeside(runs, "c", 1)).toBe("a");
    expect(runBeside(runs, "a", -1)).toBe("c");
    expect(runBeside(runs, "gone", 1)).toBe("a"); // filtered out since: start again
    expect(runBeside([], "a", 1)).toBeNull();
  });

  it("tells its listeners once per change, and keeps the run in the link", () => {
    let link = "";
    const store = new Store({ read: () => link, write: (t) => { link = t; } });
    const cur = new CurrentRun(store, () => runs);
    const seen: (string | null)[] = [];
    const off = cur.subscribe((r) => seen.push(r));
    cur.by(1);
    cur.by(1);
    cur.set("b"); // no change
    cur.set(null);
    off();
    cur.by(-1);
    expect(seen).toEqual(["a", "b", null]);
    expect(cur.value).toBe("c");
    expect(new URLSearchParams(link).get("review")).toBe("c");
    // Among the runs of a card (the card under the pointer): runs without rows there are skipped.
    cur.set("a");
    cur.by(1, ["a", "c"]);
    expect(cur.value).toBe("c");
    // A link with a run under review starts there.
    expect(new CurrentRun(new Store({ read: () => "review=b", write: () => {} }), () => runs).value).toBe("b");
  });
});

describe("class keys", () => {
  it("are the first nine classes the viewers list, in id order, each once", () => {
    expect(keyClasses(["1 2 3", "2 5", ""])).toEqual([1, 2, 3, 5]);
    expect(keyClasses(["10 11 12 13 14 15 16 17 18 19 20"])).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18]);
  });

  it("toggle a class in masks, boxes and point clouds, keeping the other classes' settings", () => {
    const once = classToggle({ "seg.hiddenClasses": { "4": true } }, 2);
    expect(once).toEqual({
      "seg.hiddenClasses": { "4": true, "2": true }, "box.hiddenClasses": { "2": true }, "pc.hiddenClasses": { "2": true },
    });
    const twice = classToggle({ ...once }, 2);
    expect(twice).toEqual({
      "seg.hiddenClasses": { "4": true, "2": false }, "box.hiddenClasses": { "2": false }, "pc.hiddenClasses": { "2": false },
    });
    // A class hidden in a point cloud's menu only: the key shows it again.
    expect(classToggle({ "pc.hiddenClasses": { "3": true } }, 3)["pc.hiddenClasses"]).toEqual({ "3": false });
  });
});

describe("bookmarks", () => {
  const k = { run: "r", tag: "t", step: 3, index: 1 };

  it("toggle: added at the end, removed when there, refused when full", () => {
    const one = toggleBookmark([], k);
    expect(one).toEqual([k]);
    const other = { ...k, index: 2 };
    expect(toggleBookmark([k, other], { ...k })).toEqual([other]);
    const full = Array.from({ length: MAX_CELL_KEYS }, (_, i) => ({ ...k, step: i + 10 }));
    expect(toggleBookmark(full, k)).toBeNull();
    expect(toggleBookmark(full, full[5])).toHaveLength(MAX_CELL_KEYS - 1);
  });

  it("read the cell under the pointer from its data attributes", () => {
    const cell = el('<div class="mp-cell" data-run="r&quot;x" data-tag="t" data-step="3" data-index="1"><div><canvas></canvas></div></div>');
    expect(cellKeyAt(cell.querySelector("canvas"))).toEqual({ run: 'r"x', tag: "t", step: 3, index: 1 });
    // An empty cell (no item shown: no step) is not a bookmark.
    expect(cellKeyAt(el('<div data-run="r" data-tag="t" data-step="" data-index="0"></div>'))).toBeNull();
    expect(cellKeyAt(null)).toBeNull();
  });

  it("mark their cells and the current run by rules that quote logged names safely", () => {
    const run = 'a"] *{x\\';
    const css = markRules([{ ...k, run }], 'b"\n');
    const style = document.createElement("style");
    style.textContent = css;
    document.head.append(style);
    const sheet = style.sheet!;
    expect(sheet.cssRules.length).toBe(3);
    // The names survive as the attribute values matched, whole: nothing broke out of the quotes.
    const cell = el(`<div class="mp-root"><div class="mp-cell" data-tag="t" data-step="3" data-index="1"></div></div>`);
    cell.firstElementChild!.setAttribute("data-run", run);
    document.body.append(cell);
    expect(cell.querySelector((sheet.cssRules[0] as CSSStyleRule).selectorText.replace("::before", ""))).not.toBeNull();
    cell.firstElementChild!.setAttribute("data-run", 'b"\n');
    expect(cell.querySelector((sheet.cssRules[1] as CSSStyleRule).selectorText)).not.toBeNull();
    expect(markRules([], null)).toBe("");
  });
});
