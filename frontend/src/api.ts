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
      hit = this.json<ItemsResponse>("items", { run, tag, step });
      hit.catch(() => this.itemsCache.delete(key));
      this.itemsCache.set(key, hit);
    }
    return hit;
  }

  async item(ref: ItemRef): Promise<ItemMeta | null> {
    const res = await this.items(ref.run, ref.tag, ref.step);
    return res.items.find((it) => it.index === ref.index) ?? null;
  }

  dataUrl(ref: ItemRef): string {
    return this.url("data", refParams(ref));
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

/** The plugin's route prefix, derived from where the bundle was loaded (`…/media_panel/static/index.js`). */
export function pluginBase(moduleUrl: string): string {
  return new URL("../", moduleUrl).toString();
}
