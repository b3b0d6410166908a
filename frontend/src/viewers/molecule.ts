// Molecules with 3Dmol.js: PDB, mmCIF, SDF/MOL, MOL2, XYZ, PQR, GRO; cartoon, sticks, ball and
// stick, spheres, lines, surface; colour by element, chain, residue or secondary structure;
// overlays of other tags (prediction blue over truth red), with their RMSD after superposition.
//
// Live viewers are rationed: at most MAX_LIVE at once, the least recently used one is replaced by
// a picture of itself (its last frame) and its context released; pointing at the picture brings it
// back live. (3Dmol shares one WebGL context between viewers where OffscreenCanvas exists, but each
// live viewer keeps its geometry in it.)
//
// Without a GPU (software WebGL) every 3Dmol frame is costly, which set how this draws:
// - no antialiasing: with it 3Dmol draws at twice the size (4x the pixels) with MSAA on top, which
//   made a 240 px cell of crambin cost 0.2-0.6 s a frame in SwiftShader;
// - one frame per viewer when it starts: 3Dmol's zoomTo, zoom, setView, resize and
//   removeAllSurfaces each draw a frame, and its observers resize each new viewer, so setting a
//   viewer up drew seven frames and built its shaders five times;
// - one set of shader programs per WebGL context for every viewer (see sharePrograms): each
//   compiling its own made a new viewer's first frame cost 30-250 ms more;
// - the cells that follow a turned one (camera sync) take its view within the same frame only
//   while that is cheap; otherwise when the turning pauses, so the turned cell keeps its pace.
// - the cells shown as pictures follow too: once the turning pauses, one a task, each is drawn
//   again at the synced view by a viewer of its own that closes after its one frame (so no live
//   viewer is evicted for it).
import * as $3Dmol from "3dmol";
import type { ItemMeta, ItemRef } from "../api-types";
import { overlayColors, readSync } from "./scene-settings";
import { moleculeRmsd, rmsdShort, rmsdText, type Atom, type MoleculeRmsd } from "./kabsch";
import { overlayShown } from "./overlay-pairs";
import { OVERLAY_SHOWN_KEY, overlayControls, readFlags, root3d, select, setReadout, syncSelect, message } from "./three-ui";
import type { Viewer, ViewerContext, ViewerInstance, ViewerSettings } from "./types";
import { CellMenu, heading, line } from "./viewer-chrome";
import { checkbox, h } from "./viewer-dom";

export const KEYS = { style: "mol.style", color: "mol.color", superpose: "mol.superpose" } as const;

export type MolStyle = "auto" | "cartoon" | "sticks" | "ballstick" | "spheres" | "lines" | "surface";
export type MolColor = "auto" | "element" | "chain" | "residue" | "ss";

const MAX_LIVE = 8;
/** Followers take the leader's view live while updating them all costs less than this per frame. */
const LIVE_FOLLOW_MS = 12;
/** Otherwise they follow once the leader has not moved for this long (or the drag ends). */
const FOLLOW_PAUSE_MS = 150;

/** 3Dmol's parser name for each logged format. */
export function parserFormat(format: string): string {
  const f = format.toLowerCase();
  if (f === "mmcif" || f === "cif") return "cif";
  if (f === "mol" || f === "sdf") return "sdf";
  if (["pdb", "mol2", "xyz", "pqr", "gro"].includes(f)) return f;
  throw new Error(`unsupported molecule format "${format}" (expected pdb, cif, sdf, mol, mol2, xyz, pqr or gro)`);
}

/**
 * How much to zoom out after 3Dmol's zoomTo, which fits the farthest atom to the vertical field of
 * view only (and by its tangent, a little tight): in a portrait cell — a caption under the picture
 * makes most cells taller than wide — a long molecule ran off both sides.
 */
export function fitFactor(width: number, height: number): number {
  const aspect = width > 0 && height > 0 ? width / height : 1;
  return Math.min(1, aspect) * 0.92;
}

function readStyle(s: ViewerSettings): MolStyle {
  const v = s[KEYS.style];
  return ["cartoon", "sticks", "ballstick", "spheres", "lines", "surface"].includes(v as string) ? (v as MolStyle) : "auto";
}

