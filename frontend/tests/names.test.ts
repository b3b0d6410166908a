import { describe, expect, it } from "vitest";
import { nameEl, sharedPrefix } from "../src/panel/dom";

/** The two parts drawn (head, tail); the element's text is the whole name. */
const parts = (el: HTMLElement) => [...el.querySelectorAll<HTMLElement>(".mp-name-head, .mp-name-tail")].map((c) => c.dataset.part);

describe("long names cut in the middle", () => {
  it("keep a tail that tells sweeps apart, and the whole name as the title", () => {
    const a = nameEl("resnet50_imagenet_exp_lr3e-4_bs256_seed1");
    const b = nameEl("resnet50_imagenet_exp_lr3e-4_bs256_seed2");
    expect(parts(a).join("")).toBe("resnet50_imagenet_exp_lr3e-4_bs256_seed1");
    expect(parts(a)[1]).toBe("_bs256_seed1");
    expect(parts(a)[1]).not.toBe(parts(b)[1]);
    expect(a.title).toBe("resnet50_imagenet_exp_lr3e-4_bs256_seed1");
    expect(a.textContent).toBe("resnet50_imagenet_exp_lr3e-4_bs256_seed1");
  });

  it("cut first what every name shares", () => {
    const names = ["resnet50_imagenet_exp_lr3e-4_bs256_seed1", "resnet50_imagenet_exp_lr1e-3_bs256_seed1"];
    const shared = sharedPrefix(names);
    expect(shared).toBe("resnet50_imagenet_exp_".length);
    expect(parts(nameEl(names[1], "", shared))).toEqual(["resnet50_imagenet_exp_", "lr1e-3_bs256_seed1"]);
    expect(sharedPrefix(["only_one"])).toBe(0);
    expect(sharedPrefix(["abc", "xyz"])).toBe(0);
  });

  it("short names stay whole; code points are never split", () => {
    expect(parts(nameEl("baseline"))).toEqual(["baseline", ""]);
    const emoji = nameEl("🙂".repeat(30));
    expect(parts(emoji).join("")).toBe("🙂".repeat(30));
    expect(Array.from(parts(emoji)[1] ?? "").every((c) => c === "🙂")).toBe(true);
  });
});
