"""The JSON bodies of the HTTP routes (docs/http-api.md), built from the query layer's typed
results (store/results.py): the one module that knows the wire's shapes and key names.

Steps go as numbers while JavaScript holds them exactly, else as decimal strings; a
non-finite float (from a damaged or crafted record) goes as 0.0, which JSON can carry.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from tb_media_panel.store.results import (
    BatchResult,
    BoxLayer,
    ClassLabel,
    HeatmapMeta,
    ItemMeta,
    PointCloudMeta,
    RunList,
    SeriesAnswer,
    StepItems,
    TagSummary,
)

MAX_SAFE_STEP = (1 << 53) - 1  # JavaScript's Number.MAX_SAFE_INTEGER: larger steps go as strings

JSON = dict[str, Any]


def wire_step(step: int) -> int | str:
    """A step as JSON carries it exactly to JavaScript: a number while it is a safe integer,
    else its decimal string."""
    return step if -MAX_SAFE_STEP <= step <= MAX_SAFE_STEP else str(step)


def wire_steps(steps: np.ndarray) -> list[int | str]:
    if not len(steps) or (-MAX_SAFE_STEP <= steps.min() and steps.max() <= MAX_SAFE_STEP):
        return steps.tolist()  # type: ignore[no-any-return]
    return [wire_step(s) for s in steps.tolist()]


def _finite(value: float) -> float:
    return value if math.isfinite(value) else 0.0


def _floats(values: Iterable[float]) -> list[float]:
    return [v if math.isfinite(v) else 0.0 for v in values]


def error(message: str) -> JSON:
    return {"error": message}


def generation(value: int) -> JSON:
    return {"generation": value}


def runs(answer: RunList) -> JSON:
    progress = answer.progress
    return {
        "generation": answer.generation,
        "runs": [{"name": r.name, "skipped_records": r.skipped_records} for r in answer.runs],
        "progress": {
            "files_done": progress.files_done,
            "files_total": progress.files_total,
            "bytes_done": progress.bytes_done,
            "bytes_total": progress.bytes_total,
            "done": progress.done,
        },
        "warnings": list(answer.warnings),
    }


def tags(summaries: Iterable[TagSummary]) -> JSON:
    return {
        "tags": [
            {
                "run": t.run,
                "tag": t.tag,
                "kind": t.kind,
                "source": t.source,
                "step_count": t.step_count,
                "first_step": wire_step(t.first_step),
                "last_step": wire_step(t.last_step),
                "max_items": t.max_items,
                "purged": t.purged,
                "description": t.description,
                "version": t.version,
            }
            for t in summaries
        ]
    }


def series(answer: SeriesAnswer) -> JSON:
    body: JSON = {
        "tag": answer.tag,
        "step_min": None if answer.step_min is None else wire_step(answer.step_min),
        "step_max": None if answer.step_max is None else wire_step(answer.step_max),
        "runs": {
            run: {
                "steps": wire_steps(found.window.steps),
                "counts": found.window.counts.tolist(),
                "wall_times": _floats(found.window.wall_times.tolist()),
                "total": found.window.total,
                "purged": found.purged,
            }
            for run, found in answer.runs.items()
        },
    }
    if answer.errors:
        body["errors"] = dict(answer.errors)
    return body


def _labels(labels: Iterable[ClassLabel]) -> list[JSON]:
    return [{"id": c.id, "name": c.name, "color": c.color} for c in labels]


def _box_layer(layer: BoxLayer) -> JSON:
    return {
        "name": layer.name,
        "domain": layer.domain,
        "class_labels": _labels(layer.class_labels),
        "boxes": [
            {
                "min_x": _finite(b.min_x),
                "min_y": _finite(b.min_y),
                "max_x": _finite(b.max_x),
                "max_y": _finite(b.max_y),
                "class_id": b.class_id,
                "scores": {name: _finite(v) for name, v in b.scores.items()},
                "caption": b.caption,
            }
            for b in layer.boxes
        ],
    }


def _heatmap(layer: HeatmapMeta) -> JSON:
    return {
        "name": layer.name,
        "width": layer.width,
        "height": layer.height,
        "dtype": layer.dtype,
        "vmin": None if layer.vmin is None else _finite(layer.vmin),
        "vmax": None if layer.vmax is None else _finite(layer.vmax),
        "colormap": layer.colormap,
        "min": _finite(layer.min),
        "max": _finite(layer.max),
        "p01": _finite(layer.p01),
        "p99": _finite(layer.p99),
        "nan_count": layer.nan_count,
        "role": layer.role,
        "of": layer.of,
    }


def _point_cloud(cloud: PointCloudMeta) -> JSON:
    return {
        "num_points": cloud.num_points,
        "label_bytes": cloud.label_bytes,
        "has_colors": cloud.has_colors,
        "class_labels": _labels(cloud.class_labels),
        "boxes": [
            {
                "center": _floats(b.center),
                "size": _floats(b.size),
                "rotation": _floats(b.rotation),
                "label": b.label,
                "score": None if b.score is None else _finite(b.score),
                "color": None if b.color is None else list(b.color),
            }
            for b in cloud.boxes
        ],
        "vectors": [
            {
                "start": _floats(v.start),
                "end": _floats(v.end),
                "color": None if v.color is None else list(v.color),
            }
            for v in cloud.vectors
        ],
    }


def item(meta: ItemMeta, inline: bytes | None = None) -> JSON:
    """One item's metadata; `inline`: its image bytes, carried as base64."""
    body: JSON = {
        "index": meta.index,
        "kind": meta.kind,
        "mime": meta.mime,
        "format": meta.format,
        "caption": meta.caption,
        "size": meta.size,
        "width": meta.width,
        "height": meta.height,
        "fps": _finite(meta.fps),
        "frames": meta.frames,
        "sample_rate": meta.sample_rate,
        "channels": meta.channels,
        "duration": _finite(meta.duration),
        "title": meta.title,
        "masks": [
            {
                "name": m.name,
                "width": m.width,
                "height": m.height,
                "class_labels": _labels(m.class_labels),
            }
            for m in meta.masks
        ],
        "boxes": [_box_layer(layer) for layer in meta.boxes],
        "heatmaps": [_heatmap(h) for h in meta.heatmaps],
        "values": None if meta.values is None else _heatmap(meta.values),
        "point_cloud": None if meta.point_cloud is None else _point_cloud(meta.point_cloud),
        "key": meta.key,
    }
    if meta.text is not None:
        table = meta.text
        body["text"] = {"shape": list(table.shape), "rows": table.rows, "rank": table.rank}
    if inline is not None:
        body["inline"] = base64.b64encode(inline).decode()
    return body


def step_items(found: StepItems, inline: Mapping[int, bytes] | None = None) -> JSON:
    inline = inline or {}
    return {
        "run": found.run,
        "tag": found.tag,
        "step": wire_step(found.step),
        "wall_time": _finite(found.wall_time),
        "items": [item(meta, inline.get(meta.index)) for meta in found.items],
    }


def batch(results: Iterable[BatchResult]) -> JSON:
    answers = []
    for result in results:
        if result.error:
            answers.append(
                {
                    "run": result.run,
                    "tag": result.tag,
                    "step": wire_step(result.step),
                    "error": result.error,
                }
            )
        elif result.found is None:  # nothing logged at or before the step
            answers.append(
                {"run": result.run, "tag": result.tag, "step": None, "wall_time": None, "items": []}
            )
        else:
            answers.append(step_items(result.found, result.inline))
    return {"results": answers}
