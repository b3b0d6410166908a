import { describe, expect, it } from "vitest";
import { ApiError, MediaApi } from "../src/api";

/** A fake server for items_batch that records every URL asked. */
function fakeServer(): { api: MediaApi; urls: URL[] } {
  const urls: URL[] = [];
  const fetchImpl = (async (input: RequestInfo | URL) => {
    const url = new URL(String(input));
    urls.push(url);
    const runs = url.searchParams.getAll("run");
    const tags = url.searchParams.getAll("tag");
    const steps = url.searchParams.getAll("step").map(Number);
    const earlier = url.searchParams.get("earlier") === "1";
    const results = runs.map((run, i) => {
      const logged = [0, 10, 20];
      const step = earlier ? [...logged].reverse().find((s) => s <= steps[i]) ?? null : steps[i];
      if (run === "gone") return { run, tag: tags[i], step: steps[i], error: "unknown run 'gone'" };
      if (step === null) return { run, tag: tags[i], step: null, wall_time: null, items: [] };
      return { run, tag: tags[i], step, wall_time: 1, items: [{ index: 0, caption: `${run}@${step}` }] };
    });
    return new Response(JSON.stringify({ results }), { status: 200, headers: { "Content-Type": "application/json" } });
  }) as typeof fetch;
  return { api: new MediaApi("http://tb/data/plugin/media_panel/", fetchImpl), urls };
}

describe("item metadata in batches", () => {
  it("asks once for every cell that looks up items in the same task", async () => {
    const { api, urls } = fakeServer();
    const answers = await Promise.all(["a", "b", "c"].map((run) => api.items(run, "samples", 10)));
    expect(answers.map((r) => r.items[0].caption)).toEqual(["a@10", "b@10", "c@10"]);
    expect(urls).toHaveLength(1);
    expect(urls[0].pathname).toBe("/data/plugin/media_panel/items_batch");
    expect(urls[0].searchParams.getAll("run")).toEqual(["a", "b", "c"]);
    await api.items("b", "samples", 10);
    expect(urls).toHaveLength(1); // cached
  });
  it("fails only the address the server did not know", async () => {
    const { api } = fakeServer();
    const [ok, gone] = await Promise.allSettled([api.items("a", "t", 0), api.items("gone", "t", 0)]);
    expect(ok.status).toBe("fulfilled");
    expect(gone.status === "rejected" && gone.reason instanceof ApiError && gone.reason.status).toBe(404);
  });
  it("answers the latest step at or before, and seeds the exact cache with it", async () => {
    const { api, urls } = fakeServer();
    const [mid, none] = await Promise.all([api.itemsAtOrBefore("a", "t", 15), api.itemsAtOrBefore("a", "t", -5)]);
    expect(mid?.step).toBe(10);
    expect(none).toBeNull();
    expect(urls[0].searchParams.get("earlier")).toBe("1");
    await api.items("a", "t", 10);
    expect(urls).toHaveLength(1);
  });
});
