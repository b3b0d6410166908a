// What the panel knows about the logdir: runs, tags, per-tag step series for the zoom window,
// and where a run's nearest earlier step is. Series are cached per (tag, window) and dropped
// when polling sees the tag grow.
import type { ApiError, MediaApi } from "../api";
import type { RunInfo, RunSeries, SeriesResponse, TagInfo } from "../api-types";
import { sharedPrefix } from "./dom";
import { nearestEarlier } from "./steps";

/** Steps fetched per tag and window: enough for dense ticks and for the slider to snap to. */
export const SERIES_STEPS = 1000;

export type Window = [number, number] | null;

export interface TagSummary {
  tag: string;
  kind: TagInfo["kind"];
  runs: Map<string, TagInfo>;
  maxItems: number;
  firstStep: number;
  lastStep: number;
  /** The markdown description logged with the tag (the first run's that has one), or "". */
  description: string;
}

export function summarizeTags(tags: readonly TagInfo[]): Map<string, TagSummary> {
  const out = new Map<string, TagSummary>();
  for (const t of tags) {
    let s = out.get(t.tag);
    if (!s) {
      s = { tag: t.tag, kind: t.kind, runs: new Map(), maxItems: 0, firstStep: t.first_step, lastStep: t.last_step, description: "" };
      out.set(t.tag, s);
    }
    if (!s.description && t.description) s.description = t.description;
    s.runs.set(t.run, t);
    s.maxItems = Math.max(s.maxItems, t.max_items);
    s.firstStep = Math.min(s.firstStep, t.first_step);
    s.lastStep = Math.max(s.lastStep, t.last_step);
  }
  return new Map([...out].sort(([a], [b]) => a.localeCompare(b)));
}

/** A fingerprint of what polling compares: a tag changed when any run's series did, a step
 *  logged again included (its count and last step stay the same, its version does not). */
export function tagFingerprint(t: TagSummary): string {
  return [...t.runs.values()].map((r) => `${r.run}:${r.version}`).sort().join("|");
}

export class PanelData {
  runs: RunInfo[] = [];
  runNames: string[] = [];
  /** Characters at the start of every run's name, cut first when a name does not fit (dom.ts nameEl). */
  runPrefix = 0;
  tags = new Map<string, TagSummary>();
  private series = new Map<string, Promise<SeriesResponse>>();
  private earlier = new Map<string, Promise<number | null>>();

  constructor(readonly api: MediaApi) {}

  /** The share of the logdir indexed so far (0–100), or null once indexing is done. */
  indexingPercent(): number | null {
    const p = this.api.progress;
    if (!p || p.done) return null;
    const share = p.bytes_total > 0 ? p.bytes_done / p.bytes_total : p.files_total > 0 ? p.files_done / p.files_total : 0;
    return Math.min(99, Math.floor(share * 100));
  }

  /** Loads runs and tags; returns the tags whose data changed since the last call. */
  async refresh(rescan: boolean): Promise<Set<string>> {
    // A rescan must finish before tags are listed; otherwise both at once, so the first paint
    // waits on the slower of the two, not on their sum.
    const [runs, tagList] = rescan
      ? [await this.api.reload(), await this.api.tags()]
      : await Promise.all([this.api.runs(), this.api.tags()]);
    const tags = summarizeTags(tagList);
    const changed = new Set<string>();
    for (const [name, t] of tags) {
      const old = this.tags.get(name);
      if (!old || tagFingerprint(old) !== tagFingerprint(t)) changed.add(name);
    }
    for (const name of this.tags.keys()) if (!tags.has(name)) changed.add(name);
    // A run with no media (a scalar-only sub-run that add_scalars writes) has nothing to show
    // here; one with skipped records stays, so its warning is seen.
    const withMedia = new Set(tagList.map((t) => t.run));
    this.runs = runs.filter((r) => withMedia.has(r.name) || r.skipped_records > 0);
    this.runNames = this.runs.map((r) => r.name).sort();
    this.runPrefix = sharedPrefix(this.runNames);
    this.tags = tags;
    for (const name of changed) this.forget(name);
    return changed;
  }

  private forget(tag: string): void {
    const prefix = `${JSON.stringify(tag)}|`;
    for (const k of [...this.series.keys()]) if (k.startsWith(prefix)) this.series.delete(k);
    for (const k of [...this.earlier.keys()]) if (k.startsWith(prefix)) this.earlier.delete(k);
  }

  /** Whether `run` logged `tag` at all (a grid of several tags has cells for runs that did not). */
  hasSeries(run: string, tag: string): boolean {
    return this.tags.get(tag)?.runs.has(run) ?? false;
  }

  /**
   * Series of several tags; a tag whose series fails is answered with its error, so one bad
   * series costs its own card, not the panel.
   */
  async seriesOf(tags: readonly string[], window: Window): Promise<Map<string, SeriesResponse | Error>> {
    const results = await Promise.allSettled(tags.map((t) => this.seriesFor(t, window)));
    return new Map(tags.map((t, i) => {
      const r = results[i];
      return [t, r.status === "fulfilled" ? r.value : r.reason instanceof Error ? r.reason : new Error(String(r.reason))];
    }));
  }

  /** Steps of every run that has `tag`, inside the window. */
  seriesFor(tag: string, window: Window): Promise<SeriesResponse> {
    const key = `${JSON.stringify(tag)}|${window ? window.join("-") : "all"}`;
    let hit = this.series.get(key);
    if (!hit) {
      const runs = [...(this.tags.get(tag)?.runs.keys() ?? [])];
      hit = this.api.series({ tag, runs, stepMin: window?.[0], stepMax: window?.[1], maxSteps: SERIES_STEPS });
      hit.catch(() => this.series.delete(key));
      this.series.set(key, hit);
    }
    return hit;
  }

  /**
   * The step a run shows when the slider is at `step`: the latest logged one at or before it.
   * `known` (the run's steps in the window) answers directly when it lists every logged step;
   * otherwise the server answers exactly, batched with the other cells' lookups (and the
   * items it returns seed the cache, so the cell's next `items` call costs no request).
   */
  resolveStep(run: string, tag: string, step: number, known: RunSeries | undefined): Promise<number | null> {
    if (known && known.total === known.steps.length) {
      const hit = nearestEarlier(known.steps, step);
      if (hit !== null) return Promise.resolve(hit);
    }
    const key = `${JSON.stringify(tag)}|${run}|${step}`;
    let hit = this.earlier.get(key);
    if (!hit) {
      // the slider works in numbers: steps beyond 2^53 arrive as strings (api-types Step)
      hit = this.api.itemsAtOrBefore(run, tag, step).then((res) => (res ? Number(res.step) : null));
      hit.catch(() => this.earlier.delete(key));
      this.earlier.set(key, hit);
    }
    return hit;
  }
}

export function errorText(err: unknown): string {
  if (err && typeof err === "object" && "message" in err) {
    const e = err as ApiError;
    return e.status ? `${e.message} (HTTP ${e.status})` : String(e.message);
  }
  return String(err);
}
