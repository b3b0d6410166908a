// Typed client of the plugin's HTTP API (docs/http-api.md): the only module that knows URLs.
import type {
  IndexProgress, ItemMeta, ItemRef, ItemsResponse, PointArray, RunInfo, RunsAnswer, SeriesResponse, Step, TagInfo,
} from "./api-types";
import type { ItemSource } from "./viewers/types";

/** A route answered with an error status; `message` is the server's `{"error": ...}` text. */
export class ApiError extends Error {
  constructor(readonly status: number, message: string, readonly route: string) {
    super(message);
    this.name = "ApiError";
  }
}

// ---- steps: int64, exactly (docs/http-api.md "Steps") ----------------------------------

/** A step as a BigInt: exact for every int64, unlike a number beyond 2^53. */
export function stepBigInt(step: Step): bigint {
  return BigInt(step);
}

/** Orders steps exactly (negative when a < b), cheaply while both are numbers. */
export function compareSteps(a: Step, b: Step): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** The one spelling of a step, for map keys and URLs: 7 and "7" are the same step. */
export function stepKey(step: Step): string {
  return typeof step === "number" ? String(step) : BigInt(step).toString();
}

/** A step as the API carries it: a number while it is a safe integer, else its decimal string. */
export function toStep(step: bigint): Step {
  const safe = BigInt(Number.MAX_SAFE_INTEGER);
  return step >= -safe && step <= safe ? Number(step) : step.toString();
}

/** The only types an inline image becomes a Blob of (the server checked its bytes). */
const INLINE_TYPES = new Set(["image/png", "image/jpeg", "image/webp", "image/gif", "image/bmp"]);

/** One address of an `items_batch` answer: its items, or why it has none. */
type BatchEntry = ItemsResponse | { run: string; tag: string; step: Step; error: string };
/** With `earlier=1`, a series with nothing at or before the step answers step null. */
type EarlierEntry = BatchEntry | { run: string; tag: string; step: null; wall_time: null; items: [] };

interface PendingItems {
  run: string;
  tag: string;
  step: Step;
  resolve(r: ItemsResponse | null): void;
  reject(e: unknown): void;
}

/** Addresses per `items_batch` request (the route takes 256; this keeps URLs a few kB). */
const BATCH = 96;
/** Longest `items_batch` or `series` URL sent: Python's HTTP server refuses lines over 64 KiB. */
const MAX_BATCH_URL = 32 * 1024;
/**
 * Images up to this size come inside the `items_batch` answer: the server closes every
 * connection, so a separate request per small image costs more than the bytes themselves.
 */
const INLINE_MAX = 96 * 1024;
/** Inline images kept as blob URLs; older ones are released and fetched again if shown. */
const INLINE_KEEP = 600;

export interface SeriesQuery {
  tag: string;
  runs: string[];
  stepMin?: Step | null;
  stepMax?: Step | null;
  maxSteps?: number;
}

type Params = Record<string, string | number | string[] | null | undefined>;

function query(params: Params): string {
  const q = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === null || value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) q.append(key, v);
    else q.append(key, String(value));
  }
  return q.toString();
}

function refKey(ref: ItemRef): string {
  return JSON.stringify([ref.run, ref.tag, stepKey(ref.step), ref.index]);
}

export class MediaApi implements ItemSource {
  /**
   * Metadata per (run, tag, step), until the server's generation changes (a step can be logged
   * again). Payload URLs carry the item's content key, so those the browser cached stay right.
   */
  private readonly itemsCache = new Map<string, Promise<ItemsResponse>>();
  /** The content key of each item whose metadata arrived, by its address. */
  private readonly contentKeys = new Map<string, string>();
  private generation: number | null = null;
  /**
   * Item lookups made in the same task (every cell of a grid asks at once) are sent as one
   * `items_batch` request per mode: one round trip for a screenful instead of one per cell.
   */
  private readonly queued: Record<"exact" | "earlier", PendingItems[]> = { exact: [], earlier: [] };
  private flushScheduled = false;
  /** Blob URLs of inline images, by content key. */
  private readonly inlineUrls = new Map<string, string>();

  /** `base` is the plugin's route prefix, e.g. `http://host/data/plugin/media_panel/`. */
  constructor(private readonly base: string, private readonly fetchImpl: typeof fetch = (...a) => fetch(...a)) {}

  url(route: string, params: Params = {}): string {
    const q = query(params);
    return new URL(q ? `${route}?${q}` : route, this.base).toString();
  }

  private async get(route: string, params: Params, signal?: AbortSignal): Promise<Response> {
    const res = await this.fetchImpl(this.url(route, params), { signal });
    if (!res.ok) {
      let message = `${res.status} ${res.statusText}`;
      try {
        const body: unknown = await res.json();
        if (body && typeof body === "object" && "error" in body && typeof body.error === "string") message = body.error;
      } catch {
        // Not JSON (e.g. a proxy's HTML error page): the status line is all we can say.
      }
      throw new ApiError(res.status, message, route);
    }
    return res;
  }

