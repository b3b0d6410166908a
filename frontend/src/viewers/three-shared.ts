// One WebGL renderer for every 3D cell of the page.
//
// Browsers keep about 16 WebGL contexts alive and silently kill the oldest past that, which
// leaves black cells. So no cell owns a context: each cell has a plain 2D canvas, the shared
// renderer draws the cell's scene into a corner of its own (hidden) canvas and the result is
// copied into the cell with drawImage. A cell always keeps its last frame, even if the one
// context is lost and restored, and a 6×4 grid costs one context.
//
// Where a frame's time goes (1M points, 600 px cell, SwiftShader): the copy into the cell costs
// 2-15 ms, the points themselves 1.2 s with 4x MSAA and 0.45 s without. So the context has no
// MSAA (meshes are supersampled 2x at rest instead, which is cheap for them), and while the
// camera moves a view may draw a lighter scene (a decimated cloud), the full one when it rests.
import {
  Box3, Color, DirectionalLight, HemisphereLight, PMREMGenerator, PerspectiveCamera, Scene, Sphere,
  Vector3, WebGLRenderer, type Object3D, type Texture,
} from "three";
import { OrbitControls } from "three/examples/jsm/controls/OrbitControls.js";
import { RoomEnvironment } from "three/examples/jsm/environments/RoomEnvironment.js";

// The camera-sync setting and overlay colours live apart from three.js (the molecule viewer uses them too).
import type { CameraSync } from "./scene-settings";
export { OVERLAY_COLORS, overlayColors, readSync, SYNC_KEY, type CameraSync } from "./scene-settings";

export interface ViewOptions {
  /** Called after the scene is copied into the cell, to draw text labels in 2D. */
  annotate?: (g: CanvasRenderingContext2D, project: (p: Vector3) => { x: number; y: number; visible: boolean }) => void;
  background?: string;
  /** Called before each frame: `moving` while the camera turns, so a view can draw less then. */
  prepare?: (moving: boolean) => void;
  /** Draw at twice the resolution when at rest and let the copy average it down (smooth edges). Default true. */
  supersample?: boolean;
}

/** How long the camera must stay still before the full-quality frame is drawn. */
const SETTLE_MS = 200;

/** A 3D cell: its scene, camera and controls, drawn by the shared renderer on demand. */
export class View3D {
  readonly scene = new Scene();
  readonly camera = new PerspectiveCamera(45, 1, 0.01, 1000);
  readonly controls: OrbitControls;
  readonly canvas: HTMLCanvasElement;
  readonly headlight = new DirectionalLight(0xffffff, 1.3);
  sync: CameraSync = "row";
  /** Where auto-fit put the camera: sync maps cameras between cells relative to this. */
  private home = { target: new Vector3(), distance: 1 };
  /** The last fit, and whether the camera has left it since (turned by the user or a synced cell). */
  private lastFit: { box: Box3; up: Vector3; aspect: number } | null = null;
  private leftHome = false;
  /** Its view is a synced turn it joined when it fitted (see joinSync), not one of its own. */
  private joined = false;
  private visible = true;
  private interacting = false;
  private readonly observer: IntersectionObserver;
  private settleTimer = 0;
  /** The camera moved in the last SETTLE_MS: draw the light version of the scene. */
  moving = false;
  frames = 0;
  /** Milliseconds the last full-quality frame took, copy included, and how many points it drew. */
  lastFull = { ms: 0, points: 0 };

  constructor(
    readonly container: HTMLElement,
    readonly options: ViewOptions = {},
  ) {
    this.canvas = document.createElement("canvas");
    this.canvas.className = "v3d-canvas";
    Object.assign(this.canvas.style, { width: "100%", height: "100%", display: "block", touchAction: "none", cursor: "grab" });
    container.append(this.canvas);
    this.scene.background = new Color(options.background ?? "#f7f7f8");
    this.scene.add(new HemisphereLight(0xffffff, 0x8d8d8d, 0.8));
    // A light that follows the camera keeps whatever side the user turns to lit.
    this.camera.add(this.headlight);
    this.headlight.position.set(0.5, 1, 1);
    this.scene.add(this.camera);
    this.controls = new OrbitControls(this.camera, this.canvas);
    this.controls.enableDamping = false; // renders on demand only, so no animation loop is needed
    this.controls.addEventListener("change", () => {
      // Only the user's own turning (drag or wheel) leads the others; auto-fit and following never do.
      if (this.interacting) this.moved();
      this.requestRender();
      if (this.interacting && !syncing) propagate(this);
    });
    this.controls.addEventListener("start", () => {
      this.interacting = true;
      this.leftHome = true;
      this.joined = false;
      this.canvas.style.cursor = "grabbing";
    });
    this.controls.addEventListener("end", () => {
      this.interacting = false;
      this.canvas.style.cursor = "grab";
    });
    this.observer = new IntersectionObserver((entries) => {
      this.visible = entries.some((e) => e.isIntersecting);
      if (this.visible) this.requestRender();
    });
    this.observer.observe(this.canvas);
    shared().views.add(this);
    this.requestRender();
  }

