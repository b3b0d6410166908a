"""A run written only through PyTorch's own `SummaryWriter` (no tb_media_panel API): images,
videos, audio, meshes and text as TensorBoard has always stored them, to show that logs written
before the plugin was installed appear in the Media tab too."""

from __future__ import annotations

import io

import numpy as np

from tb_media_panel.demo import digits, meshes, rollout, sound
from tb_media_panel.demo.config import RUNS, DemoConfig, Metrics

NOTES = """### Legacy run

Written with `torch.utils.tensorboard.SummaryWriter` only:

| call | tag |
|---|---|
| `add_image` | `legacy/cat` |
| `add_images` | `legacy/digit_samples` |
| `add_video` | `legacy/rollout` |
| `add_audio` | `legacy/generated` |
| `add_mesh` | `legacy/fitted_shape` |
| `add_text` | `legacy/notes` |
"""


def noisy_cat(progress: float, seed: int) -> np.ndarray:
    """scikit-image's cat under noise that fades as `progress` goes from 0 to 1 (a 'denoiser')."""
    from skimage import data

    cat = data.cat().astype(np.float32) / 255.0
    noise = np.random.default_rng(seed).normal(0, 0.5 * (1.0 - progress), cat.shape)
    return np.clip(cat + noise, 0.0, 1.0)


def gif_summary(tag: str, frames: np.ndarray, fps: float):  # -> Summary proto
    """What `add_video` stores (an animated GIF in an image summary), made with Pillow when
    moviepy 1.x, which torch's `add_video` needs, is not installed."""
    from PIL import Image as PILImage
    from torch.utils.tensorboard.summary import Summary

    images = [PILImage.fromarray(f) for f in frames]
    out = io.BytesIO()
    images[0].save(
        out, format="GIF", save_all=True, append_images=images[1:], duration=int(1000 / fps), loop=0
    )
    _, h, w, c = frames.shape
    image = Summary.Image(height=h, width=w, colorspace=c, encoded_image_string=out.getvalue())
    return Summary(value=[Summary.Value(tag=tag, image=image)])


def has_moviepy_editor() -> bool:
    try:
        from moviepy import editor  # noqa: F401  (torch's add_video imports exactly this)
    except ImportError:
        return False
    return True


def write(run_dir: str, cfg: DemoConfig) -> None:
    import torch
    from torch.utils.tensorboard import SummaryWriter

    run = RUNS[1]
    metrics = Metrics()
    reconstructions = digits.train(run, cfg, metrics)
    fitted_sphere, fits = meshes.fit(run, cfg, metrics)
    agents = rollout.train(run, cfg, metrics)
    _, clips = sound.train(run, cfg, metrics)
    walls, start, goal = rollout.parse()
    directions = np.asarray(fitted_sphere.vertices)
    faces = torch.from_numpy(np.asarray(fitted_sphere.faces, dtype=np.int32))[None]
    goal_radii = meshes.target_radius(directions)
    steps = cfg.logged_steps()
    use_moviepy = has_moviepy_editor()
    writer = SummaryWriter(run_dir)
    try:
        writer.add_text("legacy/notes", NOTES, 0)
        for n, step in enumerate(steps):
            progress = n / max(1, len(steps) - 1)
            writer.add_image("legacy/cat", noisy_cat(progress, n), step, dataformats="HWC")
            samples = reconstructions[step][1].reshape(-1, 1, 8, 8)
            writer.add_images("legacy/digit_samples", np.kron(samples, np.ones((1, 1, 4, 4))), step)
            path, _ = rollout.rollout(agents[step], walls, start, goal, cfg.video_max_frames)
            values = agents[step].max(axis=2)
            frames = np.stack([rollout.render(walls, goal, values, path, i) for i in range(len(path))])
            if use_moviepy:
                video = torch.from_numpy(frames).permute(0, 3, 1, 2)[None]  # (1, T, C, H, W)
                writer.add_video("legacy/rollout", video, step, fps=6)
            else:
                writer._get_file_writer().add_summary(gif_summary("legacy/rollout", frames, 6), step)
            writer.add_audio(
                "legacy/generated", torch.from_numpy(clips[step]), step, sample_rate=sound.SAMPLE_RATE
            )
            error = np.abs(fits[step] - goal_radii)
            writer.add_mesh(
                "legacy/fitted_shape",
                vertices=torch.from_numpy((directions * fits[step][:, None]).astype(np.float32))[None],
                colors=torch.from_numpy(meshes.error_colours(error)[:, :3].astype(np.int32))[None],
                faces=faces,
                global_step=step,
            )
        for tag, values in metrics.series.items():
            for step, value in values:
                writer.add_scalar(f"legacy/{tag}", value, step)
    finally:
        writer.close()