  private async json<T>(route: string, params: Params = {}, signal?: AbortSignal): Promise<T> {
    return (await (await this.get(route, params, signal)).json()) as T;
  }

  /** The runs; their answer's generation is what `pollGeneration` compares with next. */
  async runs(signal?: AbortSignal): Promise<RunInfo[]> {
    return this.noteGeneration(await this.json<RunsAnswer>("runs", {}, signal)).runs;
  }

  /** Rescans the logdir now (coalesced with other tabs' rescans); for an explicit refresh only. */
  async reload(signal?: AbortSignal): Promise<RunInfo[]> {
    return this.noteGeneration(await this.json<RunsAnswer>("reload", {}, signal)).runs;
  }

  /** How far the server's indexing got, as of the last `runs` or `reload` answer. */
  progress: IndexProgress | null = null;

  private noteGeneration(answer: RunsAnswer): RunsAnswer {
    this.generation = answer.generation;
    this.progress = answer.progress ?? null;
    return answer;
  }

  /**
   * Whether the server's index changed since the last call: one cheap request, for polling
   * (the server rescans on its own every --reload_interval; polling never asks it to). On a
   * change the cached metadata is dropped, as a step may have been logged again; the caller
   * then fetches `runs` and `tags` and redraws what changed. Compared with the generation of
   * the last `runs` answer, so nothing logged between that and the first poll is missed.
   */
  async pollGeneration(signal?: AbortSignal): Promise<boolean> {
    const { generation } = await this.json<{ generation: number }>("generation", {}, signal);
    const changed = generation !== this.generation;
    this.generation = generation;
    if (changed) {
      this.itemsCache.clear();
      this.contentKeys.clear();
    }
    return changed;
  }

  async tags(run?: string, signal?: AbortSignal): Promise<TagInfo[]> {
    return (await this.json<{ tags: TagInfo[] }>("tags", { run }, signal)).tags;
  }

  /**
   * The runs go in groups of URLs up to MAX_BATCH_URL, asked at once and merged: 10,000 run
   * names in one URL were refused (HTTP 414) and left the tag's card without steps.
   */
  async series(q: SeriesQuery, signal?: AbortSignal): Promise<SeriesResponse> {
    // the tag and the window's parameters take the rest of the URL
    const room = MAX_BATCH_URL - query({ tag: q.tag }).length - 128;
    const groups = urlGroups(q.runs, (run) => query({ run }).length + 1, room);
    if (!groups.length) groups.push([]);
    const answers = await Promise.all(groups.map((runs) => this.json<SeriesResponse>("series", {
      tag: q.tag, run: runs, step_min: q.stepMin, step_max: q.stepMax, max_steps: q.maxSteps,
    }, signal)));
    return { ...answers[0], runs: Object.assign({}, ...answers.map((a) => a.runs)) };
  }

  /** Metadata of the items at exactly (run, tag, step); cached, and a failed fetch is forgotten. */
  items(run: string, tag: string, step: Step): Promise<ItemsResponse> {
    const key = JSON.stringify([run, tag, stepKey(step)]);
    let hit = this.itemsCache.get(key);
    if (!hit) {
      hit = this.enqueue("exact", run, tag, step).then((r) => {
        if (!r) throw new ApiError(404, `tag ${tag} of run ${run} has no step ${step}`, "items_batch");
        return r;
      });
      hit.catch(() => this.itemsCache.delete(key));
      this.itemsCache.set(key, hit);
    }
    return hit;
  }

  /**
   * The items of the latest step at or before `step` (null when the run has none), in the same
   * round trip as the other cells' lookups. Not cached here: a run still training can log a step
   * in between later; the answer seeds the exact-step cache, whose entries never change.
   */
  itemsAtOrBefore(run: string, tag: string, step: Step): Promise<ItemsResponse | null> {
    return this.enqueue("earlier", run, tag, step).then((r) => {
      if (r) {
        const key = JSON.stringify([run, tag, stepKey(r.step)]);
        if (!this.itemsCache.has(key)) this.itemsCache.set(key, Promise.resolve(r));
      }
      return r;
    });
  }

  private enqueue(mode: "exact" | "earlier", run: string, tag: string, step: Step): Promise<ItemsResponse | null> {
    return new Promise((resolve, reject) => {
      this.queued[mode].push({ run, tag, step, resolve, reject });
      if (this.flushScheduled) return;
      this.flushScheduled = true;
      // A macrotask, so every cell's lookup queued from this task's microtasks joins the batch.
      setTimeout(() => this.flush(), 0);
    });
  }

  private flush(): void {
    this.flushScheduled = false;
    for (const mode of ["exact", "earlier"] as const) {
      const all = this.queued[mode];
      this.queued[mode] = [];
      // what an address adds to the URL, percent-encoded (long tags make long URLs)
      const cost = (p: PendingItems) => query({ run: p.run, tag: p.tag, step: stepKey(p.step) }).length + 1;
      for (const batch of urlGroups(all, cost, MAX_BATCH_URL, BATCH)) void this.sendBatch(mode, batch);
    }
  }

