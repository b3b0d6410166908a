// 3D objects (OBJ, glTF/GLB, STL, PLY) drawn by the shared renderer, with overlays of other tags.
import {
  BufferAttribute, BufferGeometry, Color, type InterleavedBufferAttribute, Group, Mesh, MeshStandardMaterial, Points, PointsMaterial,
  TextureLoader, type Material, type Object3D,
} from "three";
import { GLTFLoader } from "three/examples/jsm/loaders/GLTFLoader.js";
import { OBJLoader } from "three/examples/jsm/loaders/OBJLoader.js";
import { PLYLoader } from "three/examples/jsm/loaders/PLYLoader.js";
import { STLLoader } from "three/examples/jsm/loaders/STLLoader.js";
import type { ItemMeta, ItemRef } from "../api-types";
import { embeddedGltfToGlb, isGlb } from "./gltf-embedded";
import { boundsOf, overlayColors, readSync, View3D } from "./three-shared";
import { overlayShown } from "./overlay-pairs";
import { message, OVERLAY_SHOWN_KEY, overlayControls, readFlags, root3d, syncSelect } from "./three-ui";
import type { Viewer, ViewerContext, ViewerInstance, ViewerSettings } from "./types";
import { CellMenu, heading, line } from "./viewer-chrome";
import { checkbox } from "./viewer-dom";

export const WIREFRAME_KEY = "3d.wireframe";

/**
 * The colour of a mesh that brings none: a mid blue-grey, dark enough that lit and shaded sides
 * stand apart from each other and from the light background (white read as washed out).
 */
export const MESH_COLOR = "#6f8fb8";

/** Parse one logged 3D file into a three.js object, by its format, with attributes WebGL can draw. */
export async function parseObject(data: ArrayBuffer, format: string): Promise<Object3D> {
  const object = await parseByFormat(data, format);
  object.traverse((o) => {
    if (o instanceof Mesh || o instanceof Points) singlePrecision(o.geometry);
  });
  return object;
}

/**
 * WebGL has no 64-bit float vertex attributes: three.js throws "Unsupported buffer data format"
 * and the cell stays blank. Open3D (and other exporters) write PLY with `property double x`,
 * which PLYLoader keeps as Float64Array; such attributes are narrowed to Float32Array in place.
 */
export function singlePrecision(geometry: BufferGeometry): void {
  const narrow = (a: BufferAttribute | InterleavedBufferAttribute): BufferAttribute | null =>
    a instanceof BufferAttribute && a.array instanceof Float64Array ? new BufferAttribute(new Float32Array(a.array), a.itemSize, a.normalized) : null;
  for (const [name, attr] of Object.entries(geometry.attributes)) {
    const f32 = narrow(attr);
    if (f32) geometry.setAttribute(name, f32);
  }
  for (const list of Object.values(geometry.morphAttributes)) {
    for (const [i, attr] of list.entries()) list[i] = narrow(attr) ?? attr;
  }
}

async function parseByFormat(data: ArrayBuffer, format: string): Promise<Object3D> {
  const f = format.toLowerCase();
  if (f === "gltf" || f === "glb") {
    const loader = new GLTFLoader();
    // Textures through <img> (img-src allows data: and blob:), not fetch() which the CSP blocks.
    loader.register((parser) => {
      parser.textureLoader = new TextureLoader(parser.options.manager);
      return { name: "tbmp_texture_loader" };
    });
    const glb = isGlb(data) ? data : embeddedGltfToGlb(data);
    const gltf = await loader.parseAsync(glb, "");
    return gltf.scene;
  }
  if (f === "obj") {
    const group = new OBJLoader().parse(new TextDecoder().decode(data));
    group.traverse((o) => {
      // OBJ without a material library comes out flat-shaded grey; give it a lit surface.
      if (o instanceof Mesh) {
        if (!o.geometry.getAttribute("normal")) o.geometry.computeVertexNormals();
        o.material = plainMaterial(false);
      }
    });
    return group;
  }
  if (f === "stl") return surface(new STLLoader().parse(data));
  if (f === "ply") {
    const geometry = new PLYLoader().parse(data);
    dropBlankColors(geometry);
    // A PLY without faces is a scan: show its vertices as points.
    if (!geometry.index) {
      const material = new PointsMaterial({ size: 2, sizeAttenuation: false, vertexColors: !!geometry.getAttribute("color"), color: geometry.getAttribute("color") ? "#ffffff" : MESH_COLOR });
      return new Points(geometry, material);
    }
    return surface(geometry);
  }
  throw new Error(`no 3D loader for format "${format}" (expected obj, gltf, glb, stl or ply)`);
}

