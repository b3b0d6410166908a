import { describe, expect, it } from "vitest";
import { placeBeside } from "../src/viewers/viewer-chrome";
import { textColorOn } from "../src/viewers/segmentation/colors";
import { h } from "../src/viewers/viewer-dom";

describe("placeBeside", () => {
  const button = { top: 300, bottom: 324, right: 600 };
  it("goes below the button, right edges aligned, when it fits", () => {
    expect(placeBeside(button, 272, 200, 1280, 800)).toEqual({ left: 328, top: 328, maxHeight: 464 });
  });
  it("flips above when it fits there only", () => {
    const spot = placeBeside({ top: 600, bottom: 624, right: 600 }, 272, 400, 1280, 800);
    expect(spot.top + 400).toBeLessThanOrEqual(596);
    expect(spot.top).toBeGreaterThanOrEqual(8);
  });
  it("takes the roomier side, cut to fit, when it fits neither", () => {
    const spot = placeBeside({ top: 500, bottom: 524, right: 600 }, 272, 900, 1280, 800);
    expect(spot.maxHeight).toBe(488);
    expect(spot.top).toBe(8);
  });
  it("shifts right to stay in the window next to a button at its left edge", () => {
    expect(placeBeside({ top: 100, bottom: 124, right: 40 }, 272, 100, 1280, 800).left).toBe(8);
    expect(placeBeside({ top: 100, bottom: 124, right: 1300 }, 272, 100, 1280, 800).left).toBe(1000);
  });
});

describe("one contrast rule", () => {
  it("black on light class colours, white on dark ones", () => {
    expect(textColorOn("#ffeb3b")).toBe("#000");
    expect(textColorOn("#1e63d6")).toBe("#fff");
    expect(textColorOn("#808080")).toBe("#fff");
  });
});

describe("the viewers' DOM builder", () => {
  it("shows bidi overrides in logged text as code points", () => {
    expect(h("span", { text: "cat\u202Egod" }).textContent).toBe("cat‹U+202E›god");
  });
});
