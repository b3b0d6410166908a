import { describe, expect, it } from "vitest";
import {
  compareDelta, containSize, countAtLeast, defaultCompare, diffMagnitude, diffWindow, pickAB, readCompare, remapMasks, wipeAt, wipeClip,
} from "../src/viewers/compare-modes";
import { classChanges, defaultMaskPair, pairLabel } from "../src/viewers/mask-diff";
import { decodeState, defaultState, encodeState } from "../src/state/settings";

function rgba(...px: [number, number, number][]): Uint8ClampedArray {
  return new Uint8ClampedArray(px.flatMap(([r, g, b]) => [r, g, b, 255]));
}

describe("compare modes", () => {
  it("difference: identical images are zero everywhere; otherwise the largest channel |A−B|", () => {
    const a = rgba([10, 20, 30], [200, 0, 0], [0, 0, 0]);
    const out = new Uint8Array(3);
    expect(diffMagnitude(a, a, out)).toBe(0);
    expect([...out]).toEqual([0, 0, 0]);
    const b = rgba([10, 25, 0], [100, 0, 40], [255, 255, 255]);
    expect(diffMagnitude(a, b, out)).toBe(255);
    expect([...out]).toEqual([30, 100, 255]);
    expect(countAtLeast(out, 100)).toBe(2);
    expect(() => diffMagnitude(a, rgba([0, 0, 0]), out)).toThrow(/A has 3 pixels, B 1/);
    expect(diffWindow("max", 0)).toEqual([0, 255]);
    expect(diffWindow("max", 1)).toEqual([0, 1]);
    expect(diffWindow("max", 40)).toEqual([0, 40]);
    expect(diffWindow("255", 40)).toEqual([0, 255]);
  });

  it("wipe: the divider follows the pointer inside the stage; A is clipped right of it", () => {
    expect(wipeAt(150, 100, 200)).toBe(0.25);
    expect(wipeAt(0, 100, 200)).toBe(0);
    expect(wipeAt(900, 100, 200)).toBe(1);
    expect(wipeClip(0.25)).toBe("inset(0 75.000% 0 0)");
    expect(containSize(1024, 512, 800, 800)).toEqual({ width: 800, height: 400 });
  });

  it("A and B: distinct pins that exist, else the first others", () => {
    expect(pickAB(3, 2, 0)).toEqual([2, 0]);
    expect(pickAB(3, 1, 1)).toEqual([1, 0]);
    expect(pickAB(2, 5, 7)).toEqual([0, 1]);
    expect(pickAB(1, 0, 1)).toEqual([0, 0]);
  });

  it("settings: malformed values fall back; only changes go in the link and round-trip", () => {
    expect(readCompare({ mode: "nope", wipe: 7, opacity: -1, interval: 5, colormap: "<b>", a: -1 })).toEqual({
      ...defaultCompare(), wipe: 1, opacity: 0, interval: 100,
    });
    expect(compareDelta(defaultCompare())).toBeNull();
    const s = { ...defaultState(), compareView: { ...defaultCompare(), open: true, mode: "diff" as const, threshold: 12, colormap: "gray" as const, scale: "255" as const, a: 2, b: 0 } };
    const text = encodeState(s);
    expect(text).toContain("cv=");
    expect(decodeState(text)).toEqual(s);
    expect(encodeState(defaultState())).toBe("");
  });
});

describe("mask class changes", () => {
  it("counts pixels per (from → to) pair, most first, named from the labels", () => {
    const a = Uint16Array.from([0, 1, 1, 2, 2, 2, 1]);
    const b = Uint16Array.from([0, 2, 2, 2, 1, 0, 1]);
    const c = classChanges(a, b);
    expect(c.changed).toBe(4);
    expect(c.total).toBe(7);
    expect(c.pairs).toEqual([{ from: 1, to: 2, count: 2 }, { from: 2, to: 0, count: 1 }, { from: 2, to: 1, count: 1 }]);
    expect(pairLabel(c.pairs[0], [{ id: 1, name: "cat", color: null }, { id: 2, name: "dog", color: null }])).toBe("cat → dog");
    expect(pairLabel(c.pairs[1], [])).toBe("class 2 → class 0");
    expect(classChanges(a, a)).toEqual({ changed: 0, total: 7, pairs: [] });
    expect(() => classChanges(a, b.subarray(1))).toThrow(/differ in size/);
  });

  it("compares one layer across two pins, else prediction against truth of one item", () => {
    const m = (name: string, w = 4) => ({ name, width: w, height: 4, class_labels: [] });
    const both = [m("ground_truth"), m("prediction")];
    expect(defaultMaskPair({ pin: 0, masks: both }, { pin: 1, masks: both })).toEqual([
      { pin: 0, layer: "prediction" }, { pin: 1, layer: "prediction" },
    ]);
    expect(defaultMaskPair({ pin: 0, masks: both }, null)).toEqual([
      { pin: 0, layer: "prediction" }, { pin: 0, layer: "ground_truth" },
    ]);
    expect(defaultMaskPair({ pin: 0, masks: [m("a")] }, { pin: 1, masks: [m("a", 8)] })).toBeNull();
  });
});

describe("remapMasks", () => {
  it("follows the pins' new places and forgets a pair whose pin is gone", () => {
    const m: [[number, string], [number, string]] = [[0, "truth"], [2, "pred"]];
    expect(remapMasks(m, (p) => (p === 0 ? 2 : p === 2 ? 0 : p))).toEqual([[2, "truth"], [0, "pred"]]);
    expect(remapMasks(m, (p) => (p === 2 ? null : p))).toBeNull();
    expect(remapMasks(null, (p) => p)).toBeNull();
  });
});
