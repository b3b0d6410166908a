// A stable colour per run: assigned by the run's position in the sorted list of all runs
// (as TensorBoard does), so filtering or deselecting runs never recolours the others.

const PALETTE = [
  "#ee7733", "#0077bb", "#33bbee", "#ee3377", "#cc3311", "#009988", "#aa3377", "#4477aa",
  "#228833", "#ccbb44", "#66ccee", "#882255", "#117733", "#999933", "#44aa99", "#dd7788",
  "#6699cc", "#997700", "#ee99aa", "#555555",
];

export function runColor(allRunsSorted: readonly string[], run: string): string {
  const i = allRunsSorted.indexOf(run);
  if (i < 0) return "#777777";
  if (i < PALETTE.length) return PALETTE[i];
  // Past the palette: golden-angle hues stay distinct from their neighbours.
  const hue = Math.round((i * 137.508) % 360);
  return `hsl(${hue} 60% 45%)`;
}