  requestRender(): void {
    shared().schedule(this);
  }

  /** The camera just moved: draw light frames until it has been still for SETTLE_MS, then a full one. */
  moved(): void {
    this.moving = true;
    this.canvas.dataset.moving = "1";
    clearTimeout(this.settleTimer);
    this.settleTimer = window.setTimeout(() => {
      this.moving = false;
      this.requestRender();
    }, SETTLE_MS);
  }

  /** Point the camera at an object (or box) so all of it shows, from a 3/4 view. */
  fit(box: Box3, up: Vector3 = new Vector3(0, 1, 0)): void {
    const aspect = this.canvas.clientWidth && this.canvas.clientHeight ? this.canvas.clientWidth / this.canvas.clientHeight : 1;
    this.fitAt(box, up, aspect);
  }

  /**
   * Before a frame of `aspect`: redo the fit if it was made for another shape and the camera is
   * still where the fit put it. Views fit while their cell is still hidden (no size yet, taken as
   * square), and a portrait cell then cut the sides off a wide object.
   */
  refit(aspect: number): void {
    const f = this.lastFit;
    // A cell that joined a turn while hidden fitted as a square: refit, and join it again.
    if (f && (!this.leftHome || this.joined) && Math.abs(f.aspect - aspect) > 0.01 * aspect) this.fitAt(f.box, f.up, aspect);
  }

  private fitAt(box: Box3, up: Vector3, aspect: number): void {
    this.lastFit = { box: box.clone(), up: up.clone(), aspect };
    this.leftHome = false;
    const pose = fitPose(box, up, this.camera.fov, aspect);
    this.camera.up.copy(up);
    this.camera.position.copy(pose.position);
    this.camera.near = pose.distance / 1000;
    this.camera.far = pose.distance * 100;
    this.camera.updateProjectionMatrix();
    this.controls.target.copy(pose.target);
    this.controls.update();
    this.home = { target: pose.target.clone(), distance: pose.distance };
    this.joinSync();
    this.requestRender();
  }

  /**
   * A cell that comes on the page after a synced turn (the grid mounts only the rows near the
   * window) takes the view the others turned to, not its own home view.
   */
  private joinSync(): void {
    const turn = lastTurn;
    if (!turn || this.sync === "off" || turn.sync === "off") return;
    // Whether it is in the leader's row is known only while the leader is on the page.
    const leader = turn.leader;
    if (leader ? leader !== this && this.followsOf(leader) : this.sync === "grid") {
      this.takePose(turn.pose);
      this.joined = true;
    }
  }

  /** The camera relative to the fitted home, in units of the home distance: what sync copies. */
  pose(): Pose {
    const d = this.home.distance;
    return {
      offset: this.camera.position.clone().sub(this.controls.target).divideScalar(d),
      pan: this.controls.target.clone().sub(this.home.target).divideScalar(d),
      up: this.camera.up.clone(),
      zoom: this.camera.zoom,
    };
  }

  /** Whether this cell should follow `other` under the current sync mode. */
  followsOf(other: View3D): boolean {
    if (this.sync === "off" || other.sync === "off") return false;
    if (this.sync === "grid") return true;
    const a = this.canvas.getBoundingClientRect();
    const b = other.canvas.getBoundingClientRect();
    const ca = (a.top + a.bottom) / 2;
    return ca >= b.top && ca <= b.bottom; // same visual row of the grid
  }

  /** Take a leader's view (its pose): same direction, zoom and pan, scaled to this cell's own object size. */
  takePose(pose: Pose): void {
    this.leftHome = true;
    this.joined = false;
    const k = this.home.distance;
    this.controls.target.copy(this.home.target).addScaledVector(pose.pan, k);
    this.camera.position.copy(this.controls.target).addScaledVector(pose.offset, k);
    this.camera.up.copy(pose.up);
    this.camera.lookAt(this.controls.target);
    this.camera.zoom = pose.zoom;
    this.camera.updateProjectionMatrix();
    this.moved();
    this.requestRender();
  }

  /** Width and height of the drawing in device pixels. */
  pixelSize(): { w: number; h: number } {
    const dpr = Math.min(window.devicePixelRatio || 1, 2);
    return { w: Math.max(1, Math.round(this.canvas.clientWidth * dpr)), h: Math.max(1, Math.round(this.canvas.clientHeight * dpr)) };
  }

  isDrawable(): boolean {
    return this.visible && this.canvas.isConnected && this.canvas.clientWidth > 0 && this.canvas.clientHeight > 0;
  }

  environment(): Texture | null {
    return shared().environment();
  }