function readColor(s: ViewerSettings): MolColor {
  const v = s[KEYS.color];
  return ["element", "chain", "residue", "ss"].includes(v as string) ? (v as MolColor) : "auto";
}

const SCHEME: Record<Exclude<MolColor, "auto">, string> = {
  element: "Jmol", chain: "chain", residue: "amino", ss: "ssJmol",
};

type Style = Record<string, Record<string, unknown>>;

/** The 3Dmol style specs of a representation; `solid` paints everything one colour (overlays). */
export function styleSpecs(style: MolStyle, color: MolColor, protein: boolean, solid: string | null): { sel: Record<string, unknown>; style: Style; add?: boolean }[] {
  const paint = (c: MolColor): Record<string, unknown> => (solid ? { color: solid } : { colorscheme: SCHEME[c === "auto" ? "element" : c] });
  const elem = paint(color === "auto" ? "element" : color);
  switch (style) {
    case "cartoon":
      return [{ sel: {}, style: { cartoon: solid ? { color: solid } : color === "auto" ? { color: "spectrum" } : paint(color) } }];
    case "sticks":
      return [{ sel: {}, style: { stick: { radius: 0.2, ...elem } } }];
    case "ballstick":
      return [{ sel: {}, style: { stick: { radius: 0.12, ...elem }, sphere: { scale: 0.28, ...elem } } }];
    case "spheres":
      return [{ sel: {}, style: { sphere: elem } }];
    case "lines":
      return [{ sel: {}, style: { line: { linewidth: 2, ...elem } } }];
    case "surface":
      return [{ sel: {}, style: { line: { ...elem, opacity: 0.6 } } }];
    case "auto":
      if (!protein) return [{ sel: {}, style: { stick: { radius: 0.14, ...elem }, sphere: { scale: 0.25, ...elem } } }];
      // The talk's default: a ribbon for the backbone, sticks for side chains and ligands.
      return [
        { sel: {}, style: { cartoon: solid ? { color: solid } : color === "auto" ? { color: "spectrum" } : paint(color) } },
        { sel: { not: { atom: ["C", "O", "N"] }, hetflag: false }, style: { stick: { radius: 0.15, ...elem } }, add: true },
        { sel: { hetflag: true, not: { resn: ["HOH", "WAT"] } }, style: { stick: { radius: 0.2, ...elem } }, add: true },
      ];
  }
}

/** A molecule's atoms as the viewer draws them: 3Dmol's own parser, its first model. */
export function parseAtoms(text: string, format: string): Atom[] {
  const frames = $3Dmol.GLModel.parseMolData(text, parserFormat(format), { assignBonds: false, noComputeSecondaryStructure: true }) as Atom[][];
  return frames.find((f) => f.length > 0) ?? [];
}

/** RMSD after superposing `a` on `b`, from their texts, or why there is none (never throws). */
export function textRmsd(a: { text: string; format: string }, b: { text: string; format: string }): MoleculeRmsd {
  try {
    return moleculeRmsd(parseAtoms(a.text, a.format), parseAtoms(b.text, b.format));
  } catch (err) {
    return { ok: false, reason: `could not read the atoms (${(err as Error).message})` };
  }
}

/** The cell's own molecule or one it may overlay; an overlay's text is fetched when first shown. */
interface Part { tag: string; text: string | null; format: string; color: string; own: boolean; ref: ItemRef; loading?: Promise<void> }

/** Live 3Dmol viewers, least recently used first. */
const live: MoleculeView[] = [];

class MoleculeView implements ViewerInstance {
  private readonly root: HTMLDivElement;
  private readonly menu: CellMenu;
  private readonly panel: HTMLDivElement;
  /** The 3Dmol model of each part added to the live viewer (parts load lazily, so no fixed index). */
  private readonly models = new Map<Part, $3Dmol.GLModel>();
  private readonly host: HTMLDivElement;
  private readonly still: HTMLImageElement;
  private viewer: $3Dmol.GLViewer | null = null;
  /** Removes the live viewer's listeners on the window and the body. */
  private detach = () => {};
  private view: unknown[] | null = null;
  private settings: ViewerSettings;
  private protein = false;
  private readonly observer: IntersectionObserver;
  private destroyed = false;
  private woken = false;
  private readonly sizer: ResizeObserver;
  private interacting = false;
  private hasSurface = false;
  /** The size the live viewer was last laid out at (3Dmol's resize draws and rebuilds buffers). */
  private laidOut = { w: 0, h: 0 };
  private frames = 0;
  /** RMSD of each overlay superposed on the own molecule, once both texts are in (parsing costs). */
  private readonly rmsds = new Map<Part, MoleculeRmsd>();
  /** Whether the live viewer's overlays were added superposed. */
  private drawnSuperposed = false;
  private fitsPending = false;
  private readonly release = () => {
    this.interacting = false;
    if (followTimer) flushFollowers();
    // After a wheel tick too (released at once), so the stills wait for the turning to pause.
    if (pendingStills.size) scheduleStills(FOLLOW_PAUSE_MS);
  };

