import { describe, expect, it } from "vitest";
import { CAPTION_H, GAP, GRID_INSET, HEADER_H, LABEL_W, fullScreenCell, layoutCard } from "../src/panel/card-model";
import type { CardData, CardLayoutSettings } from "../src/panel/card-model";
import { planCards } from "../src/panel/layout";

const data: CardData = { runs: ["a", "b", "c"], steps: [0, 10], maxItems: 4, kind: "image", stepTotal: 2 };
const grid: CardLayoutSettings = { mode: "grid", x: "index", y: "run", galleryBy: "index", cell: 128, captions: true };

function layout(width: number) {
  const [plan] = planCards(grid.mode, grid.x, grid.y, ["t"]);
  return layoutCard({ plan, layout: grid, data, width, fullWidth: width, expanded: true, zoomed: false });
}

describe("card full screen", () => {
  it("cells grow until the rows fill the height (3 runs down)", () => {
    const l = layout(4000);
    const cell = fullScreenCell(l, 4000, 900);
    // Below the card's title bar (40 px) and the column header, three rows of cells with their
    // captions fit the height; one pixel more and they would not.
    const room = 900 - 40 - GRID_INSET - HEADER_H;
    const used = (c: number) => 3 * (c + CAPTION_H + GAP);
    expect(cell).toBeGreaterThan(128);
    expect(used(cell)).toBeLessThanOrEqual(room);
    expect(used(cell + 1)).toBeGreaterThan(room);
  });

  it("or until the columns fill the width (4 per step across)", () => {
    const width = 1000;
    const cell = fullScreenCell(layout(width), width, 5000);
    expect(4 * (cell + GAP) + LABEL_W.run + GRID_INSET).toBeLessThanOrEqual(width);
    expect(4 * (cell + 1 + GAP) + LABEL_W.run + GRID_INSET).toBeGreaterThan(width);
  });

  it("step columns that scroll sideways do not hold the cells at their size: the rows fill the height", () => {
    const steps: CardData = { ...data, steps: Array.from({ length: 50 }, (_, i) => i * 10), stepTotal: 50 };
    const byStep = { ...grid, x: "step" as const };
    const [plan] = planCards(byStep.mode, byStep.x, byStep.y, ["t"]);
    const l = layoutCard({ plan, layout: byStep, data: steps, width: 1200, fullWidth: 1200, expanded: true, zoomed: false });
    const cell = fullScreenCell(l, 1200, 900);
    expect(cell).toBeGreaterThan(200); // 50 columns at 1200 px would have kept it under 24
    expect(3 * (cell + CAPTION_H + GAP)).toBeLessThanOrEqual(900 - 40 - GRID_INSET - HEADER_H);
    // Spread to fit, every column must fit across again.
    const spread = layoutCard({ plan, layout: byStep, data: steps, width: 1200, fullWidth: 1200, expanded: true, zoomed: false, spread: true });
    const cols = spread.sections[0].body.type === "grid" ? spread.sections[0].body.cols.length : 0;
    expect(cols * (fullScreenCell(spread, 1200, 900) + GAP) + LABEL_W.run + GRID_INSET).toBeLessThanOrEqual(1200);
  });
});