  destroy(): void {
    clearTimeout(this.settleTimer);
    this.observer.disconnect();
    this.controls.dispose();
    shared().views.delete(this);
    if (lastTurn?.leader === this) lastTurn = { ...lastTurn, leader: null };
    this.canvas.remove();
  }
}

/** A camera relative to its cell's fitted home (see View3D.pose). */
interface Pose { offset: Vector3; pan: Vector3; up: Vector3; zoom: number }

let syncing = false;
/** The last turn a user made with sync on: cells that mount later join it. */
let lastTurn: { leader: View3D | null; sync: CameraSync; pose: Pose } | null = null;
/** Largest side of the shared drawing buffer that supersampling may ask for. */
const MAX_BUFFER = 4096;

function propagate(leader: View3D): void {
  if (leader.sync === "off") return;
  const pose = leader.pose();
  lastTurn = { leader, sync: leader.sync, pose };
  syncing = true;
  try {
    for (const v of shared().views) if (v !== leader && v.followsOf(leader)) v.takePose(pose);
  } finally {
    syncing = false;
  }
}

class SharedRenderer {
  readonly views = new Set<View3D>();
  private renderer: WebGLRenderer | null = null;
  private readonly dirty = new Set<View3D>();
  private frame = 0;
  private lost = false;
  private env: Texture | null = null;
  private size = { w: 0, h: 0 };

  private gl(): WebGLRenderer {
    if (this.renderer) return this.renderer;
    const canvas = document.createElement("canvas");
    // No MSAA: in software WebGL it makes a million points 2.5x slower; meshes supersample instead.
    const r = new WebGLRenderer({ canvas, antialias: false, alpha: false, powerPreference: "high-performance" });
    r.setPixelRatio(1);
    r.autoClear = true;
    canvas.addEventListener("webglcontextlost", (e) => {
      e.preventDefault(); // asks the browser to restore it; cells keep their last frame meanwhile
      this.lost = true;
    });
    canvas.addEventListener("webglcontextrestored", () => {
      this.lost = false;
      this.env = null;
      for (const v of this.views) this.schedule(v);
    });
    this.renderer = r;
    return r;
  }

  environment(): Texture | null {
    if (this.env) return this.env;
    const pmrem = new PMREMGenerator(this.gl());
    this.env = pmrem.fromScene(new RoomEnvironment(), 0.04).texture;
    pmrem.dispose();
    return this.env;
  }

  schedule(view: View3D): void {
    this.dirty.add(view);
    if (!this.frame) this.frame = requestAnimationFrame(() => this.flush());
  }

  private flush(): void {
    this.frame = 0;
    if (this.lost) return;
    const views = [...this.dirty].filter((v) => this.views.has(v));
    this.dirty.clear();
    for (const v of views) if (v.isDrawable()) this.draw(v);
  }

  private draw(view: View3D): void {
    const r = this.gl();
    const { w, h } = view.pixelSize();
    const moving = view.moving;
    view.options.prepare?.(moving);
    // 2x supersampling at rest stands in for MSAA; the copy below averages 2x2 pixels into one.
    const k = !moving && view.options.supersample !== false && w * 2 <= MAX_BUFFER && h * 2 <= MAX_BUFFER ? 2 : 1;
    const sw = w * k;
    const sh = h * k;
    // Grow the shared drawing buffer to the largest cell; each cell uses its bottom-left corner.
    if (sw > this.size.w || sh > this.size.h) {
      this.size = { w: Math.max(sw, this.size.w), h: Math.max(sh, this.size.h) };
      r.setSize(this.size.w, this.size.h, false);
    }
    view.refit(w / h);
    view.camera.aspect = w / h;
    view.camera.updateProjectionMatrix();
    r.setViewport(0, 0, sw, sh);
    r.setScissor(0, 0, sw, sh);
    r.setScissorTest(true);
    const t0 = performance.now();
    r.render(view.scene, view.camera);
    const points = r.info.render.points;
    const triangles = r.info.render.triangles;
    const cell = view.canvas;
    if (cell.width !== w || cell.height !== h) {
      cell.width = w;
      cell.height = h;
    }
    const g = cell.getContext("2d");
    if (!g) return;
    g.imageSmoothingEnabled = true;
    g.imageSmoothingQuality = "low"; // bilinear at exactly 1/2 scale is the 2x2 box average
    // WebGL's origin is bottom-left: the cell's picture is the bottom rows of the shared buffer.
    g.drawImage(r.domElement, 0, this.size.h - sh, sw, sh, 0, 0, w, h);
    // The copy waits for the GPU, so this is the frame's real cost; views size their light scene by it.
    if (!moving) view.lastFull = { ms: performance.now() - t0, points };
    view.frames++;
    cell.dataset.frames = String(view.frames);
    cell.dataset.quality = moving ? "interactive" : "full";
    if (!moving) delete cell.dataset.moving;
    cell.dataset.renderedPoints = String(points);
    cell.dataset.renderedTriangles = String(triangles);
    if (view.frames === 1) cell.dataset.firstFrameMs = String(performance.now());
    if (view.options.annotate) {
      const dpr = w / Math.max(1, cell.clientWidth);
      view.options.annotate(g, (p) => {
        const v = p.clone().project(view.camera);
        return { x: ((v.x + 1) / 2) * w / dpr, y: ((1 - v.y) / 2) * h / dpr, visible: v.z > -1 && v.z < 1 };
      });
    }
  }

