// 2D boxes: domain conversion and the filters the controls apply.
import type { Box2D, BoxLayerMeta } from "../../api-types";

export interface PixelRect { x: number; y: number; w: number; h: number }

/** A box in image pixels; fraction boxes scale by the image size, pixel boxes pass through. */
export function boxToPixels(box: Box2D, domain: BoxLayerMeta["domain"], width: number, height: number): PixelRect {
  const sx = domain === "fraction" ? width : 1;
  const sy = domain === "fraction" ? height : 1;
  const x0 = Math.min(box.min_x, box.max_x) * sx;
  const x1 = Math.max(box.min_x, box.max_x) * sx;
  const y0 = Math.min(box.min_y, box.max_y) * sy;
  const y1 = Math.max(box.min_y, box.max_y) * sy;
  return { x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
}

/** The same box as percentages of the image, for CSS positioning that stays aligned at any size. */
export function boxToPercent(box: Box2D, domain: BoxLayerMeta["domain"], width: number, height: number) {
  const r = boxToPixels(box, domain, width, height);
  return { left: (r.x / width) * 100, top: (r.y / height) * 100, width: (r.w / width) * 100, height: (r.h / height) * 100 };
}

/** A box passes when every score it has is at or above that key's threshold. */
export function passesThresholds(box: Box2D, thresholds: Record<string, number> | undefined): boolean {
  if (!thresholds) return true;
  for (const [key, min] of Object.entries(thresholds)) {
    const s = box.scores[key];
    if (typeof s === "number" && s < min) return false;
  }
  return true;
}

/** Score keys of a set of layers with their value range, for one slider each. */
export function scoreRanges(layers: readonly BoxLayerMeta[]): Map<string, { min: number; max: number }> {
  const ranges = new Map<string, { min: number; max: number }>();
  for (const layer of layers) {
    for (const box of layer.boxes) {
      for (const [key, v] of Object.entries(box.scores)) {
        const r = ranges.get(key);
        if (!r) ranges.set(key, { min: v, max: v });
        else ranges.set(key, { min: Math.min(r.min, v), max: Math.max(r.max, v) });
      }
    }
  }
  return ranges;
}

/** The boxes of a layer that the current toggles and thresholds let through. */
export function visibleBoxes(
  layer: BoxLayerMeta,
  hiddenClasses: ReadonlySet<number>,
  thresholds: Record<string, number> | undefined,
): Box2D[] {
  return layer.boxes.filter((b) => !hiddenClasses.has(b.class_id) && passesThresholds(b, thresholds));
}

/** Caption shown on a box: its own caption, else class name and the first score. */
export function boxLabel(box: Box2D, className: string): string {
  if (box.caption) return box.caption;
  const first = Object.entries(box.scores)[0];
  return first ? `${className} ${first[1].toFixed(2)}` : className;
}

/** Where a box's caption goes, relative to the box. */
export type CaptionSpot = "above" | "inside-top" | "below" | "inside-bottom";
const SPOTS: readonly CaptionSpot[] = ["above", "inside-top", "below", "inside-bottom"];

/**
 * Spots for the captions of `boxes` (stage pixels) so that no two captions overlap where that
 * can be helped: each takes the first spot in SPOTS order that stays on the stage and clears
 * the captions placed before it, else the first spot on the stage. Predicted and true boxes of
 * one object share a corner, so their captions would otherwise print over each other.
 */
export function placeCaptions(
  boxes: readonly PixelRect[],
  widths: readonly number[],
  captionHeight: number,
  stageW: number,
  stageH: number,
): CaptionSpot[] {
  const placed: PixelRect[] = [];
  return boxes.map((box, i) => {
    const w = Math.min(widths[i], box.w);
    const rects = SPOTS.map((spot) => captionRect(box, spot, w, captionHeight));
    const onStage = rects.map((r) => r.y >= 0 && r.y + r.h <= stageH && r.x < stageW);
    let pick = SPOTS.findIndex((_, k) => onStage[k] && !placed.some((p) => overlaps(p, rects[k])));
    if (pick < 0) pick = Math.max(0, onStage.indexOf(true));
    placed.push(rects[pick]);
    return SPOTS[pick];
  });
}

function captionRect(box: PixelRect, spot: CaptionSpot, w: number, h: number): PixelRect {
  const y = { above: box.y - h, "inside-top": box.y, below: box.y + box.h, "inside-bottom": box.y + box.h - h }[spot];
  return { x: box.x, y, w, h };
}

function overlaps(a: PixelRect, b: PixelRect): boolean {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}
