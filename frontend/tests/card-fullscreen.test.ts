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
});
