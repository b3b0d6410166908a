import { describe, expect, it } from "vitest";
import {
  boxesAbove, classRGB, defaultPointSize, effectiveColorBy, heightRGB, labelArray, MIN_MOVING_POINTS, movingPointBudget, MOVING_FRAME_MS, ramp,
  sampleIndex, visibleIndex,
} from "../src/viewers/pointcloud-data";
import { Box3, BufferAttribute, BufferGeometry, Mesh, PerspectiveCamera, Points, Vector3, type Object3D } from "three";
import { embeddedGltfToGlb, isGlb } from "../src/viewers/gltf-embedded";
import { dropBlankColors, parseObject, singlePrecision } from "../src/viewers/object3d";
import { fitPose, overlayColors } from "../src/viewers/three-shared";
import { classColorMap, defaultClassColor, hexToRgb } from "../src/viewers/segmentation/colors";
import type { Box3DMeta, PointCloudMeta } from "../src/api-types";

const meta = (o: Partial<PointCloudMeta>): PointCloudMeta => ({
  num_points: 0, label_bytes: 0, has_colors: false, class_labels: [], boxes: [], vectors: [], ...o,
});

describe("point-cloud colours", () => {
  it("colour by class uses the mask palette, so a class looks the same in 2D and 3D", () => {
    const rgb = classRGB(new Uint16Array([2, 0]));
    expect(Array.from(rgb.slice(0, 3))).toEqual(hexToRgb(defaultClassColor(2)));
    expect(Array.from(rgb.slice(3, 6))).toEqual(hexToRgb(defaultClassColor(0)));
  });

  it("colour by height runs the ramp from the lowest to the highest point on the up axis", () => {
    const pos = new Float32Array([0, 0, -5, 9, 9, 5, 0, 0, 0]);
    const rgb = heightRGB(pos, 2);
    expect(Array.from(rgb.slice(0, 3))).toEqual(ramp(0));
    expect(Array.from(rgb.slice(3, 6))).toEqual(ramp(1));
    expect(Array.from(rgb.slice(6, 9))).toEqual(ramp(128 / 255));
  });

  it("falls back to a mode the cloud has data for", () => {
    expect(effectiveColorBy("rgb", meta({ label_bytes: 1 }))).toBe("class");
    expect(effectiveColorBy("class", meta({ has_colors: true }))).toBe("rgb");
    expect(effectiveColorBy(undefined, meta({}))).toBe("height");
    expect(effectiveColorBy("height", meta({ has_colors: true }))).toBe("height");
  });

  it("starts by class when the points are labelled, else by rgb, else by height: never one flat colour", () => {
    expect(effectiveColorBy(undefined, meta({ label_bytes: 1, has_colors: true }))).toBe("class");
    expect(effectiveColorBy(undefined, meta({ label_bytes: 2 }))).toBe("class");
    expect(effectiveColorBy(undefined, meta({ has_colors: true }))).toBe("rgb");
    expect(effectiveColorBy(undefined, meta({}))).toBe("height");
    // The user's pick still wins when the cloud has its data.
    expect(effectiveColorBy("rgb", meta({ label_bytes: 1, has_colors: true }))).toBe("rgb");
  });

  it("hiding classes draws exactly the other points; showing all needs no index", () => {
    const labels = new Uint8Array([0, 1, 2, 1, 0]);
    expect(visibleIndex(labels, new Set())).toBeNull();
    expect(Array.from(visibleIndex(labels, new Set([1]))!)).toEqual([0, 2, 4]);
  });

  it("reads labels at their logged width", () => {
    const buf = new Uint16Array([7, 65535]).buffer;
    expect(Array.from(labelArray(buf, 2))).toEqual([7, 65535]);
    expect(labelArray(new ArrayBuffer(8), 4).length).toBe(2);
  });

  it("the score filter keeps unscored boxes", () => {
    const b = (score: number | null): Box3DMeta => ({ center: [0, 0, 0], size: [1, 1, 1], rotation: [1, 0, 0, 0], label: "", score, color: null });
    expect(boxesAbove([b(0.2), b(0.8), b(null)], 0.5).map((x) => x.score)).toEqual([0.8, null]);
  });
});

