"""Point-cloud segmentation: a small MLP labels the points of a LIDAR-like street scene (ground,
boulders, crates, poles). Each logged step shows predicted vs true classes with 3D boxes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

import tb_media_panel as mp
from tb_media_panel.demo.config import DemoConfig, MediaSink, Metrics, RunConfig

CLASS_LABELS = {0: "ground", 1: "boulder", 2: "crate", 3: "pole"}
# The clouds start coloured by class: earth for the ground (most of the points) keeps the
# palette's bright colours for the objects, which are what the boxes and labels are about.
CLASS_LEGEND = {0: {"name": "ground", "color": "#b39b7d"}, **{k: v for k, v in CLASS_LABELS.items() if k}}
# z is up, as in LIDAR data; metres.


@dataclass
class PointScene:
    points: np.ndarray  # (N, 3) float32
    colors: np.ndarray  # (N, 3) uint8, a height/shade colouring independent of the class
    labels: np.ndarray  # (N,) class ids
    instances: np.ndarray  # (N,) object index, -1 for the ground
    objects: list[tuple[int, np.ndarray, np.ndarray, float]]  # (class, center, size, yaw)


def _quaternion_z(yaw: float) -> tuple[float, float, float, float]:
    return (float(np.cos(yaw / 2)), 0.0, 0.0, float(np.sin(yaw / 2)))


def make_scene(num_points: int, seed: int = 7) -> PointScene:
    """Primitives sampled on their surfaces with trimesh, plus sensor noise."""
    import trimesh

    rng = np.random.default_rng(seed)
    objects: list[tuple[int, np.ndarray, np.ndarray, float]] = []
    meshes: list[tuple[int, trimesh.Trimesh]] = []
    spots = rng.permutation([(x, y) for x in (-6, -2, 2, 6) for y in (-6, -2, 2, 6)])[:9]
    for i, (x, y) in enumerate(spots):
        cls = 1 + i % 3
        yaw = float(rng.uniform(0, np.pi))
        x, y = x + rng.uniform(-0.8, 0.8), y + rng.uniform(-0.8, 0.8)
        if cls == 1:
            radius = rng.uniform(0.6, 1.1)
            mesh = trimesh.creation.icosphere(subdivisions=3, radius=radius)
            size = np.array([2 * radius] * 3)
            mesh.apply_translation([x, y, radius * 0.7])
            center = np.array([x, y, radius * 0.7])
        elif cls == 2:
            size = rng.uniform([0.8, 0.8, 0.6], [1.8, 1.4, 1.4])
            mesh = trimesh.creation.box(extents=size)
            mesh.apply_transform(trimesh.transformations.rotation_matrix(yaw, [0, 0, 1]))
            center = np.array([x, y, size[2] / 2])
            mesh.apply_translation(center)
        else:
            height = rng.uniform(2.5, 4.0)
            mesh = trimesh.creation.cylinder(radius=0.15, height=height)
            size = np.array([0.3, 0.3, height])
            center = np.array([x, y, height / 2])
            mesh.apply_translation(center)
        objects.append((cls, center, size, yaw if cls == 2 else 0.0))
        meshes.append((cls, mesh))
    ground_n = num_points // 2
    ground = np.column_stack(
        [rng.uniform(-9, 9, ground_n), rng.uniform(-9, 9, ground_n), rng.normal(0, 0.02, ground_n)]
    )
    per_object = (num_points - ground_n) // len(meshes)
    parts, labels, instances = [ground], [np.zeros(ground_n, dtype=np.int64)], [np.full(ground_n, -1)]
    for index, (cls, mesh) in enumerate(meshes):
        surface, _ = trimesh.sample.sample_surface(mesh, per_object, seed=seed + index)
        parts.append(surface[surface[:, 2] > 0.0])  # the part of a boulder below ground is unseen
        labels.append(np.full(len(parts[-1]), cls))
        instances.append(np.full(len(parts[-1]), index))
    points = np.concatenate(parts) + rng.normal(0, 0.015, (sum(len(p) for p in parts), 3))
    shade = np.clip(0.35 + points[:, 2:3] / 4.0 + rng.normal(0, 0.04, (len(points), 1)), 0, 1)
    colors = (shade * np.array([[200, 210, 230]])).astype(np.uint8)
    return PointScene(
        points.astype(np.float32), colors, np.concatenate(labels), np.concatenate(instances), objects
    )


def fourier_features(points: np.ndarray) -> torch.Tensor:
    """Sines of xyz at a few frequencies: lets a small MLP draw sharp class boundaries."""
    x = torch.from_numpy(points)
    frequencies = torch.tensor([0.5, 1.0])
    angles = (x[:, :, None] * frequencies).reshape(len(x), -1)
    return torch.cat([x / 9.0, torch.sin(angles), torch.cos(angles)], dim=1)


def true_boxes(scene: PointScene) -> list[mp.Box3D]:
    return [
        mp.Box3D(center, size, rotation=_quaternion_z(yaw), label=CLASS_LABELS[cls])
        for cls, center, size, yaw in scene.objects
    ]


def predicted_boxes(scene: PointScene, predicted: np.ndarray) -> list[mp.Box3D]:
    """One box per object the net found: the extent of the object's points it labelled right;
    score = the share of the object's points labelled right."""
    boxes = []
    for index, (cls, _center, _size, _yaw) in enumerate(scene.objects):
        mine = scene.instances == index
        found = mine & (predicted == cls)
        score = float(found.sum() / max(1, mine.sum()))
        if found.sum() < 10:
            continue
        low, high = scene.points[found].min(axis=0), scene.points[found].max(axis=0)
        boxes.append(mp.Box3D((low + high) / 2, high - low, label=CLASS_LABELS[cls], score=round(score, 3)))
    return boxes