  constructor(el: HTMLElement, private readonly parts: Part[], private readonly ctx: ViewerContext) {
    mounted.add(this);
    const { root, panel } = root3d(el);
    this.root = root;
    this.panel = panel;
    this.settings = ctx.settings;
    this.host = h("div", { class: "mol-host" });
    Object.assign(this.host.style, { position: "absolute", inset: "0" });
    this.still = h("img", { class: "mol-still", alt: "molecule (point at it to turn it)" });
    Object.assign(this.still.style, { position: "absolute", inset: "0", width: "100%", height: "100%", display: "none", cursor: "grab" });
    this.still.draggable = false;
    root.append(this.host, this.still, panel);
    this.menu = new CellMenu(root, () => this.menuContents(), "Representation, colours and overlays", "menu");
    // A picture comes back to life as soon as the pointer reaches it.
    this.still.addEventListener("pointerenter", () => this.wake());
    this.still.addEventListener("pointerdown", () => this.wake());
    // 3Dmol reports every view change, its own zoomTo included: only the user's lead the others.
    this.host.addEventListener("pointerdown", () => {
      touch(this);
      this.interacting = true;
    });
    window.addEventListener("pointerup", this.release);
    this.host.addEventListener("wheel", () => {
      this.interacting = true;
      setTimeout(this.release, 0);
    }, { capture: true });
    this.observer = new IntersectionObserver((entries) => {
      if (!entries.some((e) => e.isIntersecting)) this.sleep();
    });
    this.observer.observe(root);
    // The panel mounts cells hidden and shows them when ready: create the viewer once there is room.
    this.sizer = new ResizeObserver(() => {
      if (!this.root.clientWidth || !this.root.clientHeight) return;
      if (this.viewer) this.resize();
      else if (!this.woken) this.wake();
    });
    this.sizer.observe(root);
    this.renderControls();
  }

  update(settings: ViewerSettings): void {
    this.settings = settings;
    this.loadShown();
    const v = this.viewer;
    if (v && this.drawnSuperposed !== this.superposed) {
      // Overlays move: add them again, superposed or as logged.
      this.drawnSuperposed = this.superposed;
      quietly(v, () => {
        for (const p of this.parts) {
          const model = this.models.get(p);
          if (p.own || !model || p.text === null) continue;
          v.removeModel(model);
          this.addPart(v, p as Part & { text: string });
        }
        // Framed again: superposed, the two take the room one did; apart, they need more.
        v.zoomTo();
        v.zoom(fitFactor(this.host.clientWidth, this.host.clientHeight));
      });
    }
    if (this.viewer) this.applyStyle();
    else {
      // Asleep: the picture is stale after a style change, so redraw it once.
      this.wake();
    }
    this.renderControls();
  }

  resize(): void {
    const w = this.host.clientWidth;
    const h = this.host.clientHeight;
    if (!this.viewer || (w === this.laidOut.w && h === this.laidOut.h)) return;
    this.laidOut = { w, h };
    this.viewer.resize(); // draws the frame at the new size
  }

  destroy(): void {
    this.destroyed = true;
    mounted.delete(this);
    pendingStills.delete(this);
    if (lastTurn?.leader === this) lastTurn = { ...lastTurn, leader: null };
    this.observer.disconnect();
    this.sizer.disconnect();
    window.removeEventListener("pointerup", this.release);
    this.sleep(false);
    this.menu.destroy();
    this.root.remove();
  }

  isLive(): boolean {
    return this.viewer !== null;
  }

