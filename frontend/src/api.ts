// Typed client of the plugin's HTTP API (docs/http-api.md): the only module that knows URLs.
import type {
  ItemMeta, ItemRef, ItemsResponse, PointArray, RunInfo, SeriesResponse, TagInfo,
} from "./api-types";
import type { ItemSource } from "./viewers/types";

/** A route answered with an error status; `message` is the server's `{"error": ...}` text. */
export class ApiError extends Error {
  constructor(readonly status: number, message: string, readonly route: string) {
    super(message);
    this.name = "ApiError";
  }
}

/** One address of an `items_batch` answer: its items, or why it has none. */
type BatchEntry = ItemsResponse | { run: string; tag: string; step: number; error: string };
/** With `earlier=1`, a series with nothing at or before the step answers step null. */
type EarlierEntry = BatchEntry | { run: string; tag: string; step: null; wall_time: null; items: [] };

interface PendingItems {
  run: string;
  tag: string;
  step: number;
  resolve(r: ItemsResponse | null): void;
  reject(e: unknown): void;
}

/** Addresses per `items_batch` request (the route takes 256; this keeps URLs a few kB). */
const BATCH = 96;
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
  stepMin?: number | null;
  stepMax?: number | null;
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

function refParams(ref: ItemRef): Params {
  return { run: ref.run, tag: ref.tag, step: ref.step, index: ref.index };
}

export class MediaApi implements ItemSource {
  /** Items of a step never change once logged, so their metadata is cached for the page's life. */
  private readonly itemsCache = new Map<string, Promise<ItemsResponse>>();
  /**
   * Item lookups made in the same task (every cell of a grid asks at once) are sent as one
   * `items_batch` request per mode: one round trip for a screenful instead of one per cell.
   */
  private readonly queued: Record<"exact" | "earlier", PendingItems[]> = { exact: [], earlier: [] };
  private flushScheduled = false;
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

  async runs(signal?: AbortSignal): Promise<RunInfo[]> {
    return (await this.json<{ runs: RunInfo[] }>("runs", {}, signal)).runs;
  }

  /** Rescans the logdir now, so polling sees new records without waiting for TensorBoard's reload. */
  async reload(signal?: AbortSignal): Promise<RunInfo[]> {
    return (await this.json<{ runs: RunInfo[] }>("reload", {}, signal)).runs;
  }

  async tags(run?: string, signal?: AbortSignal): Promise<TagInfo[]> {
    return (await this.json<{ tags: TagInfo[] }>("tags", { run }, signal)).tags;
  }

  series(q: SeriesQuery, signal?: AbortSignal): Promise<SeriesResponse> {
    return this.json<SeriesResponse>("series", {
      tag: q.tag, run: q.runs, step_min: q.stepMin, step_max: q.stepMax, max_steps: q.maxSteps,
    }, signal);
  }

  /** Metadata of the items at exactly (run, tag, step); cached, and a failed fetch is forgotten. */
  items(run: string, tag: string, step: number): Promise<ItemsResponse> {
    const key = JSON.stringify([run, tag, step]);
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
  itemsAtOrBefore(run: string, tag: string, step: number): Promise<ItemsResponse | null> {
    return this.enqueue("earlier", run, tag, step).then((r) => {
      if (r) {
        const key = JSON.stringify([run, tag, r.step]);
        if (!this.itemsCache.has(key)) this.itemsCache.set(key, Promise.resolve(r));
      }
      return r;
    });
  }

  private enqueue(mode: "exact" | "earlier", run: string, tag: string, step: number): Promise<ItemsResponse | null> {
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
      for (let i = 0; i < all.length; i += BATCH) void this.sendBatch(mode, all.slice(i, i + BATCH));
    }
  }

  private async sendBatch(mode: "exact" | "earlier", batch: PendingItems[]): Promise<void> {
    try {
      const body = await this.json<{ results: EarlierEntry[] }>("items_batch", {
        run: batch.map((p) => p.run), tag: batch.map((p) => p.tag), step: batch.map((p) => String(p.step)),
        earlier: mode === "earlier" ? 1 : null, inline_max: INLINE_MAX,
      });
      for (const r of body.results) if ("items" in r && r.step !== null) this.keepInline(r);
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

  /** Takes the images the server sent inline out of the metadata, as blob URLs for `dataUrl`. */
  private keepInline(res: ItemsResponse): void {
    for (const item of res.items as (ItemMeta & { inline?: string })[]) {
      if (item.inline === undefined) continue;
      const bytes = fromBase64(item.inline);
      delete item.inline;
      const key = JSON.stringify([res.run, res.tag, res.step, item.index]);
      if (this.inlineUrls.has(key)) continue;
      this.inlineUrls.set(key, URL.createObjectURL(new Blob([bytes], { type: item.mime })));
      if (this.inlineUrls.size > INLINE_KEEP) {
        const [oldKey, oldUrl] = this.inlineUrls.entries().next().value as [string, string];
        this.inlineUrls.delete(oldKey);
        URL.revokeObjectURL(oldUrl); // images already showing it stay; a new one uses `data`
      }
    }
  }

  /** Where an item's bytes load from: the inline copy when the server sent one, else `data`. */
  dataUrl(ref: ItemRef): string {
    return this.inlineUrls.get(JSON.stringify([ref.run, ref.tag, ref.step, ref.index])) ?? this.url("data", refParams(ref));
  }

  htmlUrl(ref: ItemRef): string {
    return this.url("html", refParams(ref));
  }

  async fetchData(ref: ItemRef, signal?: AbortSignal): Promise<ArrayBuffer> {
    return (await this.get("data", refParams(ref), signal)).arrayBuffer();
  }

  async fetchMask(ref: ItemRef, layer: string, signal?: AbortSignal): Promise<Uint16Array> {
    const buf = await (await this.get("mask", { ...refParams(ref), layer }, signal)).arrayBuffer();
    return new Uint16Array(buf);
  }

  async fetchPoints(ref: ItemRef, array: PointArray, signal?: AbortSignal): Promise<ArrayBuffer> {
    return (await this.get("points", { ...refParams(ref), array }, signal)).arrayBuffer();
  }
}

/** Base64 to bytes: natively where the browser can (ten times faster than a loop over atob). */
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