def train(run: RunConfig, cfg: DemoConfig, metrics: Metrics) -> tuple[PointScene, dict[int, np.ndarray]]:
    torch.manual_seed(run.seed)
    scene = make_scene(cfg.num_points)
    features = fourier_features(scene.points)
    targets = torch.from_numpy(scene.labels)
    model = nn.Sequential(
        nn.Linear(features.shape[1], 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 4)
    )
    optimizer = torch.optim.Adam(model.parameters(), lr=run.lr)
    rng = np.random.default_rng(run.seed)
    logged = set(cfg.logged_steps())
    out: dict[int, np.ndarray] = {}
    for step in range(cfg.iterations + 1):
        if step in logged:
            with torch.no_grad():
                predicted = model(features).argmax(dim=1).numpy()
            out[step] = predicted
            metrics.add("pointcloud/accuracy", step, float((predicted == scene.labels).mean()))
        if step == cfg.iterations:
            break
        pick = torch.from_numpy(rng.integers(0, len(features), size=256))
        loss = nn.functional.cross_entropy(model(features[pick]), targets[pick])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % 10 == 0:
            metrics.add("pointcloud/loss", step, loss.item())
    return scene, out


def log(w: MediaSink, run: RunConfig, cfg: DemoConfig, metrics: Metrics) -> None:
    scene, predictions = train(run, cfg, metrics)
    truth = mp.PointCloud(
        scene.points,
        colors=scene.colors,
        labels=scene.labels,
        class_labels=CLASS_LEGEND,
        boxes=true_boxes(scene),
        # The sensor's heading: vectors draw as arrows in the viewer.
        vectors=[((0.0, 0.0, 1.8), (3.0, 0.0, 1.8), (255, 80, 80))],
        caption="ground truth",
    )
    for step, predicted in predictions.items():
        accuracy = float((predicted == scene.labels).mean())
        objects = scene.instances >= 0
        on_objects = float((predicted[objects] == scene.labels[objects]).mean())
        w.add("pointcloud/true", truth, step)
        w.add(
            "pointcloud/predicted",
            mp.PointCloud(
                scene.points,
                colors=scene.colors,
                labels=predicted,
                class_labels=CLASS_LEGEND,
                boxes=predicted_boxes(scene, predicted),
                caption=f"accuracy {accuracy:.1%}, on objects {on_objects:.1%}",
            ),
            step,
        )