  /** Create the 3Dmol viewer (one WebGL context), evicting the least recently used beyond the cap. */
  wake(): void {
    if (!this.canStart()) return;
    while (live.length >= MAX_LIVE) live[0].sleep();
    this.start();
    live.push(this);
    this.renderControls();
  }

  /**
   * A still takes a synced leader's view: a viewer of its own for one frame at that view, then a
   * still again. It is not one of the live ones, so none of them is evicted for it.
   */
  redrawStill(view: unknown[]): void {
    if (!this.canStart()) return;
    this.view = view;
    this.start();
    this.sleep();
  }

  /**
   * A cell that comes on the page after a synced turn (the grid mounts only the rows near the
   * window) starts at the turned view. Whether it is in the leader's row is known only while the
   * leader is on the page.
   */
  private joinedView(): unknown[] | undefined {
    const turn = lastTurn;
    if (!turn || readSync(this.settings) === "off") return undefined;
    if (!turn.leader) return readSync(this.settings) === "grid" ? turn.view : undefined;
    return turn.leader !== this && turn.leader.leads(this) ? turn.view : undefined;
  }

  /** Whether `other` follows this cell's turns under its sync mode. */
  private leads(other: MoleculeView): boolean {
    const mode = readSync(this.settings);
    if (mode === "off") return false;
    if (mode === "grid") return true;
    const me = this.root.getBoundingClientRect();
    const r = other.root.getBoundingClientRect();
    const c = (r.top + r.bottom) / 2;
    return c >= me.top && c <= me.bottom;
  }

  isTurning(): boolean {
    return this.interacting;
  }

  private canStart(): boolean {
    return !this.destroyed && !this.viewer && this.root.isConnected && this.root.clientWidth > 0;
  }

  /** The viewer and its first frame (at the synced view when one came while it was a still). */
  private start(): void {
    this.woken = true;
    const synced = pendingStills.get(this) ?? (this.view ? undefined : this.joinedView());
    if (synced) this.view = synced;
    pendingStills.delete(this);
    this.host.style.display = "block";
    const { viewer: v, detach } = createViewer(this.host, { backgroundColor: "white", antialias: false, cartoonQuality: 4 } as $3Dmol.ViewerSpec);
    this.detach = detach;
    // 3Dmol's own size and visibility observers call its resize on their first callback, right
    // after creation, and each resize rebuilds its framebuffer and three shader programs (twice)
    // and draws a frame; this view's own observer resizes it when the size really changes.
    const watchers = v as unknown as { divwatcher?: ResizeObserver; intwatcher?: IntersectionObserver };
    watchers.divwatcher?.disconnect();
    watchers.intwatcher?.disconnect();
    sharePrograms(v);
    this.viewer = v;
    this.laidOut = { w: this.host.clientWidth, h: this.host.clientHeight };
    this.drawnSuperposed = this.superposed;
    quietly(v, () => {
      for (const p of this.parts) if (p.text !== null) this.addPart(v, p as Part & { text: string });
      this.protein = v.selectedAtoms({ model: this.models.get(this.parts[0]), atom: "CA" }).length > 0;
      this.applyStyle(false);
      if (this.view) v.setView(this.view);
      else {
        v.zoomTo();
        v.zoom(fitFactor(this.host.clientWidth, this.host.clientHeight));
      }
    });
    v.setViewChangeCallback(() => this.onView());
    v.render(); // the one frame of its start
    this.still.style.display = "none";
    this.host.dataset.live = "1";
  }

  /** Keep a picture of the last frame and give the WebGL context back. */
  sleep(snapshot = true): void {
    const v = this.viewer;
    if (!v) return;
    const i = live.indexOf(this);
    if (i >= 0) live.splice(i, 1);
    this.view = v.getView();
    if (snapshot && !this.destroyed) {
      // The canvas still holds the last frame drawn: no need to draw another.
      this.still.src = v.pngURI();
      this.still.style.display = "block";
    }
    const canvas = v.getCanvas();
    pendingFollowers.delete(this);
    quietly(v, () => v.clear());
    this.detach();
    this.detach = () => {};
    this.viewer = null;
    this.models.clear();
    this.host.replaceChildren();
    delete this.host.dataset.live;
    delete this.host.dataset.frames; // frames drawn by the live viewer; the picture stands for it now
    this.frames = 0;
    // Release the context now rather than whenever garbage collection gets to it.
    const gl = canvas.getContext("webgl2") ?? canvas.getContext("webgl");
    gl?.getExtension("WEBGL_lose_context")?.loseContext();
  }

