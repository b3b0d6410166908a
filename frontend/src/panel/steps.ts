// Pure step arithmetic shared by the slider, the timeline and the grid's step axis.

/** Index of the last element <= value in a sorted array, or -1. */
export function lastAtOrBefore(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] <= value) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}

/** The logged step nearest to `value` (ties go to the earlier one); null when there are none. */
export function snapStep(sorted: readonly number[], value: number): number | null {
  if (!sorted.length) return null;
  const i = lastAtOrBefore(sorted, value);
  if (i < 0) return sorted[0];
  if (i === sorted.length - 1) return sorted[i];
  return value - sorted[i] <= sorted[i + 1] - value ? sorted[i] : sorted[i + 1];
}

/** The latest logged step at or before `value`: what a run shows when it lacks the slider's step. */
export function nearestEarlier(sorted: readonly number[], value: number): number | null {
  const i = lastAtOrBefore(sorted, value);
  return i < 0 ? null : sorted[i];
}

/** The neighbouring logged step (for ←/→); stays put at either end. */
export function stepBeside(sorted: readonly number[], value: number, direction: -1 | 1): number | null {
  if (!sorted.length) return null;
  const i = lastAtOrBefore(sorted, value);
  if (direction < 0) {
    const exact = i >= 0 && sorted[i] === value;
    return sorted[Math.max(0, exact ? i - 1 : i)];
  }
  return sorted[Math.min(sorted.length - 1, i + 1)];
}

/** At most `n` steps spread evenly by position, always keeping the first and the last. */
export function spreadSteps(sorted: readonly number[], n: number): number[] {
  if (n <= 0 || !sorted.length) return [];
  if (sorted.length <= n) return [...sorted];
  if (n === 1) return [sorted[sorted.length - 1]];
  const out: number[] = [];
  const last = sorted.length - 1;
  for (let k = 0; k < n; k++) {
    const v = sorted[Math.round((k * last) / (n - 1))];
    if (out[out.length - 1] !== v) out.push(v);
  }
  return out;
}

/** Sorted union of sorted step lists. */
export function mergeSteps(lists: Iterable<readonly number[]>): number[] {
  const all = new Set<number>();
  for (const l of lists) for (const s of l) all.add(s);
  return [...all].sort((a, b) => a - b);
}

/** Steps inside [min, max], inclusive. */
export function stepsInWindow(sorted: readonly number[], min: number, max: number): number[] {
  const start = lastAtOrBefore(sorted, min - 1) + 1;
  const end = lastAtOrBefore(sorted, max);
  return sorted.slice(start, end + 1);
}

/** Logged steps counted per pixel column of a `width`-px axis over [min, max] (dense ticks aggregate). */
export function tickBins(sorted: readonly number[], min: number, max: number, width: number): Uint32Array {
  const bins = new Uint32Array(Math.max(1, Math.floor(width)));
  const span = max - min;
  for (const s of sorted) {
    if (s < min || s > max) continue;
    const x = span > 0 ? Math.round(((s - min) / span) * (bins.length - 1)) : Math.floor(bins.length / 2);
    bins[x]++;
  }
  return bins;
}

/** Zooms [min, max] by `factor` (<1 zooms in) keeping `center` fixed, clamped to [lo, hi]. */
export function zoomWindow(
  window: readonly [number, number], center: number, factor: number, lo: number, hi: number,
): [number, number] {
  const [min, max] = window;
  let a = center - (center - min) * factor;
  let b = center + (max - center) * factor;
  if (b - a < 1) {
    a = center - 0.5;
    b = center + 0.5;
  }
  a = Math.max(lo, Math.floor(a));
  b = Math.min(hi, Math.ceil(b));
  return [a, b];
}

/** "Nice" round tick values for an axis over [min, max] with about `count` labels. */
export function niceTicks(min: number, max: number, count: number): number[] {
  if (max <= min) return [min];
  const raw = (max - min) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / mag;
  const step = Math.max(1, (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 5 ? 5 : 10) * mag);
  const out: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max; v += step) out.push(v);
  return out;
}

/** 1234567 -> "1.23M": short labels for a crowded axis. */
export function shortStep(step: number): string {
  const abs = Math.abs(step);
  if (abs >= 1e6) return `${+(step / 1e6).toFixed(2)}M`;
  if (abs >= 1e4) return `${+(step / 1e3).toFixed(1)}k`;
  return String(step);
}
