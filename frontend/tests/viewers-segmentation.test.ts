import { describe, expect, it } from "vitest";
import {
  classColor, classColorMap, colorTable, defaultClassColor, hexToRgb, isBackgroundClass, mergeLabels,
} from "../src/viewers/segmentation/colors";
import { blendOver, paintDifference, paintMask } from "../src/viewers/segmentation/compose";
import { computeIoU, differenceMask, sameLabelSet } from "../src/viewers/segmentation/metrics";
import {
  boxToPercent, boxToPixels, passesThresholds, placeCaptions, scoreRanges, visibleBoxes,
} from "../src/viewers/segmentation/boxes";
import type { Box2D, BoxLayerMeta } from "../src/api-types";

describe("class colours", () => {
  it("are stable per id and distinct for the first hundred ids", () => {
    const colors = Array.from({ length: 100 }, (_, i) => defaultClassColor(i));
    expect(Array.from({ length: 100 }, (_, i) => defaultClassColor(i))).toEqual(colors);
    expect(new Set(colors).size).toBe(100);
    for (const c of colors) expect(c).toMatch(/^#[0-9a-f]{6}$/);
  });

  it("neighbouring ids are far apart in colour", () => {
    for (let i = 0; i < 60; i++) {
      const [a, b] = [hexToRgb(defaultClassColor(i)), hexToRgb(defaultClassColor(i + 1))];
      const dist = Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
      expect(dist).toBeGreaterThan(60);
    }
  });

  it("user overrides win, malformed ones are ignored", () => {
    expect(classColor(3, { "3": "#123456" })).toBe("#123456");
    expect(classColor(3, { "3": "red; background:url(x)" })).toBe(defaultClassColor(3));
  });

  it("the lookup table clears hidden classes only", () => {
    const lut = colorTable(2, { "1": "#ff0000" }, new Set([2]));
    expect(Array.from(lut.slice(4, 8))).toEqual([255, 0, 0, 255]);
    expect(lut[2 * 4 + 3]).toBe(0);
    expect(lut[3]).toBe(255);
  });

  it("class 0 counts as background when named so or left unnamed among named classes", () => {
    expect(isBackgroundClass(0, [{ id: 0, name: "background", color: null }, { id: 1, name: "cat", color: null }])).toBe(true);
    expect(isBackgroundClass(0, [{ id: 1, name: "cat", color: null }])).toBe(true);
    expect(isBackgroundClass(0, [{ id: 0, name: "road", color: null }])).toBe(false);
    expect(isBackgroundClass(0, [])).toBe(false);
    expect(isBackgroundClass(1, [{ id: 1, name: "background", color: null }])).toBe(false);
  });

  it("take the colour logged with a class label, unless the user picked one in the panel", () => {
    const labels = [
      { id: 1, name: "cat", color: "#FF8800" },
      { id: 2, name: "dog", color: null },
      { id: 3, name: "bad", color: "orange" },
    ];
    const logged = classColorMap(labels, {});
    expect(classColor(1, logged)).toBe("#ff8800");
    expect(classColor(2, logged)).toBe(defaultClassColor(2));
    expect(classColor(3, logged)).toBe(defaultClassColor(3));
    const picked = classColorMap(labels, { "1": "#00ff00", "2": "#0000ff" });
    expect(classColor(1, picked)).toBe("#00ff00");
    expect(classColor(2, picked)).toBe("#0000ff");
    expect(Array.from(colorTable(1, logged, new Set()).slice(4, 8))).toEqual([255, 136, 0, 255]);
  });

  it("merge label sets by id: first name, first colour given", () => {
    const merged = mergeLabels([
      [{ id: 1, name: "cat", color: null }],
      [{ id: 1, name: "kitty", color: "#112233" }, { id: 0, name: "background", color: null }],
    ]);
    expect(merged).toEqual([
      { id: 0, name: "background", color: null },
      { id: 1, name: "cat", color: "#112233" },
    ]);
  });
});

describe("mask compositing", () => {
  it("paints each pixel with its class colour and leaves hidden and unknown ids clear", () => {
    const ids = new Uint16Array([0, 1, 2, 7]);
    const lut = colorTable(2, { "1": "#102030", "2": "#405060" }, new Set([0]));
    const out = new Uint8ClampedArray(16).fill(9);
    paintMask(ids, lut, out);
    expect(Array.from(out)).toEqual([
      ...hexToRgb(defaultClassColor(0)), 0, 0x10, 0x20, 0x30, 255, 0x40, 0x50, 0x60, 255, 9, 9, 9, 0,
    ]);
  });

  it("blends a layer over the image by opacity, and not where the layer is clear", () => {
    const base = new Uint8ClampedArray([100, 100, 100, 255, 100, 100, 100, 255]);
    const layer = new Uint8ClampedArray([200, 0, 0, 255, 200, 0, 0, 0]);
    blendOver(base, layer, 0.5);
    expect(Array.from(base)).toEqual([150, 50, 50, 255, 100, 100, 100, 255]);
  });

  it("the difference view lights disagreeing pixels only", () => {
    const diff = differenceMask(new Uint16Array([1, 2, 3]), new Uint16Array([1, 0, 3]));
    expect(Array.from(diff)).toEqual([0, 1, 0]);
    const out = new Uint8ClampedArray(12);
    paintDifference(diff, [255, 0, 255], out);
    expect([out[3], out[7], out[11]]).toEqual([0, 255, 0]);
    expect(Array.from(out.slice(4, 7))).toEqual([255, 0, 255]);
  });
});

describe("IoU", () => {
  it("matches a hand computation per class and on average", () => {
    // a: 0 0 1 1 2 2 ; b: 0 1 1 1 2 0
    const a = new Uint16Array([0, 0, 1, 1, 2, 2]);
    const b = new Uint16Array([0, 1, 1, 1, 2, 0]);
    const r = computeIoU(a, b);
    const byId = Object.fromEntries(r.perClass.map((c) => [c.id, c.iou]));
    expect(byId[0]).toBeCloseTo(1 / 3); // inter {0}, union {0,1,5}
    expect(byId[1]).toBeCloseTo(2 / 3); // inter {2,3}, union {1,2,3}
    expect(byId[2]).toBeCloseTo(1 / 2); // inter {4}, union {4,5}
    expect(r.meanIoU).toBeCloseTo((1 / 3 + 2 / 3 + 1 / 2) / 3);
    expect(r.pixelAccuracy).toBeCloseTo(4 / 6);
  });

  it("identical layers score 1, disjoint classes 0", () => {
    expect(computeIoU(new Uint16Array([3, 4]), new Uint16Array([3, 4])).meanIoU).toBe(1);
    expect(computeIoU(new Uint16Array([1, 1]), new Uint16Array([2, 2])).meanIoU).toBe(0);
  });

  it("refuses layers of different sizes", () => {
    expect(() => computeIoU(new Uint16Array(2), new Uint16Array(3))).toThrow(/sizes differ/);
  });

  it("compares only layers of the same size and label set", () => {
    const l = (w: number, labels: { id: number; name: string }[]) => ({ width: w, height: 2, class_labels: labels });
    expect(sameLabelSet(l(2, [{ id: 1, name: "a" }]), l(2, [{ id: 1, name: "a" }]))).toBe(true);
    expect(sameLabelSet(l(2, [{ id: 1, name: "a" }]), l(2, [{ id: 1, name: "b" }]))).toBe(false);
    expect(sameLabelSet(l(2, []), l(3, []))).toBe(false);
  });
});

describe("boxes", () => {
  const box = (o: Partial<Box2D>): Box2D => ({
    min_x: 0.1, min_y: 0.2, max_x: 0.5, max_y: 0.6, class_id: 1, scores: {}, caption: "", ...o,
  });

  it("scales fraction boxes by the image size and keeps pixel boxes", () => {
    expect(boxToPixels(box({}), "fraction", 200, 100)).toEqual({ x: 20, y: 20, w: 80, h: 40 });
    const px = boxToPixels(box({ min_x: 20, min_y: 20, max_x: 100, max_y: 60 }), "pixel", 200, 100);
    expect(px).toEqual({ x: 20, y: 20, w: 80, h: 40 });
  });

  it("puts the same box at the same place whatever its domain", () => {
    const f = boxToPercent(box({}), "fraction", 200, 100);
    const p = boxToPercent(box({ min_x: 20, min_y: 20, max_x: 100, max_y: 60 }), "pixel", 200, 100);
    expect(p.left).toBeCloseTo(f.left);
    expect(p.top).toBeCloseTo(f.top);
    expect(p.width).toBeCloseTo(f.width);
    expect(p.height).toBeCloseTo(f.height);
  });

  it("normalises swapped corners", () => {
    expect(boxToPixels(box({ min_x: 0.5, max_x: 0.1 }), "fraction", 100, 100).w).toBeCloseTo(40);
  });

  it("filters by every score key's threshold and by class", () => {
    const layer: BoxLayerMeta = {
      name: "p", domain: "fraction", class_labels: [],
      boxes: [
        box({ class_id: 1, scores: { score: 0.9, iou: 0.2 } }),
        box({ class_id: 1, scores: { score: 0.3 } }),
        box({ class_id: 2, scores: { score: 0.95 } }),
        box({ class_id: 1, scores: {} }),
      ],
    };
    expect(passesThresholds(layer.boxes[0], { score: 0.5 })).toBe(true);
    expect(passesThresholds(layer.boxes[0], { score: 0.5, iou: 0.5 })).toBe(false);
    expect(visibleBoxes(layer, new Set(), { score: 0.5 }).length).toBe(3);
    expect(visibleBoxes(layer, new Set([2]), { score: 0.5 }).map((b) => b.scores.score)).toEqual([0.9, undefined]);
    expect(scoreRanges([layer]).get("score")).toEqual({ min: 0.3, max: 0.95 });
  });
});

describe("box caption placement", () => {
  const H = 14;
  const intersect = (a: { x: number; y: number; w: number; h: number }, b: typeof a) =>
    a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
  const spotRect = (b: { x: number; y: number; w: number; h: number }, spot: string, w: number) => ({
    x: b.x, w, h: H,
    y: spot === "above" ? b.y - H : spot === "inside-top" ? b.y : spot === "below" ? b.y + b.h : b.y + b.h - H,
  });

  it("keeps captions above their boxes when nothing is in the way", () => {
    const boxes = [{ x: 10, y: 40, w: 100, h: 80 }, { x: 200, y: 60, w: 80, h: 80 }];
    expect(placeCaptions(boxes, [60, 60], H, 400, 300)).toEqual(["above", "above"]);
  });

  it("moves the caption of a box sharing a corner with another so the two never overlap", () => {
    // a prediction and its ground truth, a few pixels apart: the usual detection picture
    const boxes = [{ x: 50, y: 50, w: 120, h: 100 }, { x: 54, y: 56, w: 110, h: 90 }, { x: 52, y: 52, w: 115, h: 95 }];
    const widths = [70, 80, 60];
    const spots = placeCaptions(boxes, widths, H, 400, 300);
    expect(spots[0]).toBe("above");
    const rects = spots.map((s, i) => spotRect(boxes[i], s, Math.min(widths[i], boxes[i].w)));
    for (let i = 0; i < rects.length; i++)
      for (let j = i + 1; j < rects.length; j++) expect(intersect(rects[i], rects[j])).toBe(false);
  });

  it("puts a caption inside a box at the top edge of the image, never off it", () => {
    const spots = placeCaptions([{ x: 0, y: 2, w: 100, h: 50 }, { x: 0, y: 250, w: 100, h: 49 }], [50, 50], H, 300, 300);
    expect(spots[0]).toBe("inside-top");
    expect(spots[1]).toBe("above");
  });

  it("overlaps rather than leaving the stage when every spot is taken", () => {
    const boxes = Array.from({ length: 6 }, () => ({ x: 10, y: 100, w: 100, h: 40 }));
    const spots = placeCaptions(boxes, boxes.map(() => 50), H, 300, 300);
    expect(spots.slice(0, 4)).toEqual(["above", "inside-top", "below", "inside-bottom"]);
    expect(spots.slice(4)).toEqual(["above", "above"]);
  });
});