  /** How many WebGL contexts the 3D viewers hold (tests check it stays 1). */
  contexts(): number {
    return this.renderer ? 1 : 0;
  }
}

let instance: SharedRenderer | null = null;
function shared(): SharedRenderer {
  if (!instance) {
    instance = new SharedRenderer();
    // Introspection for tests and benchmarks: how many contexts the 3D cells use.
    (window as unknown as { __tbmp3d?: { contexts(): number; views(): number } }).__tbmp3d = {
      contexts: () => instance?.contexts() ?? 0,
      views: () => instance?.views.size ?? 0,
    };
  }
  return instance;
}

/** Bounding box of an object in world space. */
/** The 3/4 view direction (from the object towards the camera) for each up axis. */
export function viewDirection(up: Vector3): Vector3 {
  // z up (scans, LIDAR scenes) looks down more steeply: a flat scene seen from low fills only a band of the cell.
  return (up.y === 1 ? new Vector3(1, 0.8, 1.4) : new Vector3(1.2, -1.0, 1.25)).normalize();
}

/**
 * Where the camera goes so `box` fills the view from the 3/4 direction: the nearest distance at
 * which every corner of the box is inside the frustum, with the view centred on the box's picture
 * rather than on its middle. The bounding sphere alone left a flat scan filling half the cell (its
 * sphere is far larger than what shows of it); whichever of the two is closer is used, both keep
 * all of the box in view.
 */
export function fitPose(box: Box3, up: Vector3, vfovDeg: number, aspect: number): { target: Vector3; position: Vector3; distance: number } {
  // Room around the picture: a scene touching the cell's edges reads as cut off.
  const margin = 1.1;
  const empty = box.isEmpty();
  const sphere = empty ? new Sphere(new Vector3(), 1) : box.getBoundingSphere(new Sphere());
  const r = Math.max(sphere.radius, 1e-6);
  const tanV = Math.tan((vfovDeg * Math.PI) / 360);
  const tanH = tanV * aspect;
  const dir = viewDirection(up);
  // A portrait cell narrows the horizontal field of view: the sphere fits whichever is tighter.
  const sphereDistance = (r / Math.sin(Math.atan(Math.min(tanV, tanH)))) * 1.05;
  const best = { target: sphere.center.clone(), distance: sphereDistance };
  if (!empty) {
    // Camera axes: right and up on the screen, dir towards the viewer.
    const right = new Vector3().crossVectors(up, dir).normalize();
    const screenUp = new Vector3().crossVectors(dir, right).normalize();
    const corners: [number, number, number][] = [];
    for (const x of [box.min.x, box.max.x]) for (const y of [box.min.y, box.max.y]) for (const z of [box.min.z, box.max.z]) {
      const c = new Vector3(x, y, z).sub(sphere.center);
      corners.push([c.dot(right), c.dot(screenUp), c.dot(dir)]);
    }
    // Keep the camera off the box even when a corner sits on the view axis.
    const clearance = r * 0.05;
    let sx = 0;
    let sy = 0;
    const distanceFor = () => Math.max(...corners.map(([x, y, z]) => z + Math.max(Math.abs(x - sx) / tanH, Math.abs(y - sy) / tanV, clearance)));
    // Centre the picture: shift the target by the middle of the corners' on-screen extent, refit.
    for (let i = 0; i < 4; i++) {
      const d = distanceFor();
      const us = corners.map(([x, , z]) => (x - sx) / (d - z));
      const vs = corners.map(([, y, z]) => (y - sy) / (d - z));
      sx += ((Math.max(...us) + Math.min(...us)) / 2) * d;
      sy += ((Math.max(...vs) + Math.min(...vs)) / 2) * d;
    }
    const boxDistance = distanceFor() * margin;
    if (boxDistance < best.distance) {
      best.distance = boxDistance;
      best.target = sphere.center.clone().addScaledVector(right, sx).addScaledVector(screenUp, sy);
    }
  }
  return { target: best.target, position: best.target.clone().addScaledVector(dir, best.distance), distance: best.distance };
}

export function boundsOf(obj: Object3D): Box3 {
  obj.updateMatrixWorld(true);
  return new Box3().setFromObject(obj);
}
