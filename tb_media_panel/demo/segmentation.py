"""Segmentation: a tiny dilated conv net learns to find circles, squares and triangles pasted on
scikit-image's sample photos (the cat among them). Each logged step shows the same validation
photos with "prediction" (a probability mask: class and confidence per pixel) and
"ground_truth" mask layers, boxes with scores, and a heatmap layer of the scene's depth."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

import tb_media_panel as mp
from tb_media_panel.demo.config import DemoConfig, MediaSink, Metrics, RunConfig

CLASS_LABELS = {0: "background", 1: "circle", 2: "square", 3: "triangle"}
TRAIN_SCENES = 384  # generated once; enough variety that the net cannot memorise backgrounds
SEG_BATCH = 8
MIN_BOX_PIXELS = 12  # predicted blobs smaller than this are noise, not objects
# In pixels, not a fraction of the image: the net sees shapes of the same size in the small
# training crops and the larger logged photos.
SHAPE_RADIUS = (8.0, 13.0)
# The scene's depth in metres: the photo is a ground plane from FAR_M (top) to NEAR_M (bottom),
# each shape a card nearer than the one under it; a sensor sees nothing beyond MAX_RANGE_M.
FAR_M, NEAR_M, MAX_RANGE_M = 12.0, 2.0, 11.5


@dataclass
class Scene:
    image: np.ndarray  # (H, W, 3) uint8
    mask: np.ndarray  # (H, W) int64 class ids
    boxes: list[tuple[int, int, int, int, int]]  # (class_id, min_x, min_y, max_x, max_y) pixels
    depth: np.ndarray  # (H, W) float32 metres, NaN where out of range


def photos() -> list[np.ndarray]:
    """scikit-image's bundled colour photos, centre-cropped square."""
    from skimage import data

    out = []
    for load in (data.chelsea, data.astronaut, data.coffee, data.cat, data.rocket):
        image = load()
        h, w = image.shape[:2]
        side = min(h, w)
        top, left = (h - side) // 2, (w - side) // 2
        out.append(image[top : top + side, left : left + side])
    return out


def resize(image: np.ndarray, size: int) -> np.ndarray:
    from PIL import Image as PILImage

    return np.asarray(PILImage.fromarray(image).resize((size, size), PILImage.Resampling.BILINEAR))


def paste_shapes(background: np.ndarray, rng: np.random.Generator, count: int) -> Scene:
    """Draw `count` random shapes; the ground truth is what stays visible after overlaps."""
    from skimage import draw

    image = background.copy()
    size = image.shape[0]
    mask = np.zeros((size, size), dtype=np.int64)
    instances = np.zeros((size, size), dtype=np.int64)
    rows = np.linspace(FAR_M, NEAR_M, size, dtype=np.float32)
    depth = np.repeat(rows[:, None], size, axis=1)
    depth[depth > MAX_RANGE_M] = np.nan
    classes: list[int] = []
    for n in range(1, count + 1):
        cls = int(rng.integers(1, 4))
        r = rng.uniform(*SHAPE_RADIUS)
        cy, cx = rng.uniform(r, size - r, size=2)
        if cls == 1:
            rr, cc = draw.disk((cy, cx), r, shape=mask.shape)
        elif cls == 2:
            rr, cc = draw.rectangle(
                (cy - r * 0.85, cx - r * 0.85), (cy + r * 0.85, cx + r * 0.85), shape=mask.shape
            )
            rr, cc = rr.astype(int), cc.astype(int)
        else:
            angle = rng.uniform(0, 2 * np.pi)
            corners = [angle + k * 2 * np.pi / 3 for k in range(3)]
            rows = [cy + r * 1.1 * np.sin(a) for a in corners]
            cols = [cx + r * 1.1 * np.cos(a) for a in corners]
            rr, cc = draw.polygon(rows, cols, shape=mask.shape)
        colour = rng.integers(30, 256, size=3)
        colour[rng.integers(0, 3)] = rng.integers(0, 60)  # saturated, so shapes stand out
        image[rr, cc] = colour
        mask[rr, cc] = cls
        instances[rr, cc] = n
        depth[rr, cc] = 1.8 - 0.25 * n + 0.01 * (rr - cy)  # later shapes are nearer, tilted
        classes.append(cls)
    boxes = []
    for n, cls in enumerate(classes, start=1):
        ys, xs = np.nonzero(instances == n)
        if len(ys) >= MIN_BOX_PIXELS:
            boxes.append((cls, int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1))
    return Scene(image, mask, boxes, depth)