  /** Restyle every part; `draw` false when the caller draws the frame itself. */
  private applyStyle(draw = true): void {
    const v = this.viewer;
    if (!v) return;
    const style = readStyle(this.settings);
    const color = readColor(this.settings);
    const shown = this.shownFn();
    const overlaid = this.parts.some((p) => !p.own && shown(p.tag) && this.models.has(p));
    if (this.hasSurface) quietly(v, () => v.removeAllSurfaces());
    this.hasSurface = false;
    this.parts.forEach((p) => {
      const model = this.models.get(p);
      if (!model) return;
      if (!p.own && !shown(p.tag)) {
        v.setStyle({ model }, {});
        return;
      }
      const solid = overlaid ? p.color : null;
      for (const spec of styleSpecs(style, color, this.protein, solid)) {
        if (spec.add) v.addStyle({ ...spec.sel, model }, spec.style);
        else v.setStyle({ ...spec.sel, model }, spec.style);
      }
      if (style === "surface") {
        v.addSurface($3Dmol.SurfaceType.VDW, solid ? { opacity: 0.8, color: solid } : { opacity: 0.85, colorscheme: SCHEME[color === "auto" ? "element" : color] }, { model });
        this.hasSurface = true;
      }
    });
    if (draw) v.render();
  }

  /** Called by 3Dmol after each frame it draws of this viewer. */
  private onView(): void {
    this.frames++;
    this.host.dataset.frames = String(this.frames);
    if (syncing || !this.viewer || !this.interacting) return;
    const mode = readSync(this.settings);
    if (mode === "off") return;
    const view = this.viewer.getView();
    lastTurn = { leader: this, view };
    // Every cell of the sync group follows: the live ones, and the stills (past MAX_LIVE), drawn
    // again at the new view once the turning pauses.
    for (const other of mounted) {
      if (other === this || !other.root.isConnected || !this.leads(other)) continue;
      if (other.viewer) pendingFollowers.set(other, view);
      else if (other.woken) pendingStills.set(other, view);
    }
    scheduleStills(FOLLOW_PAUSE_MS);
    clearTimeout(followTimer);
    followTimer = followCost < LIVE_FOLLOW_MS ? window.setTimeout(flushFollowers, 0) : window.setTimeout(flushFollowers, FOLLOW_PAUSE_MS);
  }

  /** Take a synced leader's view (one frame). */
  follow(view: unknown[]): void {
    this.viewer?.setView(view);
  }

  private shownFn(): (tag: string) => boolean {
    const flags = readFlags(this.settings, OVERLAY_SHOWN_KEY);
    return (tag) => overlayShown(this.parts[0].tag, tag, flags);
  }

  /** Fetch the overlays just turned on; each joins the live viewer (keeping its view) when it arrives. */
  private loadShown(): void {
    const shown = this.shownFn();
    for (const p of this.parts) {
      if (p.own || p.text !== null || p.loading || !shown(p.tag)) continue;
      p.loading = text(p.ref, this.ctx)
        .then((t) => {
          p.text = t;
          if (this.destroyed) return;
          if (this.viewer) {
            this.addPart(this.viewer, p as Part & { text: string });
            this.applyStyle();
            this.renderControls();
          } else this.wake();
        })
        .catch(() => {
          // An overlay that fails to load is left out; the cell's own molecule still shows.
        });
    }
  }

  private overlays() {
    const [own, ...others] = this.parts;
    return overlayControls(own, others, this.settings, (p) => this.ctx.setSettings(p));
  }

  /**
   * RMSD after superposition against each overlay shown whose text is in, as far as computed:
   * parsing both molecules costs (tens of ms for an mmCIF), so the rest are computed when the
   * page is idle, after the cells have drawn, and the readout follows.
   */
  private rmsdFits(): { tag: string; r: MoleculeRmsd }[] {
    const [own, ...others] = this.parts;
    const shown = this.shownFn();
    const list = others.filter((p): p is Part & { text: string } => p.text !== null && shown(p.tag));
    if (list.some((p) => !this.rmsds.has(p)) && !this.fitsPending) {
      this.fitsPending = true;
      whenIdle(() => {
        this.fitsPending = false;
        if (this.destroyed) return;
        for (const p of list) this.fit(p, own);
        this.renderControls();
      });
    }
    return list.flatMap((p) => {
      const r = this.rmsds.get(p);
      return r ? [{ tag: p.tag, r }] : [];
    });
  }

