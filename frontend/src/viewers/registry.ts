// Viewers keyed by media kind, loaded lazily so heavy libraries (three.js, 3Dmol) stay out of the
// first bundle. Rich viewers are other modules in this folder, each `export const viewer: Viewer`;
// import.meta.glob lists only files that exist, so a kind whose viewer has not been written yet
// shows "viewer not available" instead of failing the build.
import type { ItemMeta, MediaKind } from "../api-types";
import { fullScreenButton } from "./fullscreen";
import { viewer as imageViewer } from "./image";
import type { Viewer } from "./types";

type ViewerModule = { viewer: Viewer };
type ViewerChoice = Pick<ItemMeta, "kind" | "masks" | "boxes" | "heatmaps" | "values">;

const modules = import.meta.glob<ViewerModule>([
  "./annotated-image.ts", "./object3d.ts", "./pointcloud.ts", "./molecule.ts",
  "./video.ts", "./audio.ts", "./html.ts", "./text.ts",
]);

/** The module that shows an item: masks, boxes or scalar values need the annotated image viewer. */
export function viewerModuleFor(meta: ViewerChoice): string {
  const kind: MediaKind = meta.kind;
  if (kind === "image") return meta.masks.length || meta.boxes.length || meta.heatmaps?.length || meta.values ? "annotated-image" : "image";
  return kind;
}

export class ViewerUnavailable extends Error {
  constructor(readonly module: string) {
    super(`No viewer for ${module} items is available in this build.`);
    this.name = "ViewerUnavailable";
  }
}

const loaded = new Map<string, Promise<Viewer>>();

/** Every kind opens full screen: a viewer without a full-screen button of its own gets the shared one. */
function withFullScreen(v: Viewer): Viewer {
  return {
    async mount(el, ref, meta, ctx) {
      const inst = await v.mount(el, ref, meta, ctx);
      // Not inside the full-screen view itself, which mounts viewers through loadViewer too.
      if (!el.closest(".mp-lightbox") && !el.querySelector('[data-control="fullscreen"]')) {
        const b = fullScreenButton(ref, meta, ctx);
        el.append(b);
        const destroy = inst.destroy.bind(inst);
        inst.destroy = () => { b.remove(); destroy(); };
      }
      return inst;
    },
  };
}

export function loadViewer(meta: ViewerChoice): Promise<Viewer> {
  const name = viewerModuleFor(meta);
  if (name === "image") return Promise.resolve(imageViewer);
  let hit = loaded.get(name);
  if (!hit) {
    const load = modules[`./${name}.ts`];
    // Without the annotated viewer an annotated image still shows as a plain image.
    if (!load && name === "annotated-image") return Promise.resolve(imageViewer);
    hit = load ? load().then((m) => withFullScreen(m.viewer)) : Promise.reject(new ViewerUnavailable(name));
    hit.catch(() => loaded.delete(name));
    loaded.set(name, hit);
  }
  return hit;
}

export function hasViewer(meta: ViewerChoice): boolean {
  const name = viewerModuleFor(meta);
  return name === "image" || name === "annotated-image" || `./${name}.ts` in modules;
}
