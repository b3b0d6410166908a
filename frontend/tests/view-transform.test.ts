import { describe, expect, it } from "vitest";
import { decodeState, defaultState, encodeState } from "../src/state/settings";
import {
  MAX_SCALE, MIN_SCALE, cssTransform, decodeView, encodeView, fitTransform, groupTransform, joinGroup, oneToOne,
  panBy, setGroupTransform, subscribeTransform, toImage, toScreen, wheelFactor, zoomAbout, zoomText,
} from "../src/viewers/view-transform";

const view = { w: 200, h: 100 };
const img = { w: 64, h: 32 };

describe("view transform math", () => {
  it("fits the image whole, centred", () => {
    const t = fitTransform(view, img);
    expect(t).toEqual({ scale: 100 / 32, tx: 32, ty: 16 });
    // the image's corners land inside the viewport, the limiting side on its edges
    expect(toScreen(t, view, 0, 0)).toEqual([0, 0]);
    expect(toScreen(t, view, 64, 32)).toEqual([200, 100]);
  });

  it("maps screen to image and back", () => {
    const t = { scale: 8, tx: 10, ty: 20 };
    const [x, y] = toImage(t, view, 37, 81);
    expect(toScreen(t, view, x, y)).toEqual([37, 81]);
    // the centre of the viewport is (tx, ty)
    expect(toImage(t, view, 100, 50)).toEqual([10, 20]);
  });

  it("zooms about the pointer: the image point under it stays", () => {
    const t = { scale: 2, tx: 32, ty: 16 };
    const before = toImage(t, view, 30, 70);
    const z = zoomAbout(t, view, 30, 70, 4);
    expect(z.scale).toBe(8);
    const after = toImage(z, view, 30, 70);
    expect(after[0]).toBeCloseTo(before[0], 10);
    expect(after[1]).toBeCloseTo(before[1], 10);
  });

  it("clamps the zoom to 1/32 .. 32", () => {
    const t = { scale: 16, tx: 0, ty: 0 };
    expect(zoomAbout(t, view, 0, 0, 100).scale).toBe(MAX_SCALE);
    expect(zoomAbout(t, view, 0, 0, 1e-6).scale).toBe(MIN_SCALE);
  });

  it("pans with the pointer and keeps the centre on the image", () => {
    const t = { scale: 8, tx: 16, ty: 16 };
    // dragging right by 16 px brings the image 2 px right: the centre moves 2 image px left
    expect(panBy(t, 16, 8, img)).toEqual({ scale: 8, tx: 14, ty: 15 });
    expect(panBy(t, 10_000, -10_000, img)).toEqual({ scale: 8, tx: 0, ty: 32 });
  });

  it("1:1 is one image pixel per device pixel", () => {
    expect(oneToOne({ scale: 5, tx: 3, ty: 4 }, 1)).toEqual({ scale: 1, tx: 3, ty: 4 });
    expect(oneToOne({ scale: 5, tx: 3, ty: 4 }, 2).scale).toBe(0.5);
  });

  it("writes the CSS transform of an image-sized element, offsets on device pixels", () => {
    expect(cssTransform({ scale: 8, tx: 16, ty: 16 }, { w: 160, h: 160 })).toBe("translate(-48px,-48px) scale(8)");
    expect(cssTransform({ scale: 3, tx: 0.05, ty: 0 }, { w: 11, h: 10 }, 2)).toBe("translate(5.5px,5px) scale(3)");
  });

  it("zooms by about 1.25 per wheel notch, whatever the delta unit", () => {
    expect(wheelFactor(-100, 0)).toBeCloseTo(1.246, 2);
    expect(wheelFactor(100, 0)).toBeCloseTo(1 / 1.246, 2);
    expect(wheelFactor(-3, 1)).toBeCloseTo(wheelFactor(-48, 0), 10);
  });

  it("reads the zoom as a user does", () => {
    expect(zoomText(null)).toBe("fit");
    expect(zoomText({ scale: 1, tx: 0, ty: 0 })).toBe("1:1");
    expect(zoomText({ scale: 8, tx: 0, ty: 0 })).toBe("8×");
    expect(zoomText({ scale: 2.5, tx: 0, ty: 0 })).toBe("2.5×");
    expect(zoomText({ scale: 0.25, tx: 0, ty: 0 })).toBe("25 %");
    expect(zoomText({ scale: 0.5, tx: 0, ty: 0 }, 2)).toBe("1:1");
  });
});

describe("the zoom in the link", () => {
  it("round-trips per card, rounded", () => {
    const s = { ...defaultState(), views: { photo: { scale: 8, tx: 14, ty: 15 }, "seg/pred": { scale: 2.123456, tx: 1.006, ty: 0 } } };
    const back = decodeState(encodeState(s));
    expect(back.views.photo).toEqual({ scale: 8, tx: 14, ty: 15 });
    expect(back.views["seg/pred"]).toEqual({ scale: 2.1235, tx: 1.01, ty: 0 });
    expect(encodeState(defaultState())).not.toContain("view");
  });

  it("drops malformed views and clamps the scale", () => {
    const s = decodeState(`view=${encodeURIComponent(JSON.stringify({ a: [8, 1], b: "x", c: [0, 1, 2], d: [1e9, 1, 2], e: [2, null, 1] }))}`);
    expect(s.views).toEqual({ d: { scale: MAX_SCALE, tx: 1, ty: 2 } });
    expect(decodeState("view=%7Bnot json").views).toEqual({});
    expect(decodeView([2, 3, 4])).toEqual({ scale: 2, tx: 3, ty: 4 });
    expect(encodeView({ scale: 1 / 3, tx: 1 / 3, ty: 2 / 3 })).toEqual([0.3333, 0.33, 0.67]);
  });
});

describe("groups", () => {
  it("the viewers under one data-view-group share its transform; others do not", async () => {
    const card = document.createElement("div");
    card.dataset.viewGroup = "photo";
    const cellA = card.appendChild(document.createElement("div"));
    const cellB = card.appendChild(document.createElement("div"));
    const other = document.createElement("div");
    const seen: Record<string, unknown[]> = { a: [], b: [], other: [], sub: [] };
    joinGroup(cellA, { apply: (t) => seen.a.push(t) });
    const b = joinGroup(cellB, { apply: (t) => seen.b.push(t) });
    joinGroup(other, { apply: (t) => seen.other.push(t) });
    const off = subscribeTransform(card, (t) => seen.sub.push(t));
    expect(b.group).toBe(card);
    const t = { scale: 4, tx: 1, ty: 2 };
    setGroupTransform(card, t, false);
    expect(groupTransform(card)).toEqual(t);
    await new Promise((r) => requestAnimationFrame(() => r(null)));
    expect(seen.a.at(-1)).toEqual(t);
    expect(seen.b.at(-1)).toEqual(t);
    expect(seen.sub).toEqual([t]);
    expect(seen.other).toEqual([null]);
    off();
    b.leave();
    setGroupTransform(card, null, false);
    await new Promise((r) => requestAnimationFrame(() => r(null)));
    expect(seen.b.at(-1)).toEqual(t);
    expect(seen.a.at(-1)).toBeNull();
    expect(seen.sub).toEqual([t]);
  });
});
