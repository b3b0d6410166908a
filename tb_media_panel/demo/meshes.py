"""3D models: a sphere fitted to a rounded box over steps (GLB, vertex colours show the
remaining error), trimesh primitives exported to every file format the panel reads, turning
over steps, and Open3D geometries logged directly."""

from __future__ import annotations

import numpy as np
import torch

import tb_media_panel as mp
from tb_media_panel.demo.config import DemoConfig, MediaSink, Metrics, RunConfig


def target_radius(directions: np.ndarray) -> np.ndarray:
    """A superellipsoid ("rounded box") in each unit direction: the shape being fitted."""
    p = 6.0
    extent = np.array([1.2, 0.8, 0.6])
    return 1.0 / (np.abs(directions / extent) ** p).sum(axis=1) ** (1.0 / p)


def error_colours(error: np.ndarray) -> np.ndarray:
    """Blue where the surface fits, red where it is far off: (N, 4) uint8 RGBA."""
    t = np.clip(error / 0.4, 0.0, 1.0)[:, None]
    rgb = (1 - t) * np.array([60, 120, 230]) + t * np.array([230, 60, 50])
    return np.column_stack([rgb, np.full(len(t), 255)]).astype(np.uint8)


def fit(run: RunConfig, cfg: DemoConfig, metrics: Metrics) -> tuple[object, dict[int, np.ndarray]]:
    """Per-vertex radii of an icosphere fitted by Adam with a smoothness term.

    Returns the icosphere and, per logged step, the radii.
    """
    import trimesh

    sphere = trimesh.creation.icosphere(subdivisions=cfg.mesh_subdivisions)
    directions = np.asarray(sphere.vertices)
    target = torch.from_numpy(target_radius(directions))
    edges = torch.from_numpy(np.array(sphere.edges_unique))
    radii = torch.full((len(directions),), 0.5, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.Adam([radii], lr=run.lr * 3)
    logged = set(cfg.logged_steps())
    per_iteration = max(1, 1000 // max(1, cfg.iterations))
    out: dict[int, np.ndarray] = {}
    for step in range(cfg.iterations + 1):
        if step in logged:
            out[step] = radii.detach().numpy().copy()
        if step == cfg.iterations:
            break
        for _ in range(per_iteration):
            smooth = (radii[edges[:, 0]] - radii[edges[:, 1]]).pow(2).mean()
            loss = (radii - target).pow(2).mean() + 0.1 * smooth
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        if step % 10 == 0:
            metrics.add("mesh/fit_loss", step, loss.item())
    return sphere, out


def export(mesh, file_type: str) -> bytes:  # (trimesh.Trimesh, str) -> file bytes
    """One file of the given type; glTF with its buffers embedded, so it is a single file."""
    if file_type == "gltf":
        files = mesh.scene().export(file_type="gltf", embed_buffers=True)
        return files["model.gltf"]
    data = mesh.export(file_type=file_type)
    return data if isinstance(data, bytes) else data.encode("utf-8")


def turned(mesh, angle: float):  # -> trimesh.Trimesh
    import trimesh

    copy = mesh.copy()
    copy.apply_transform(trimesh.transformations.rotation_matrix(angle, [0.3, 1.0, 0.2]))
    return copy


def primitives() -> dict[str, object]:
    """One primitive per file format, coloured so each format shows it keeps colours or not."""
    import trimesh

    torus = trimesh.creation.torus(major_radius=1.0, minor_radius=0.35)
    capsule = trimesh.creation.capsule(height=1.2, radius=0.5)
    capsule.visual.face_colors = [240, 170, 40, 255]
    cone = trimesh.creation.cone(radius=0.8, height=1.6)
    heights = np.asarray(cone.vertices)[:, 2]
    t = (heights - heights.min()) / np.ptp(heights)
    cone.visual.vertex_colors = np.column_stack(
        [40 + 200 * t, 200 - 120 * t, 220 - 180 * t, np.full(len(t), 255)]
    ).astype(np.uint8)
    box = trimesh.creation.box(extents=[1.4, 1.0, 0.7])
    annulus = trimesh.creation.annulus(r_min=0.5, r_max=1.0, height=0.4)
    annulus.visual.face_colors = [90, 200, 120, 255]
    return {"obj": torus, "gltf": capsule, "ply": cone, "stl": box, "glb": annulus}


def log(w: MediaSink, run: RunConfig, cfg: DemoConfig, metrics: Metrics) -> None:
    import trimesh

    sphere, fits = fit(run, cfg, metrics)
    directions = np.asarray(sphere.vertices)
    goal = target_radius(directions)
    for step, radii in fits.items():
        error = np.abs(radii - goal)
        mesh = trimesh.Trimesh(
            vertices=directions * radii[:, None],
            faces=np.asarray(sphere.faces),
            vertex_colors=error_colours(error),
            process=False,
        )
        w.add(
            "mesh/fitted_shape",
            mp.Object3D(export(mesh, "glb"), format="glb", caption=f"mean error {error.mean():.3f}"),
            step,
        )

    shapes = primitives()
    steps = cfg.logged_steps()
    for n, step in enumerate(steps):
        angle = 2 * np.pi * n / len(steps)
        w.add(
            "mesh/formats",
            [
                mp.Object3D(export(turned(mesh, angle), fmt), format=fmt, caption=fmt.upper())
                for fmt, mesh in shapes.items()
            ],
            step,
        )
    log_open3d(w, run)


def log_open3d(w: MediaSink, run: RunConfig) -> None:
    """Open3D geometries go straight in, with no file on disk."""
    import open3d as o3d

    knot = o3d.geometry.TriangleMesh.create_torus(torus_radius=1.0, tube_radius=0.3)
    knot.compute_vertex_normals()
    knot.paint_uniform_color([0.55, 0.35, 0.85])
    frame = o3d.geometry.TriangleMesh.create_coordinate_frame(size=1.0)
    rng = np.random.default_rng(run.seed)
    cloud = o3d.geometry.PointCloud()
    cloud.points = o3d.utility.Vector3dVector(rng.normal(0, 0.5, (2000, 3)))
    cloud.colors = o3d.utility.Vector3dVector(rng.uniform(0, 1, (2000, 3)))
    w.add(
        "mesh/open3d",
        [
            mp.Object3D(knot, caption="open3d torus"),
            mp.Object3D(frame, caption="open3d coordinate frame"),
            mp.Object3D(cloud, caption="open3d point cloud"),
        ],
        0,
    )
