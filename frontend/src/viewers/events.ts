// DOM events the panel sends to the viewers in a cell (they bubble no further than the cell).

/** "Play this row together": every video in the row restarts from its first frame. */
export const ROW_PLAY_EVENT = "mp-row-play";

/** Standard file name for downloading an item's original bytes (`ext`: the item's format). */
export function downloadName(ref: { run: string; tag: string; step: number | string; index: number }, ext: string): string {
  const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, "_");
  if (ext === "scalar") ext = "npy"; // a scalar image downloads as its values (the data route's .npy)
  return `${safe(ref.run)}_${safe(ref.tag)}_step${ref.step}_${ref.index}${ext ? `.${ext}` : ""}`;
}
