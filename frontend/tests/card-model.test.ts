import { describe, expect, it } from "vitest";
import { CAPTION_H, GAP, GRID_INSET, LABEL_W, layoutCard, tileLabel } from "../src/panel/card-model";
import type { CardData, CardInput, CardLayoutSettings, GalleryLayout, GridLayout } from "../src/panel/card-model";
import { planCards } from "../src/panel/layout";

const data: CardData = { runs: ["a", "b"], steps: [0, 10, 20, 30, 40, 50, 60, 70, 80, 90], maxItems: 3, kind: "image", stepTotal: 10 };
const grid: CardLayoutSettings = { mode: "grid", x: "step", y: "run", galleryBy: "index", cell: 100, captions: true };

function input(over: Partial<CardInput> = {}, layout: Partial<CardLayoutSettings> = {}): CardInput {
  const settings = { ...grid, ...layout };
  const [plan] = planCards(settings.mode, settings.x, settings.y, ["t"]);
  return { plan, layout: settings, data, width: 2000, fullWidth: 2000, expanded: false, zoomed: false, ...over };
}

function body(l: ReturnType<typeof layoutCard>, i = 0): GridLayout {
  const b = l.sections[i].body;
  if (b.type !== "grid") throw new Error("expected a grid");
  return b;
}

describe("card model", () => {
  it("x=step, y=run: a row per run, a column per step that fits", () => {
    const l = layoutCard(input());
    expect(l.sections).toHaveLength(1);
    const b = body(l);
    expect(b.rows.map((r) => r.run)).toEqual(["a", "b"]);
    expect(b.cols.map((c) => c.step)).toEqual(data.steps);
    expect(b.labelW).toBe(LABEL_W.run);
    expect(l.cellH).toBe(100 + CAPTION_H);
    expect(l.info).toBe("2 runs · 10 steps · 3 per step");
  });

  it("steps across a narrow card are spread evenly, keeping the first and the last, when spread to fit", () => {
    const width = GRID_INSET + LABEL_W.run + 4 * (100 + GAP);
    const l = layoutCard(input({ width, spread: true }));
    expect(body(l).cols.map((c) => c.step)).toEqual([0, 30, 60, 90]);
    expect(l.steps).toEqual({ shown: 4, total: 10, spread: true });
    // one pixel less and the fourth column would be cut: three fit
    expect(body(layoutCard(input({ width: width - 1, spread: true }))).cols).toHaveLength(3);
  });

  it("otherwise every step is a column, whatever the width (the grid scrolls sideways)", () => {
    const l = layoutCard(input({ width: 400 }));
    expect(body(l).cols.map((c) => c.step)).toEqual(data.steps);
    expect(l.steps).toEqual({ shown: 10, total: 10, spread: false });
    expect(layoutCard(input({ width: 400, data: { ...data, stepTotal: 3000 } })).steps?.total).toBe(3000);
  });

  it("the row labels take the width the user dragged them to", () => {
    expect(body(layoutCard(input({ labelW: 300 }))).labelW).toBe(300);
    expect(body(layoutCard(input())).labelW).toBe(LABEL_W.run);
  });

  it("a narrower card than the page keeps its width; a full one follows the page", () => {
    expect(layoutCard(input({ width: 900 })).width).toBe(900);
    expect(layoutCard(input()).width).toBeNull();
  });

  it("run on no axis: one section per run, titled by the run", () => {
    const l = layoutCard(input({}, { x: "index", y: "step" }));
    expect(l.sections.map((s) => s.run)).toEqual(["a", "b"]);
    expect(body(l, 1).cols.map((c) => c.index)).toEqual([0, 1, 2]);
    // Down the y axis every step of the window shows (scrolled virtually), not only those that fit.
    expect(body(l, 1).rows.map((r) => r.step)).toEqual(data.steps);
  });

  it("gallery by run: a tile per run, wrapped to the width", () => {
    const l = layoutCard(input({ width: 250 }, { mode: "gallery", galleryBy: "run" }));
    const b = l.sections[0].body as GalleryLayout;
    expect(b.type).toBe("gallery");
    expect(b.tiles.map(tileLabel)).toEqual(["a", "b"]);
    expect(b.perRow).toBe(2);
    expect(l.cellH).toBe(100 + 2 * CAPTION_H);
  });

  it("a comparison pairs each step's columns by tag", () => {
    const [plan] = planCards("grid", "step", "run", ["p", "g"], ["p", "g"]);
    const l = layoutCard({ ...input(), plan });
    const b = body(l);
    expect(b.group).toBe(2);
    expect(b.cols.slice(0, 4).map((c) => [c.step, c.tag])).toEqual([[0, "p"], [0, "g"], [10, "p"], [10, "g"]]);
    expect(l.compare).toEqual(["p", "g"]);
  });

  it("the signature changes with what a built card shows, not otherwise", () => {
    const a = layoutCard(input());
    expect(layoutCard(input()).signature).toBe(a.signature);
    expect(layoutCard(input({}, { cell: 120 })).signature).not.toBe(a.signature);
    expect(layoutCard(input({ data: { ...data, steps: [...data.steps, 100] } })).signature).not.toBe(a.signature);
  });
  it("x = tag while comparing: the compared tags in the comparison, the others apart, each once", () => {
    const tags = ["curves", "seg/ground_truth", "seg/prediction"];
    const plans = planCards("grid", "tag", "run", tags, ["seg/prediction", "seg/ground_truth"]);
    expect(plans.map((p) => [p.key, p.title])).toEqual([["compare", "prediction vs ground_truth"], ["*", "Other tags"]]);
    const columns = plans.flatMap((plan) => body(layoutCard({ ...input({}, { x: "tag" }), plan })).cols.map((c) => c.tag));
    expect(columns.sort()).toEqual(tags);
    // Every tag compared: the comparison is the only card.
    expect(planCards("grid", "tag", "run", ["a", "b"], ["a", "b"]).map((p) => p.key)).toEqual(["compare"]);
    // Without tag on an axis each compared tag keeps its own card too.
    expect(planCards("grid", "step", "run", ["a", "b"], ["a", "b"]).map((p) => p.key)).toEqual(["compare", "a", "b"]);
  });
});

describe("spread step columns", () => {
  it("always include the slider's step, in place of the nearest spread one", () => {
    const width = GRID_INSET + LABEL_W.run + 4 * (100 + GAP);
    const l = layoutCard(input({ width, spread: true, current: 40 }));
    expect(body(l).cols.map((c) => c.step)).toEqual([0, 40, 60, 90]);
    expect(body(layoutCard(input({ width, spread: true, current: 60 }))).cols.map((c) => c.step)).toEqual([0, 30, 60, 90]);
  });
});