  /** The fits as readout lines, each naming its overlay when there are several. */
  private rmsdLines(fits = this.rmsdFits()): string[] {
    return fits.map(({ tag, r }) => (fits.length > 1 ? `${tag}: ${rmsdText(r)}` : rmsdText(r)));
  }

  /** An overlay superposed on the cell's own molecule (RMSD and the rotation that does it). */
  private fit(p: Part & { text: string }, own: Part): MoleculeRmsd {
    let r = this.rmsds.get(p);
    if (!r) this.rmsds.set(p, (r = textRmsd(p, { text: own.text ?? "", format: own.format })));
    return r;
  }

  /**
   * Add a part to the live viewer; an overlay moved onto the cell's own molecule when the user
   * asked to superpose them (its atoms turned before 3Dmol builds any geometry from them).
   */
  private addPart(v: $3Dmol.GLViewer, p: Part & { text: string }): void {
    const model = v.addModel(p.text, parserFormat(p.format));
    this.models.set(p, model);
    const r = !p.own && this.superposed ? this.fit(p, this.parts[0]) : null;
    if (!r?.ok) return;
    const [R, t] = [r.rotation, r.translation];
    for (const a of model.selectedAtoms({})) {
      const [x, y, z] = [a.x ?? 0, a.y ?? 0, a.z ?? 0];
      a.x = R[0][0] * x + R[0][1] * y + R[0][2] * z + t[0];
      a.y = R[1][0] * x + R[1][1] * y + R[1][2] * z + t[1];
      a.z = R[2][0] * x + R[2][1] * y + R[2][2] * z + t[2];
    }
  }

  /** Whether overlays are drawn superposed on the cell's own molecule (grid-wide, off by default). */
  private get superposed(): boolean {
    return this.settings[KEYS.superpose] === true;
  }

  private renderControls(): void {
    const fits = this.rmsdFits();
    const rmsd = this.rmsdLines(fits);
    setReadout(this.root, fits.length ? { long: rmsd[0], short: rmsdShort(fits[0].r) } : null, "rmsd");
    // The corner readout has room for one: the legend lists them all when there are more.
    const more = rmsd.length > 1 ? rmsd.map((t) => h("div", { class: "v3d-row", text: t })) : [];
    this.panel.replaceChildren(...this.overlays().legend, ...more);
    this.menu.refresh();
  }

  private menuContents(): Node[] {
    const set = (p: ViewerSettings) => this.ctx.setSettings(p);
    const style = select(
      "Representation",
      [["auto", this.protein ? "cartoon + side chains" : "ball and stick"], ["cartoon", "cartoon"], ["sticks", "sticks"], ["ballstick", "ball and stick"], ["spheres", "spheres"], ["lines", "lines"], ["surface", "surface"]],
      readStyle(this.settings),
      (v) => set({ [KEYS.style]: v }),
    );
    style.dataset.control = "mol-style";
    const color = select(
      "Colour by",
      [["auto", "auto colour"], ["element", "by element"], ["chain", "by chain"], ["residue", "by residue"], ["ss", "by structure"]],
      readColor(this.settings),
      (v) => set({ [KEYS.color]: v }),
    );
    color.dataset.control = "mol-color";
    const lines = this.rmsdLines();
    const rmsd = lines.map((t) => h("div", { class: "vc-note", "data-control": "rmsd", text: t }));
    const out = [heading("Molecule"), line(style, color), heading("Camera"), line(syncSelect(readSync(this.settings), set)), ...this.overlays().menu];
    if (lines.length) {
      const sp = checkbox(`superpose on ${this.parts[0].tag}`, this.superposed, (on) => set({ [KEYS.superpose]: on }));
      sp.dataset.control = "superpose";
      sp.title = "Draw the overlays turned and moved onto this molecule (as the RMSD measures them), not where they were logged";
      out.push(heading("Superposition"), ...rmsd, line(sp));
    }
    return out;
  }
}