function plainMaterial(vertexColors: boolean): MeshStandardMaterial {
  return new MeshStandardMaterial({ color: vertexColors ? "#ffffff" : MESH_COLOR, vertexColors, roughness: 0.55, metalness: 0 });
}

function surface(geometry: BufferGeometry): Mesh {
  if (!geometry.getAttribute("normal")) geometry.computeVertexNormals();
  return new Mesh(geometry, plainMaterial(!!geometry.getAttribute("color")));
}

/**
 * Exporters write one grey for every vertex when the mesh has no colour (MeshLab: 192,192,192;
 * others white): drawn as logged it is a pale shape on a light background. One uniform grey
 * carries nothing, so it goes and the mesh gets the default colour; a uniform hue stays (chosen).
 */
export function dropBlankColors(geometry: BufferGeometry): void {
  const c = geometry.getAttribute("color");
  if (!c || !c.count) return;
  const [r, g, b] = [c.getX(0), c.getY(0), c.getZ(0)];
  if (Math.max(r, g, b) - Math.min(r, g, b) > 0.02) return;
  const eps = 0.5 / 255;
  for (let i = 1; i < c.count; i++) if (Math.abs(c.getX(i) - r) > eps || Math.abs(c.getY(i) - g) > eps || Math.abs(c.getZ(i) - b) > eps) return;
  geometry.deleteAttribute("color");
}

/** The cell's own object or one it may overlay; an overlay is fetched and parsed when first shown. */
interface Part {
  tag: string;
  color: string;
  own: boolean;
  ref: ItemRef;
  meta: ItemMeta;
  object: Object3D | null;
  original: Map<Mesh | Points, Material | Material[]>;
  loading?: Promise<void>;
}

function materials(obj: Object3D): Map<Mesh | Points, Material | Material[]> {
  const m = new Map<Mesh | Points, Material | Material[]>();
  obj.traverse((o) => {
    if (o instanceof Mesh || o instanceof Points) m.set(o, o.material);
  });
  return m;
}

class ObjectView implements ViewerInstance {
  private readonly view: View3D;
  private readonly menu: CellMenu;
  private readonly panel: HTMLDivElement;
  private readonly group = new Group();
  private destroyed = false;
  private readonly root: HTMLDivElement;
  private settings: ViewerSettings;
  private readonly tints = new Map<string, Material>();

  constructor(el: HTMLElement, private readonly parts: Part[], private readonly ctx: ViewerContext) {
    const { root, panel } = root3d(el);
    this.root = root;
    this.panel = panel;
    this.view = new View3D(root);
    root.append(panel);
    this.menu = new CellMenu(root, () => this.menuContents(), "View, wireframe and overlays", "menu");
    this.view.scene.environment = this.view.environment();
    // The room light is for PBR reflections; at full strength it washes plain grey meshes out to white.
    this.view.scene.environmentIntensity = 0.5;
    for (const p of parts) if (p.object) this.group.add(p.object);
    this.view.scene.add(this.group);
    this.settings = ctx.settings;
    this.apply();
    this.view.fit(boundsOf(this.group));
  }

  update(settings: ViewerSettings): void {
    this.settings = settings;
    this.apply();
  }

  resize(): void {
    this.view.requestRender();
  }

  destroy(): void {
    this.destroyed = true;
    this.menu.destroy();
    this.view.destroy();
    for (const p of this.parts) p.object?.traverse((o) => {
      if (o instanceof Mesh || o instanceof Points) o.geometry.dispose();
    });
    this.root.remove();
  }

