import { describe, expect, it } from "vitest";
import {
  mergeSteps, nearestEarlier, niceTicks, shortStep, snapStep, spreadSteps, stepBeside, stepsInWindow, tickBins, zoomWindow,
} from "../src/panel/steps";

describe("spreadSteps", () => {
  it("keeps every step when they fit", () => {
    expect(spreadSteps([0, 5, 9], 5)).toEqual([0, 5, 9]);
  });
  it("spreads 100k steps evenly and keeps the first and last", () => {
    const steps = Array.from({ length: 100_000 }, (_, i) => i * 10);
    const out = spreadSteps(steps, 11);
    expect(out).toHaveLength(11);
    expect(out[0]).toBe(0);
    expect(out[10]).toBe(999_990);
    const gaps = out.slice(1).map((s, i) => s - out[i]);
    expect(Math.max(...gaps) - Math.min(...gaps)).toBeLessThanOrEqual(10);
  });
  it("gives the last step when only one fits, nothing when none", () => {
    expect(spreadSteps([1, 2, 3], 1)).toEqual([3]);
    expect(spreadSteps([1, 2, 3], 0)).toEqual([]);
  });
});

describe("snapping and nearest earlier", () => {
  const steps = [0, 10, 20, 50];
  it("snaps to the nearest logged step, ties to the earlier", () => {
    expect(snapStep(steps, 14)).toBe(10);
    expect(snapStep(steps, 15)).toBe(10);
    expect(snapStep(steps, 16)).toBe(20);
    expect(snapStep(steps, -5)).toBe(0);
    expect(snapStep(steps, 99)).toBe(50);
    expect(snapStep([], 3)).toBeNull();
  });
  it("finds the latest step at or before", () => {
    expect(nearestEarlier(steps, 20)).toBe(20);
    expect(nearestEarlier(steps, 49)).toBe(20);
    expect(nearestEarlier(steps, 1000)).toBe(50);
    expect(nearestEarlier(steps, -1)).toBeNull();
  });
  it("steps with the arrow keys and stops at the ends", () => {
    expect(stepBeside(steps, 10, 1)).toBe(20);
    expect(stepBeside(steps, 10, -1)).toBe(0);
    expect(stepBeside(steps, 0, -1)).toBe(0);
    expect(stepBeside(steps, 50, 1)).toBe(50);
    expect(stepBeside(steps, 30, -1)).toBe(20);
    expect(stepBeside(steps, 30, 1)).toBe(50);
  });
});

describe("windows and ticks", () => {
  it("merges and windows step lists", () => {
    expect(mergeSteps([[0, 10], [5, 10, 20]])).toEqual([0, 5, 10, 20]);
    expect(stepsInWindow([0, 5, 10, 20], 5, 10)).toEqual([5, 10]);
  });
  it("aggregates dense ticks per pixel", () => {
    const steps = Array.from({ length: 1000 }, (_, i) => i);
    const bins = tickBins(steps, 0, 999, 100);
    expect(bins.reduce((a, b) => a + b, 0)).toBe(1000);
    expect(Math.max(...bins)).toBeLessThanOrEqual(11);
  });
  it("zooms around a point and clamps to the extent", () => {
    expect(zoomWindow([0, 100], 50, 0.5, 0, 100)).toEqual([25, 75]);
    expect(zoomWindow([0, 100], 0, 2, 0, 100)).toEqual([0, 100]);
  });
  it("labels round steps", () => {
    expect(niceTicks(0, 100, 5)).toEqual([0, 20, 40, 60, 80, 100]);
    expect(shortStep(1_250_000)).toBe("1.25M");
    expect(shortStep(25_000)).toBe("25k");
    expect(shortStep(999)).toBe("999");
  });
});