  private async sendBatch(mode: "exact" | "earlier", batch: PendingItems[]): Promise<void> {
    try {
      const body = await this.json<{ results: EarlierEntry[] }>("items_batch", {
        run: batch.map((p) => p.run), tag: batch.map((p) => p.tag), step: batch.map((p) => stepKey(p.step)),
        earlier: mode === "earlier" ? 1 : null, inline_max: INLINE_MAX,
      });
      for (const r of body.results) if ("items" in r && r.step !== null) this.keep(r);
      batch.forEach((p, i) => {
        const r = body.results[i];
        if (!r) p.reject(new ApiError(500, "the server answered fewer results than asked", "items_batch"));
        else if ("error" in r) p.reject(new ApiError(404, r.error, "items_batch"));
        else if (r.step === null) p.resolve(null);
        else p.resolve(r);
      });
    } catch (err) {
      for (const p of batch) p.reject(err);
    }
  }

  async item(ref: ItemRef): Promise<ItemMeta | null> {
    const res = await this.items(ref.run, ref.tag, ref.step);
    return res.items.find((it) => it.index === ref.index) ?? null;
  }

  /**
   * Notes each item's content key, and takes the images the server sent inline out of the
   * metadata, as blob URLs for `dataUrl`: only of the checked image types (a Blob of an active
   * type would run in TensorBoard's origin when opened).
   */
  private keep(res: ItemsResponse): void {
    for (const item of res.items as (ItemMeta & { inline?: string })[]) {
      this.contentKeys.set(refKey({ run: res.run, tag: res.tag, step: res.step, index: item.index }), item.key);
      if (item.inline === undefined) continue;
      const inline = item.inline;
      delete item.inline;
      const key = item.key;
      if (this.inlineUrls.has(key) || !INLINE_TYPES.has(item.mime)) continue;
      this.inlineUrls.set(key, URL.createObjectURL(new Blob([fromBase64(inline)], { type: item.mime })));
      if (this.inlineUrls.size > INLINE_KEEP) {
        const [oldKey, oldUrl] = this.inlineUrls.entries().next().value as [string, string];
        this.inlineUrls.delete(oldKey);
        URL.revokeObjectURL(oldUrl); // images already showing it stay; a new one uses `data`
      }
    }
  }

  /** The address of an item in a payload URL, with its content key when known (then immutable). */
  private refParams(ref: ItemRef): Params {
    return { run: ref.run, tag: ref.tag, step: stepKey(ref.step), index: ref.index, key: this.contentKeys.get(refKey(ref)) };
  }

  /** Where an item's bytes load from: the inline copy when the server sent one, else `data`. */
  dataUrl(ref: ItemRef): string {
    const key = this.contentKeys.get(refKey(ref));
    return (key !== undefined ? this.inlineUrls.get(key) : undefined) ?? this.url("data", this.refParams(ref));
  }

  /** Where Download links point: the server sends the bytes as an attachment (never a blob). */
  downloadUrl(ref: ItemRef): string {
    return this.url("data", { ...this.refParams(ref), download: 1 });
  }

  htmlUrl(ref: ItemRef): string {
    return this.url("html", this.refParams(ref));
  }

  async fetchData(ref: ItemRef, signal?: AbortSignal): Promise<ArrayBuffer> {
    return (await this.get("data", this.refParams(ref), signal)).arrayBuffer();
  }

  async fetchMask(ref: ItemRef, layer: string, signal?: AbortSignal): Promise<Uint16Array> {
    const buf = await (await this.get("mask", { ...this.refParams(ref), layer }, signal)).arrayBuffer();
    return new Uint16Array(buf);
  }

  async fetchPoints(ref: ItemRef, array: PointArray, signal?: AbortSignal): Promise<ArrayBuffer> {
    return (await this.get("points", { ...this.refParams(ref), array }, signal)).arrayBuffer();
  }

  async fetchHeatmap(ref: ItemRef, layer: string, signal?: AbortSignal): Promise<ArrayBuffer> {
    return (await this.get("heatmap", { ...this.refParams(ref), layer }, signal)).arrayBuffer();
  }
}

/** Base64 to bytes: natively where the browser can (ten times faster than a loop over atob). */
/** `items` in order, split into groups whose costs add up to at most `room` (and at most `most` items). */
function urlGroups<T>(items: readonly T[], cost: (item: T) => number, room: number, most = Infinity): T[][] {
  const groups: T[][] = [];
  let group: T[] = [];
  let length = 0;
  for (const item of items) {
    const c = cost(item);
    if (group.length && (group.length >= most || length + c > room)) {
      groups.push(group);
      group = [];
      length = 0;
    }
    group.push(item);
    length += c;
  }
  if (group.length) groups.push(group);
  return groups;
}

function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  const native = (Uint8Array as unknown as { fromBase64?: (s: string) => Uint8Array<ArrayBuffer> }).fromBase64;
  if (native) return native.call(Uint8Array, text);
  const bin = atob(text);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

/** The plugin's route prefix, derived from where the bundle was loaded (`…/media_panel/static/index.js`). */
export function pluginBase(moduleUrl: string): string {
  return new URL("../", moduleUrl).toString();
}