  private apply(): void {
    const s = this.settings;
    const wire = s[WIREFRAME_KEY] === true;
    const flags = readFlags(s, OVERLAY_SHOWN_KEY);
    const isShown = (p: Part) => p.own || overlayShown(this.parts[0].tag, p.tag, flags);
    const overlaid = this.parts.some((p) => !p.own && p.object && isShown(p));
    this.view.sync = readSync(s);
    for (const p of this.parts) {
      if (!p.object) {
        if (isShown(p)) this.load(p);
        continue;
      }
      p.object.visible = isShown(p);
      for (const [o, original] of p.original) {
        // With other items overlaid, each item is drawn in its own solid colour so they can be told apart.
        const m = overlaid ? this.tint(p.color, o instanceof Points) : original;
        o.material = m;
        for (const mm of Array.isArray(m) ? m : [m]) if ("wireframe" in mm) (mm as MeshStandardMaterial).wireframe = wire;
      }
    }
    this.panel.replaceChildren(...this.overlays().legend);
    this.menu.refresh();
    this.view.requestRender();
  }

  private overlays() {
    const [own, ...others] = this.parts;
    return overlayControls(own, others, this.settings, (x) => this.ctx.setSettings(x));
  }

  private menuContents(): Node[] {
    const set = (p: ViewerSettings) => this.ctx.setSettings(p);
    const wire = checkbox("wireframe", this.settings[WIREFRAME_KEY] === true, (on) => set({ [WIREFRAME_KEY]: on }));
    wire.dataset.control = "wireframe";
    return [heading("View"), line(syncSelect(readSync(this.settings), set), wire), ...this.overlays().menu];
  }

  /** Fetch an overlay the user just turned on; it joins the scene (camera kept) when parsed. */
  private load(p: Part): void {
    if (p.loading) return;
    p.loading = loadPart(p.ref, p.meta, this.ctx)
      .then((obj) => {
        if (this.destroyed) return;
        p.object = obj;
        p.original = materials(obj);
        this.group.add(obj);
        this.apply();
      })
      .catch(() => {
        // An overlay that fails to load is left out rather than hiding the cell's own object.
      });
  }

  private tint(color: string, points: boolean): Material {
    const key = color + (points ? "p" : "m");
    let m = this.tints.get(key);
    if (!m) {
      m = points
        ? new PointsMaterial({ color: new Color(color), size: 2, sizeAttenuation: false })
        : new MeshStandardMaterial({ color: new Color(color), roughness: 0.5, metalness: 0, transparent: true, opacity: 0.75 });
      this.tints.set(key, m);
    }
    return m;
  }
}

async function loadPart(ref: ItemRef, meta: ItemMeta, ctx: ViewerContext): Promise<Object3D> {
  const data = await ctx.source.fetchData(ref, ctx.signal);
  return parseObject(data, meta.format);
}

export const viewer: Viewer = {
  async mount(el: HTMLElement, ref: ItemRef, meta: ItemMeta, ctx: ViewerContext): Promise<ViewerInstance> {
    const others = (ctx.overlays ?? []).filter((o) => o.meta.kind === "object3d");
    const colors = overlayColors([ref.tag, ...others.map((o) => o.ref.tag)]);
    let own: Object3D;
    try {
      own = await loadPart(ref, meta, ctx);
    } catch (err) {
      const { root } = root3d(el);
      message(root, `Could not show this ${meta.format.toUpperCase()} file: ${(err as Error).message}`);
      return { destroy: () => root.remove() };
    }
    const parts: Part[] = [{ tag: ref.tag, color: colors[0], own: true, ref, meta, object: own, original: materials(own) }];
    for (const [i, o] of others.entries()) parts.push({ tag: o.ref.tag, color: colors[i + 1], own: false, ref: o.ref, meta: o.meta, object: null, original: new Map() });
    // Overlays shown from the start (the obvious partner, or ones turned on) load now so the camera
    // fits them too; the rest only when the user ticks them. One that fails is left out.
    const flags = readFlags(ctx.settings, OVERLAY_SHOWN_KEY);
    await Promise.all(
      parts.map(async (p) => {
        if (p.own || !overlayShown(ref.tag, p.tag, flags)) return;
        try {
          p.object = await loadPart(p.ref, p.meta, ctx);
          p.original = materials(p.object);
        } catch (err) {
          if ((err as Error).name === "AbortError") throw err;
        }
      }),
    );
    return new ObjectView(el, parts, ctx);
  },
};