describe("overlay colours", () => {
  it("prediction blue, truth red, others distinct", () => {
    const c = overlayColors(["structure/pred", "structure/true", "other", "more"]);
    expect(c[0]).toBe("#1e63d6");
    expect(c[1]).toBe("#d62728");
    expect(new Set(c).size).toBe(4);
  });

  it("two prediction-like tags still get different colours", () => {
    const c = overlayColors(["a/pred", "b/pred"]);
    expect(c[0]).not.toBe(c[1]);
  });
});

describe("embedded glTF to GLB", () => {
  it("moves data: buffers into one BIN chunk and re-points buffer views", () => {
    const b64 = (bytes: number[]) => "data:application/octet-stream;base64," + btoa(String.fromCharCode(...bytes));
    const gltf = {
      asset: { version: "2.0" },
      buffers: [{ uri: b64([1, 2, 3]), byteLength: 3 }, { uri: b64([9, 8, 7, 6]), byteLength: 4 }],
      bufferViews: [{ buffer: 0, byteLength: 3 }, { buffer: 1, byteOffset: 1, byteLength: 3 }],
    };
    const glb = embeddedGltfToGlb(new TextEncoder().encode(JSON.stringify(gltf)).buffer);
    expect(isGlb(glb)).toBe(true);
    const dv = new DataView(glb);
    expect(dv.getUint32(8, true)).toBe(glb.byteLength);
    const jsonLen = dv.getUint32(12, true);
    const json = JSON.parse(new TextDecoder().decode(new Uint8Array(glb, 20, jsonLen)));
    expect(json.buffers).toEqual([{ byteLength: 8 }]);
    expect(json.bufferViews[1]).toEqual({ buffer: 0, byteOffset: 5, byteLength: 3 });
    const bin = new Uint8Array(glb, 20 + jsonLen + 8);
    expect(Array.from(bin.slice(5, 8))).toEqual([8, 7, 6]);
  });

  it("says what is wrong with a glTF that points at external files", () => {
    const gltf = { asset: { version: "2.0" }, buffers: [{ uri: "duck.bin", byteLength: 3 }] };
    expect(() => embeddedGltfToGlb(new TextEncoder().encode(JSON.stringify(gltf)).buffer)).toThrow(/external file "duck.bin"/);
  });
});

describe("point clouds while the camera moves", () => {
  it("draws an evenly spread subset of the shown points, or all of them when they fit", () => {
    expect(sampleIndex(10, null, 10)).toBeNull();
    expect(Array.from(sampleIndex(10, null, 4) ?? [])).toEqual([0, 2, 5, 7]);
    const shown = new Uint32Array([1, 3, 5, 7, 9, 11]);
    expect(Array.from(sampleIndex(12, shown, 3) ?? [])).toEqual([1, 5, 9]);
    // Never an index outside the cloud, never a repeated point.
    const big = sampleIndex(1_000_000, null, 98_304) ?? new Uint32Array();
    expect(big.length).toBe(98_304);
    expect(big[big.length - 1]).toBeLessThan(1_000_000);
    expect(new Set(big).size).toBe(big.length);
  });

  it("sizes the subset by what the last full frame cost", () => {
    // Nothing measured yet, or a fast renderer: everything.
    expect(movingPointBudget({ ms: 0, points: 0 }, 1_000_000)).toBe(1_000_000);
    expect(movingPointBudget({ ms: 8, points: 1_000_000 }, 1_000_000)).toBe(1_000_000);
    // Software WebGL at about 0.4 us a point: what fits the moving-frame budget, in quarter-octave steps.
    const n = movingPointBudget({ ms: 400, points: 1_000_000 }, 1_000_000);
    expect(n).toBeLessThanOrEqual((MOVING_FRAME_MS / 400) * 1_000_000);
    expect(n).toBe(98_304);
    expect(movingPointBudget({ ms: 401, points: 1_000_000 }, 1_000_000)).toBe(n);
    // Very slow: still enough points for the shape to read.
    expect(movingPointBudget({ ms: 60_000, points: 1_000_000 }, 1_000_000)).toBe(MIN_MOVING_POINTS);
  });

  it("defaults to small points for dense clouds and bigger ones for sparse clouds", () => {
    expect(defaultPointSize(1_000_000)).toBe(1);
    expect(defaultPointSize(20_000)).toBe(2);
  });
});

