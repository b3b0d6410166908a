import { describe, expect, it } from "vitest";
import { isPair, overlayDefaultOn, overlayShown, rankOverlays, tagRole } from "../src/viewers/overlay-pairs";

describe("overlay partners", () => {
  it("pairs tags that differ only by a prediction/reference word, whatever the separator", () => {
    expect(isPair("structure/predicted", "structure/true")).toBe(true);
    expect(isPair("pointcloud/predicted", "pointcloud/true")).toBe(true);
    expect(isPair("cloud_pred", "cloud_gt")).toBe(true);
    expect(isPair("seg-prediction", "seg-ground_truth")).toBe(true);
    expect(isPair("a.output", "a.target")).toBe(true);
    expect(isPair("pred/scene", "gt/scene")).toBe(true);
  });

  it("does not pair different stems, two of one role, a suffix with a prefix, or tags without a role", () => {
    expect(isPair("structure/predicted", "molecules/true")).toBe(false);
    expect(isPair("structure/pred", "structure/predicted")).toBe(false);
    expect(isPair("a/pred", "pred/a")).toBe(false);
    expect(isPair("molecules/formats", "molecules/drugs")).toBe(false);
    // "true" inside a word is not a role: the role is a whole trailing segment.
    expect(tagRole("construe")).toBeNull();
    expect(tagRole("mesh/untrue")).toBeNull();
  });

  it("shows the reference over its prediction by default, not the other way round", () => {
    expect(overlayDefaultOn("structure/predicted", "structure/true")).toBe(true);
    expect(overlayDefaultOn("structure/true", "structure/predicted")).toBe(false);
    expect(overlayDefaultOn("molecules/formats", "structure/true")).toBe(false);
  });

  it("the user's grid-wide choice wins over the default; a viewer may keep pairs off", () => {
    expect(overlayShown("x/pred", "x/gt", {})).toBe(true);
    expect(overlayShown("x/pred", "x/gt", { "x/gt": false })).toBe(false);
    expect(overlayShown("x/gt", "x/pred", { "x/pred": true })).toBe(true);
    expect(overlayShown("x/pred", "x/gt", {}, false)).toBe(false);
    expect(overlayShown("x/pred", "x/gt", { "x/gt": true }, false)).toBe(true);
  });

  it("ranks partners first and keeps every other tag reachable", () => {
    const items = ["molecules/formats", "structure/true", "molecules/drugs"].map((tag) => ({ tag }));
    const { paired, others } = rankOverlays("structure/predicted", items);
    expect(paired.map((i) => i.tag)).toEqual(["structure/true"]);
    expect(others.map((i) => i.tag)).toEqual(["molecules/drugs", "molecules/formats"]);
  });
});