def training_scenes(size: int, view: int, count: int, seed: int) -> list[Scene]:
    """Crops of the photos at the scale they are shown at (a train/validation split of the same
    photos, as in any small dataset), with new shapes pasted on."""
    rng = np.random.default_rng(seed)
    sources = [resize(p, view) for p in photos()]
    scenes = []
    for _ in range(count):
        source = sources[int(rng.integers(len(sources)))]
        top, left = rng.integers(0, source.shape[0] - size, size=2)
        crop = source[top : top + size, left : left + size]
        scenes.append(paste_shapes(crop, rng, int(rng.integers(1, 4))))
    return scenes


def validation_scenes(size: int, count: int) -> list[Scene]:
    """Whole photos (the same in every run and step) so cells line up over time."""
    rng = np.random.default_rng(1234)
    sources = photos()
    return [paste_shapes(resize(sources[i % len(sources)], size), rng, 3 + i % 2) for i in range(count)]


class TinySegmenter(nn.Module):
    """Half-resolution dilated convs: a ~40 px receptive field (enough to tell a square from a
    disk) at a quarter of the full-resolution cost, which keeps the demo fast on 2 cores."""

    def __init__(self, width: int = 24) -> None:
        super().__init__()
        layers: list[nn.Module] = [
            nn.Conv2d(3, 12, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(12, width, 3, stride=2, padding=1),
            nn.ReLU(),
        ]
        for dilation in (1, 2, 4):
            layers += [nn.Conv2d(width, width, 3, padding=dilation, dilation=dilation), nn.ReLU()]
        layers.append(nn.Conv2d(width, len(CLASS_LABELS), 1))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logits = self.net(x)
        return nn.functional.interpolate(logits, size=x.shape[-2:], mode="bilinear", align_corners=False)


def to_tensor(images: list[np.ndarray]) -> torch.Tensor:
    return torch.from_numpy(np.stack(images).astype(np.float32) / 255.0).permute(0, 3, 1, 2)


def predicted_boxes(probabilities: np.ndarray) -> list[dict]:
    """Connected blobs of each predicted class -> boxes; score = mean confidence in the blob."""
    from scipy import ndimage

    classes = probabilities.argmax(axis=0)
    confidence = probabilities.max(axis=0)
    size = classes.shape[0]
    boxes = []
    for cls in range(1, len(CLASS_LABELS)):
        blobs, _ = ndimage.label(classes == cls)
        for index, found in enumerate(ndimage.find_objects(blobs), start=1):
            if found is None:
                continue
            inside = blobs[found] == index
            if inside.sum() < MIN_BOX_PIXELS:
                continue
            score = float(confidence[found][inside].mean())
            rows, cols = found
            boxes.append(
                {
                    "position": {
                        "min_x": cols.start / size,
                        "min_y": rows.start / size,
                        "max_x": cols.stop / size,
                        "max_y": rows.stop / size,
                    },
                    "class_id": cls,
                    "scores": {"score": round(score, 3)},
                    "box_caption": f"{CLASS_LABELS[cls]} {score:.2f}",
                }
            )
    return boxes


def true_boxes(scene: Scene) -> list[dict]:
    size = scene.image.shape[0]
    return [
        {
            "position": {"min_x": x0 / size, "min_y": y0 / size, "max_x": x1 / size, "max_y": y1 / size},
            "class_id": cls,
            "box_caption": CLASS_LABELS[cls],
        }
        for cls, x0, y0, x1, y1 in scene.boxes
    ]


def mean_iou(predicted: np.ndarray, truth: np.ndarray) -> float:
    ious = []
    for cls in range(1, len(CLASS_LABELS)):
        union = np.logical_or(predicted == cls, truth == cls).sum()
        if union:
            ious.append(np.logical_and(predicted == cls, truth == cls).sum() / union)
    return float(np.mean(ious)) if ious else 1.0


def train(run: RunConfig, cfg: DemoConfig, metrics: Metrics) -> tuple[list[Scene], dict[int, np.ndarray]]:
    """Train; return the validation scenes and, per logged step, their class probabilities."""
    torch.manual_seed(run.seed)
    rng = np.random.default_rng(run.seed)
    count = TRAIN_SCENES if not cfg.quick else 48
    scenes = training_scenes(cfg.seg_size, cfg.seg_view, count, seed=run.seed)
    images = to_tensor([s.image for s in scenes])
    masks = torch.from_numpy(np.stack([s.mask for s in scenes]))
    validation = validation_scenes(cfg.seg_view, cfg.batch)
    val_images = to_tensor([s.image for s in validation])
    val_masks = np.stack([s.mask for s in validation])
    model = TinySegmenter()
    optimizer = torch.optim.Adam(model.parameters(), lr=run.lr)
    # Shapes cover ~10% of pixels: weight them up so "all background" is not a comfortable minimum.
    weights = torch.tensor([0.6, 1.0, 1.0, 1.0])
    logged = set(cfg.logged_steps())
    out: dict[int, np.ndarray] = {}
    for step in range(cfg.iterations + 1):
        if step in logged:
            with torch.no_grad():
                probabilities = torch.softmax(model(val_images), dim=1).numpy()
            out[step] = probabilities
            metrics.add("segmentation/val_mean_iou", step, mean_iou(probabilities.argmax(1), val_masks))
        if step == cfg.iterations:
            break
        for _ in range(cfg.seg_updates_per_step):
            pick = torch.from_numpy(rng.integers(0, len(scenes), size=SEG_BATCH))
            loss = nn.functional.cross_entropy(model(images[pick]), masks[pick], weight=weights)
            optimizer.zero_grad()
            loss.backward()
            # Clipped so the fastest run's first steps cannot push every pixel to "background".
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
        if step % 10 == 0:
            metrics.add("segmentation/loss", step, loss.item())
    return validation, out


def log(w: MediaSink, run: RunConfig, cfg: DemoConfig, metrics: Metrics) -> None:
    validation, predictions = train(run, cfg, metrics)
    for step, probabilities in predictions.items():
        items = []
        for scene, probs in zip(validation, probabilities, strict=True):
            # float16 probabilities: the confidence layer is kept in half the bytes
            per_pixel = probs.transpose(1, 2, 0).astype(np.float16)
            predicted = per_pixel.argmax(axis=-1)
            items.append(
                mp.Image(
                    scene.image,
                    caption=f"mean IoU {mean_iou(predicted, scene.mask):.2f}",
                    masks={
                        "prediction": mp.Mask.from_probabilities(per_pixel, class_labels=CLASS_LABELS),
                        "ground_truth": mp.Mask(scene.mask, class_labels=CLASS_LABELS),
                    },
                    heatmaps={
                        "depth": mp.Heatmap(
                            scene.depth.astype(np.float16), vmin=0, vmax=FAR_M, colormap="turbo"
                        )
                    },
                    boxes={
                        "prediction": mp.Boxes(predicted_boxes(probs), class_labels=CLASS_LABELS),
                        "ground_truth": mp.Boxes(true_boxes(scene), class_labels=CLASS_LABELS),
                    },
                )
            )
        w.add("segmentation/validation", items, step)
    # What a depth camera gives: uint16 millimetres, 0 for no reading (a 16-bit scalar image)
    depth_mm = [np.nan_to_num(s.depth * 1000, nan=0).astype(np.uint16) for s in validation]
    w.add("segmentation/depth_mm", [mp.Image(d, caption="depth (mm)") for d in depth_mm], 0)