describe("point-cloud class colours", () => {
  it("use the colour logged with the class label", () => {
    const rgb = classRGB(new Uint8Array([1, 2]), classColorMap([{ id: 1, name: "car", color: "#ff8800" }], {}));
    expect(Array.from(rgb)).toEqual([255, 136, 0, ...hexToRgb(defaultClassColor(2))]);
  });
});

describe("mesh colours", () => {
  const geometry = (rgb: number[]) => {
    const g = new BufferGeometry();
    g.setAttribute("color", new BufferAttribute(new Float32Array(rgb), 3));
    return g;
  };

  it("drops one grey written for every vertex (an exporter's default), so the mesh gets the default colour", () => {
    const grey = geometry([0.75, 0.75, 0.75, 0.75, 0.75, 0.75]);
    dropBlankColors(grey);
    expect(grey.getAttribute("color")).toBeUndefined();
  });

  it("keeps real vertex colours and a uniform hue", () => {
    const varied = geometry([1, 1, 1, 0.2, 0.2, 0.2]);
    dropBlankColors(varied);
    expect(varied.getAttribute("color")).toBeDefined();
    const red = geometry([1, 0, 0, 1, 0, 0]);
    dropBlankColors(red);
    expect(red.getAttribute("color")).toBeDefined();
  });
});

describe("double-precision files", () => {
  /** A binary PLY as Open3D writes it: `property double` coordinates, one triangle or none. */
  function doublePly(withFace: boolean): ArrayBuffer {
    const header = [
      "ply", "format binary_little_endian 1.0", "comment Created by Open3D", "element vertex 3",
      "property double x", "property double y", "property double z",
      ...(withFace ? ["element face 1", "property list uchar uint vertex_indices"] : []),
      "end_header", "",
    ].join("\n");
    const head = new TextEncoder().encode(header);
    const body = new DataView(new ArrayBuffer(3 * 3 * 8 + (withFace ? 1 + 3 * 4 : 0)));
    [0, 0, 0, 1, 0, 0, 0, 1, 0].forEach((v, i) => body.setFloat64(i * 8, v, true));
    if (withFace) {
      body.setUint8(72, 3);
      [0, 1, 2].forEach((v, i) => body.setUint32(73 + i * 4, v, true));
    }
    const out = new Uint8Array(head.length + body.byteLength);
    out.set(head);
    out.set(new Uint8Array(body.buffer), head.length);
    return out.buffer;
  }

  const float64Attributes = (o: Object3D): string[] => {
    const found: string[] = [];
    o.traverse((x) => {
      if (x instanceof Mesh || x instanceof Points) {
        for (const [name, a] of Object.entries(x.geometry.attributes)) if ((a as BufferAttribute).array instanceof Float64Array) found.push(name);
      }
    });
    return found;
  };

  it("a PLY mesh or scan with double coordinates gets Float32 attributes WebGL can draw", async () => {
    for (const withFace of [true, false]) {
      const obj = await parseObject(doublePly(withFace), "ply");
      expect(float64Attributes(obj)).toEqual([]);
      const pos = ((obj as Mesh | Points).geometry as BufferGeometry).getAttribute("position");
      expect(pos.array).toBeInstanceOf(Float32Array);
      expect(Array.from(pos.array)).toEqual([0, 0, 0, 1, 0, 0, 0, 1, 0]);
    }
  });

  it("narrows every Float64 attribute, morph targets included, and leaves others alone", () => {
    const g = new BufferGeometry();
    g.setAttribute("position", new BufferAttribute(new Float64Array([0.5, 1, 2]), 3));
    g.setAttribute("color", new BufferAttribute(new Uint8Array([1, 2, 3]), 3, true));
    g.morphAttributes.position = [new BufferAttribute(new Float64Array([1, 1, 1]), 3)];
    singlePrecision(g);
    expect(g.getAttribute("position").array).toBeInstanceOf(Float32Array);
    expect(Array.from(g.getAttribute("position").array)).toEqual([0.5, 1, 2]);
    expect(g.getAttribute("color").array).toBeInstanceOf(Uint8Array);
    expect(g.getAttribute("color").normalized).toBe(true);
    expect(g.morphAttributes.position[0].array).toBeInstanceOf(Float32Array);
  });
});

