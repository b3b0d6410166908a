import { describe, expect, it } from "vitest";
import { axisValue, axisValues, cellAddress, columnsThatFit, facetsByRun, pairByTag, planCards, shortTagNames, suggestPairs } from "../src/panel/layout";
import type { Axis } from "../src/state/settings";
import type { Dims } from "../src/panel/layout";

const gridSpec = (x: Axis, y: Axis, d: Dims) => ({ rows: axisValues(y, d), cols: axisValues(x, d) });

const dims: Dims = { runs: ["a", "b"], tags: ["t1", "t2"], steps: [0, 10, 20], indices: [0, 1, 2, 3] };

describe("grid axes", () => {
  it("x=step, y=run: runs down, steps across, labelled", () => {
    const g = gridSpec("step", "run", dims);
    expect(g.rows.map((r) => r.label)).toEqual(["a", "b"]);
    expect(g.cols.map((c) => c.label)).toEqual(["0", "10", "20"]);
    expect(cellAddress({ run: null, tag: "t1", step: 99, index: 0 }, g.rows[1], g.cols[2]))
      .toEqual({ run: "b", tag: "t1", step: 20, index: 0 });
  });
  it("x=index, y=step: many samples per step of one run", () => {
    const g = gridSpec("index", "step", dims);
    expect(g.cols.map((c) => c.label)).toEqual(["#0", "#1", "#2", "#3"]);
    expect(cellAddress({ run: "a", tag: "t1", step: 99, index: 0 }, g.rows[0], g.cols[3]))
      .toEqual({ run: "a", tag: "t1", step: 0, index: 3 });
  });
  it("x=run, y=index: the slider's step fills in the step", () => {
    const g = gridSpec("run", "index", dims);
    expect(cellAddress({ run: null, tag: "t2", step: 10, index: 0 }, g.rows[2], g.cols[0]))
      .toEqual({ run: "a", tag: "t2", step: 10, index: 2 });
  });
  it("an address is incomplete without a step or a run", () => {
    const g = gridSpec("index", "tag", dims);
    expect(cellAddress({ run: null, tag: null, step: 10, index: 0 }, g.rows[0], g.cols[0])).toBeNull();
    expect(cellAddress({ run: "a", tag: null, step: null, index: 0 }, g.rows[0], g.cols[0])).toBeNull();
  });
});

describe("cards", () => {
  it("one card per tag", () => {
    expect(planCards("grid", "step", "run", ["t1", "t2"]).map((c) => c.key)).toEqual(["t1", "t2"]);
  });
  it("faceted by run when run is on no axis", () => {
    expect(facetsByRun("grid", "step", "run", "index")).toBe(false);
    expect(facetsByRun("grid", "index", "step", "index")).toBe(true);
  });
  it("a single card when tag is an axis", () => {
    const cards = planCards("grid", "tag", "run", ["t1", "t2"]);
    expect(cards).toHaveLength(1);
    expect(cards[0].tags).toEqual(["t1", "t2"]);
  });
  it("gallery per run shows runs side by side", () => {
    expect(facetsByRun("gallery", "step", "run", "run")).toBe(false);
    expect(facetsByRun("gallery", "step", "run", "step")).toBe(true);
  });
  it("fits as many columns as the width allows", () => {
    expect(columnsThatFit(1000, 100, 128, 4)).toBe(6);
    expect(columnsThatFit(50, 100, 128, 4)).toBe(1);
  });
});

describe("comparing tags side by side", () => {
  it("puts a comparison card first, titled by the tags' own names", () => {
    const plans = planCards("grid", "step", "run", ["seg/ground_truth", "seg/prediction", "loss"], ["seg/prediction", "seg/ground_truth"]);
    expect(plans.map((p) => [p.key, p.title])).toEqual([
      ["compare", "prediction vs ground_truth"], ["seg/ground_truth", "seg/ground_truth"], ["seg/prediction", "seg/prediction"], ["loss", "loss"],
    ]);
    expect(planCards("grid", "step", "run", ["a", "b"], ["a"]).map((p) => p.key)).toEqual(["a", "b"]);
  });
  it("pairs each column value with every compared tag", () => {
    const cols = pairByTag([axisValue("step", 10), axisValue("step", 20)], ["seg/prediction", "seg/ground_truth"]);
    expect(cols.map((c) => [c.step, c.tag, c.sub, c.groupStart])).toEqual([
      [10, "seg/prediction", "prediction", true], [10, "seg/ground_truth", "ground_truth", false],
      [20, "seg/prediction", "prediction", true], [20, "seg/ground_truth", "ground_truth", false],
    ]);
    expect(cellAddress({ run: "r", tag: null, step: null, index: 0 }, axisValue("run", "r"), cols[1]))
      .toEqual({ run: "r", tag: "seg/ground_truth", step: 10, index: 0 });
  });
  it("suggests prediction / ground-truth pairs", () => {
    expect(suggestPairs(["seg/ground_truth", "seg/prediction", "val/gt", "val/pred", "images", "x/prediction"]))
      .toEqual([["seg/prediction", "seg/ground_truth"], ["val/pred", "val/gt"]]);
    expect(suggestPairs(["recon", "input"])).toEqual([["recon", "input"]]);
  });
  it("shortens tag names by their shared path", () => {
    expect(shortTagNames(["a/b/pred", "a/b/gt"])).toEqual(["pred", "gt"]);
    expect(shortTagNames(["a/x", "b/x"])).toEqual(["a/x", "b/x"]);
  });
});