let syncing = false;
/** The view each follower is to take, and when they take it (see onView). */
const pendingFollowers = new Map<MoleculeView, unknown[]>();
let followTimer = 0;
/** What updating the followers cost the last time, in ms: decides whether they follow live. */
let followCost = 0;

/** The last turn a user made with sync on: cells that mount later join it. */
let lastTurn: { leader: MoleculeView | null; view: unknown[] } | null = null;
/** Every molecule cell on the page, live or shown as a still. */
const mounted = new Set<MoleculeView>();
/** Stills to draw again at a synced view, one a task once the turning pauses (each costs a frame). */
const pendingStills = new Map<MoleculeView, unknown[]>();
let stillTimer = 0;

function scheduleStills(delay: number): void {
  clearTimeout(stillTimer);
  stillTimer = window.setTimeout(redrawNextStill, delay);
}

function redrawNextStill(): void {
  stillTimer = 0;
  // Never during a drag: the drag's end (release) schedules them again.
  if ([...mounted].some((v) => v.isTurning())) return;
  const next = pendingStills.entries().next();
  if (next.done) return;
  const [view, camera] = next.value;
  pendingStills.delete(view);
  view.redrawStill(camera);
  if (pendingStills.size) scheduleStills(0);
}

function flushFollowers(): void {
  clearTimeout(followTimer);
  followTimer = 0;
  const t0 = performance.now();
  syncing = true;
  try {
    for (const [view, camera] of pendingFollowers) view.follow(camera);
  } finally {
    syncing = false;
    pendingFollowers.clear();
  }
  followCost = performance.now() - t0;
}

/**
 * Run `fn` on a viewer without the frames 3Dmol draws inside it (zoomTo, zoom, setView, clear and
 * removeAllSurfaces each draw one); the caller draws the one frame it needs afterwards.
 */
function quietly(v: $3Dmol.GLViewer, fn: () => void): void {
  // `show` is 3Dmol's private "draw a frame now"; masking it on the instance skips those frames.
  const target = v as unknown as { show: () => void };
  target.show = () => {};
  try {
    fn();
  } finally {
    delete (target as Partial<typeof target>).show;
  }
}

/** A compiled shader program as 3Dmol's renderer keeps it (one list per renderer). */
interface ProgramInfo { program: WebGLProgram; code: string; usedTimes: number }
/** 3Dmol's renderer, as far as sharing its programs goes. */
interface RendererLike { _gl?: object; _programs?: ProgramInfo[]; buildProgram: (...args: unknown[]) => unknown }
/** The compiled programs of each WebGL context (3Dmol's viewers share one where OffscreenCanvas exists). */
const programLists = new WeakMap<object, ProgramInfo[]>();
let programsShared = false;

/**
 * Make every 3Dmol renderer build its shader programs from one list per WebGL context. Each
 * renderer compiles its own otherwise, three of them (screen, SSAO, blur) as it is created, and in
 * software WebGL compiling a program and its first draw cost 30-250 ms a viewer. A program in a
 * shared list is never deleted (its use count stays above zero): there are a few dozen kinds at
 * most. 3Dmol does not export its renderer class, hence its prototype from the first viewer.
 */
function sharePrograms(v: $3Dmol.GLViewer): void {
  const renderer = (v as unknown as { renderer?: RendererLike }).renderer;
  if (programsShared || !renderer?._gl || !Array.isArray(renderer._programs)) return;
  programsShared = true;
  const listOf = (r: RendererLike): ProgramInfo[] | null => {
    if (!r._gl) return null;
    let list = programLists.get(r._gl);
    if (!list) programLists.set(r._gl, (list = []));
    return list;
  };
  // The first viewer's programs, compiled before this was in place.
  const first = listOf(renderer)!;
  for (const p of renderer._programs) {
    p.usedTimes++;
    first.push(p);
  }
  renderer._programs = first;
  const proto = Object.getPrototypeOf(renderer) as RendererLike;
  const build = proto.buildProgram;
  proto.buildProgram = function (this: RendererLike, ...args: unknown[]) {
    const list = listOf(this);
    if (!list) return build.apply(this, args);
    this._programs = list;
    const n = list.length;
    const program = build.apply(this, args);
    for (let i = n; i < list.length; i++) list[i].usedTimes++;
    return program;
  };
}