describe("camera fit", () => {
  /** Each corner of `box` in normalised device coordinates, seen from the pose fitPose picks. */
  function cornersOnScreen(box: Box3, up: Vector3, aspect: number): [number, number][] {
    const pose = fitPose(box, up, 45, aspect);
    const camera = new PerspectiveCamera(45, aspect, pose.distance / 1000, pose.distance * 100);
    camera.up.copy(up);
    camera.position.copy(pose.position);
    camera.lookAt(pose.target);
    camera.updateMatrixWorld();
    const out: [number, number][] = [];
    for (const x of [box.min.x, box.max.x]) for (const y of [box.min.y, box.max.y]) for (const z of [box.min.z, box.max.z]) {
      const p = new Vector3(x, y, z).project(camera);
      out.push([p.x, p.y]);
    }
    return out;
  }
  const extent = (pts: [number, number][]) => ({
    w: Math.max(...pts.map((p) => p[0])) - Math.min(...pts.map((p) => p[0])),
    h: Math.max(...pts.map((p) => p[1])) - Math.min(...pts.map((p) => p[1])),
  });

  it("a flat scan (z up) fills the cell, all of it in view and centred", () => {
    const scan = new Box3(new Vector3(-9, -9, -0.1), new Vector3(9, 9, 4));
    for (const aspect of [1, 0.6, 1.8]) {
      const pts = cornersOnScreen(scan, new Vector3(0, 0, 1), aspect);
      for (const [x, y] of pts) {
        expect(Math.abs(x)).toBeLessThanOrEqual(1);
        expect(Math.abs(y)).toBeLessThanOrEqual(1);
      }
      const { w, h } = extent(pts);
      // One side spans (nearly) the whole view; the bounding sphere left it at about half.
      expect(Math.max(w, h)).toBeGreaterThan(1.75);
      const mx = (Math.max(...pts.map((p) => p[0])) + Math.min(...pts.map((p) => p[0]))) / 2;
      const my = (Math.max(...pts.map((p) => p[1])) + Math.min(...pts.map((p) => p[1]))) / 2;
      expect(Math.abs(mx)).toBeLessThan(0.08);
      expect(Math.abs(my)).toBeLessThan(0.08);
    }
  });

  it("a mesh (y up) stays wholly in view and is fitted no looser than by its sphere", () => {
    const cube = new Box3(new Vector3(-1, -2, -1), new Vector3(1, 2, 1));
    const pts = cornersOnScreen(cube, new Vector3(0, 1, 0), 1);
    for (const [x, y] of pts) {
      expect(Math.abs(x)).toBeLessThanOrEqual(1);
      expect(Math.abs(y)).toBeLessThanOrEqual(1);
    }
    const { w, h } = extent(pts);
    expect(Math.max(w, h)).toBeGreaterThan(1.5);
  });

  it("an empty box still gives a usable camera", () => {
    const pose = fitPose(new Box3(), new Vector3(0, 0, 1), 45, 1);
    expect(Number.isFinite(pose.distance) && pose.distance > 0).toBe(true);
  });
});
