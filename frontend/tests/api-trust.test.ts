// The API client carries what the server checked (issue 13 items 2, 12, 16): inline images only
// of checked image types, Download links at the server, steps exactly, content keys in URLs,
// and polling by a cheap generation number instead of rescans.
import { afterEach, describe, expect, it, vi } from "vitest";
import { MediaApi, compareSteps, stepKey, toStep } from "../src/api";

const MAX = "9223372036854775807";
const MIN = "-9223372036854775808";

interface FakeItem { index: number; mime: string; key: string; inline?: string }

/** A server answering items_batch from `items` (per run) and generation from `generation.n`. */
function fakeServer(items: (run: string, step: string) => FakeItem[]) {
  const urls: URL[] = [];
  const generation = { n: 1 };
  const fetchImpl = (async (input: RequestInfo | URL) => {
    const url = new URL(String(input));
    urls.push(url);
    if (url.pathname.endsWith("/generation")) return Response.json({ generation: generation.n });
    if (url.pathname.endsWith("/runs")) return Response.json({ generation: generation.n, runs: [], progress: {}, warnings: [] });
    const runs = url.searchParams.getAll("run");
    const tags = url.searchParams.getAll("tag");
    const steps = url.searchParams.getAll("step");
    const results = runs.map((run, i) => ({
      run, tag: tags[i], step: steps[i].length > 15 ? steps[i] : Number(steps[i]), wall_time: 1,
      items: items(run, steps[i]).map((it) => ({ ...it })),
    }));
    return Response.json({ results });
  }) as typeof fetch;
  return { api: new MediaApi("http://tb/data/plugin/media_panel/", fetchImpl), urls, generation };
}

const b64 = (text: string) => btoa(text);

afterEach(() => vi.restoreAllMocks());

describe("steps travel exactly", () => {
  it("orders and spells int64 steps without rounding", () => {
    expect(compareSteps(MAX, "9223372036854775806")).toBeGreaterThan(0);
    expect(compareSteps(MIN, -5)).toBeLessThan(0);
    expect(compareSteps(7, "7")).toBe(0);
    expect(stepKey("0009007199254740993")).toBe("9007199254740993");
    expect(toStep(2n ** 53n + 1n)).toBe("9007199254740993");
    expect(toStep(-5n)).toBe(-5);
  });

  it("asks for the exact step and caches 7 and \"7\" as one", async () => {
    const { api, urls } = fakeServer(() => [{ index: 0, mime: "image/png", key: "k" }]);
    const [big, small] = await Promise.all([api.items("r", "t", MAX), api.items("r", "t", 7)]);
    expect(urls[0].searchParams.getAll("step")).toEqual([MAX, "7"]);
    expect(big.step).toBe(MAX);
    expect(small.step).toBe(7);
    await api.items("r", "t", "7");
    expect(urls).toHaveLength(1);
    expect(new URL(api.dataUrl({ run: "r", tag: "t", step: MAX, index: 0 })).searchParams.get("step")).toBe(MAX);
  });

  it("keeps URLs of a batch short when tags are long", async () => {
    const { api, urls } = fakeServer(() => []);
    const tag = "t".repeat(5000);
    await Promise.all(Array.from({ length: 20 }, (_, i) => api.items(`r${i}`, tag, 1)));
    expect(urls.length).toBeGreaterThan(1);
    for (const url of urls) expect(url.toString().length).toBeLessThan(40 * 1024);
    expect(urls.flatMap((u) => u.searchParams.getAll("run"))).toHaveLength(20);
  });
});

describe("inline images and Download links", () => {
  it("makes blobs only of checked image types, keyed by content", async () => {
    const created: Blob[] = [];
    vi.spyOn(URL, "createObjectURL").mockImplementation((blob) => {
      created.push(blob as Blob);
      return `blob:http://tb/${created.length}`;
    });
    const { api } = fakeServer((run) => [
      { index: 0, mime: run === "evil" ? "text/html" : "image/gif", key: `${run}-key`, inline: b64("GIF89a<script>") },
    ]);
    await Promise.all([api.items("ok", "t", 1), api.items("evil", "t", 1)]);
    expect(created.map((b) => b.type)).toEqual(["image/gif"]);
    expect(api.dataUrl({ run: "ok", tag: "t", step: 1, index: 0 })).toBe("blob:http://tb/1");
    const evil = new URL(api.dataUrl({ run: "evil", tag: "t", step: 1, index: 0 }));
    expect(evil.pathname).toBe("/data/plugin/media_panel/data");
    expect(evil.searchParams.get("key")).toBe("evil-key");
  });

  it("points Download links at the server, with the content key, as an attachment", async () => {
    vi.spyOn(URL, "createObjectURL").mockReturnValue("blob:http://tb/1");
    const { api } = fakeServer(() => [{ index: 0, mime: "image/png", key: "abc", inline: b64("x") }]);
    await api.items("r", "t", 3);
    const url = new URL(api.downloadUrl({ run: "r", tag: "t", step: 3, index: 0 }));
    expect(url.protocol).toBe("http:");
    expect(url.pathname).toBe("/data/plugin/media_panel/data");
    expect(url.searchParams.get("download")).toBe("1");
    expect(url.searchParams.get("key")).toBe("abc");
  });
});

describe("polling", () => {
  it("asks for the generation only, and forgets metadata when it changes", async () => {
    let key = "first";
    const { api, urls, generation } = fakeServer(() => [{ index: 0, mime: "image/png", key }]);
    await api.runs();
    expect(await api.pollGeneration()).toBe(false);
    await api.items("r", "t", 5);
    expect(await api.pollGeneration()).toBe(false);
    await api.items("r", "t", 5);
    expect(urls.filter((u) => u.pathname.endsWith("items_batch"))).toHaveLength(1);
    generation.n = 2; // the step was logged again
    key = "second";
    expect(await api.pollGeneration()).toBe(true);
    expect((await api.items("r", "t", 5)).items[0].key).toBe("second");
    expect(new URL(api.dataUrl({ run: "r", tag: "t", step: 5, index: 0 })).searchParams.get("key")).toBe("second");
    expect(urls.some((u) => u.pathname.endsWith("/reload"))).toBe(false);
  });

  it("notices what was logged between the first load and the first poll", async () => {
    const { api, generation } = fakeServer(() => []);
    await api.runs();
    generation.n = 7;
    expect(await api.pollGeneration()).toBe(true);
    expect(await api.pollGeneration()).toBe(false);
  });
});