/**
 * A 3Dmol viewer, and a function that removes the listeners it adds to `window` (resize) and
 * `document.body` (mouseup, touchend) and never removes: each keeps the viewer, its scene and
 * geometry alive after it is cleared, and a window resize redrew every viewer ever made.
 */
function createViewer(host: HTMLElement, spec: $3Dmol.ViewerSpec): { viewer: $3Dmol.GLViewer; detach: () => void } {
  const added: [EventTarget, string, EventListenerOrEventListenerObject, boolean | EventListenerOptions | undefined][] = [];
  const targets: EventTarget[] = [window, document.body];
  const own = targets.map((t) => Object.getOwnPropertyDescriptor(t, "addEventListener"));
  for (const t of targets) {
    const add = t.addEventListener;
    Object.defineProperty(t, "addEventListener", {
      configurable: true,
      writable: true,
      value(type: string, fn: EventListenerOrEventListenerObject | null, opts?: boolean | AddEventListenerOptions) {
        if (fn) added.push([t, type, fn, opts]);
        add.call(t, type, fn, opts);
      },
    });
  }
  let viewer: $3Dmol.GLViewer;
  try {
    viewer = $3Dmol.createViewer(host, spec);
  } finally {
    targets.forEach((t, i) => {
      const d = own[i];
      if (d) Object.defineProperty(t, "addEventListener", d);
      else delete (t as Partial<EventTarget>).addEventListener;
    });
  }
  const remove = (keep: (type: string) => boolean) => {
    for (let i = added.length - 1; i >= 0; i--) {
      const [t, type, fn, opts] = added[i];
      if (keep(type)) continue;
      t.removeEventListener(type, fn, opts);
      added.splice(i, 1);
    }
  };
  // Its window resize draws a frame; the view's own observer resizes it when its cell changes size.
  remove((type) => type !== "resize");
  return { viewer, detach: () => remove(() => false) };
}

/** Run `fn` once the page is idle (after the frames due), or within half a second. */
function whenIdle(fn: () => void): void {
  if (typeof requestIdleCallback === "function") requestIdleCallback(fn, { timeout: 500 });
  else setTimeout(fn, 0);
}

function touch(view: MoleculeView): void {
  const i = live.indexOf(view);
  if (i >= 0) {
    live.splice(i, 1);
    live.push(view);
  }
}

async function text(ref: ItemRef, ctx: ViewerContext): Promise<string> {
  return new TextDecoder().decode(await ctx.source.fetchData(ref, ctx.signal));
}

// Surfaces in a web worker would need a blob: worker, which TensorBoard's CSP does not allow.
$3Dmol.setSyncSurface(true);

export const viewer: Viewer = {
  async mount(el: HTMLElement, ref: ItemRef, meta: ItemMeta, ctx: ViewerContext): Promise<ViewerInstance> {
    const others = (ctx.overlays ?? []).filter((o) => o.meta.kind === "molecule");
    const colors = overlayColors([ref.tag, ...others.map((o) => o.ref.tag)]);
    let own: string;
    try {
      parserFormat(meta.format);
      own = await text(ref, ctx);
    } catch (err) {
      if ((err as Error).name === "AbortError") throw err;
      const { root } = root3d(el);
      message(root, `Could not show this molecule: ${(err as Error).message}`);
      return { destroy: () => root.remove() };
    }
    const parts: Part[] = [{ tag: ref.tag, text: own, format: meta.format, color: colors[0], own: true, ref }];
    for (const [i, o] of others.entries()) parts.push({ tag: o.ref.tag, text: null, format: o.meta.format, color: colors[i + 1], own: false, ref: o.ref });
    // Only overlays that show from the start are fetched now (the obvious partner, or ones the user
    // turned on); the others when the user ticks them, so a cell never downloads every tag.
    const flags = readFlags(ctx.settings, OVERLAY_SHOWN_KEY);
    await Promise.all(
      parts.map(async (p) => {
        if (p.own || !overlayShown(ref.tag, p.tag, flags)) return;
        try {
          p.text = await text(p.ref, ctx);
        } catch (err) {
          if ((err as Error).name === "AbortError") throw err;
        }
      }),
    );
    return new MoleculeView(el, parts, ctx);
  },
};
