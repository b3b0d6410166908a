"""Audio: an additive synthesiser learns the timbre of a target arpeggio (A, C#, E) by gradient
descent on the waveform; at each logged step the generated clip is closer (and less noisy)."""

from __future__ import annotations

import numpy as np
import torch

import tb_media_panel as mp
from tb_media_panel.demo.config import DemoConfig, MediaSink, Metrics, RunConfig

SAMPLE_RATE = 16000
SECONDS = 1.0
NOTES = (440.0, 554.37, 659.25)  # A4, C#5, E5: one third of the clip each
HARMONICS = 8
TARGET_TIMBRE = np.array([1.0, 0.55, 0.35, 0.25, 0.12, 0.08, 0.05, 0.03])


def basis() -> np.ndarray:
    """(samples, notes * harmonics): each note's harmonics under a plucked envelope."""
    t = np.arange(int(SAMPLE_RATE * SECONDS)) / SAMPLE_RATE
    third = len(t) // len(NOTES)
    columns = np.zeros((len(t), len(NOTES) * HARMONICS))
    for n, f in enumerate(NOTES):
        span = slice(n * third, (n + 1) * third)
        local = t[span] - t[span][0]
        envelope = np.exp(-local * 6.0) * np.minimum(1.0, local * 200)  # short attack, decay
        for h in range(HARMONICS):
            columns[span, n * HARMONICS + h] = envelope * np.sin(2 * np.pi * f * (h + 1) * local)
    return columns


def target_wave(columns: np.ndarray) -> np.ndarray:
    return columns @ np.tile(TARGET_TIMBRE, len(NOTES)) * 0.45


def train(run: RunConfig, cfg: DemoConfig, metrics: Metrics) -> tuple[np.ndarray, dict[int, np.ndarray]]:
    """Learn the harmonic amplitudes and a noise gain; return the target and generated clips."""
    columns = basis()
    target = target_wave(columns)
    rng = np.random.default_rng(run.seed)
    noise = torch.from_numpy(rng.normal(0, 1, len(target)))
    matrix, goal = torch.from_numpy(columns), torch.from_numpy(target)
    amplitudes = torch.tensor(rng.uniform(0, 0.3, columns.shape[1]), requires_grad=True)
    noise_gain = torch.tensor(0.3, dtype=torch.float64, requires_grad=True)
    # Scaled down: at the runs' own rates this convex fit would be done within a few steps.
    optimizer = torch.optim.Adam([amplitudes, noise_gain], lr=run.lr * 0.2)
    per_iteration = max(1, 1000 // max(1, cfg.iterations))
    logged = set(cfg.logged_steps())
    out: dict[int, np.ndarray] = {}

    def generate() -> torch.Tensor:
        return matrix @ amplitudes + noise_gain * noise

    for step in range(cfg.iterations + 1):
        if step in logged:
            with torch.no_grad():
                out[step] = np.clip(generate().numpy(), -1.0, 1.0).astype(np.float32)
        if step == cfg.iterations:
            break
        for _ in range(per_iteration):
            loss = (generate() - goal).pow(2).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        if step % 10 == 0:
            metrics.add("audio/waveform_mse", step, loss.item())
    return target.astype(np.float32), out


def chirp(low: float, high: float) -> np.ndarray:
    t = np.arange(int(SAMPLE_RATE * SECONDS)) / SAMPLE_RATE
    phase = 2 * np.pi * (low * t + (high - low) * t**2 / (2 * SECONDS))
    return (0.5 * np.sin(phase) * np.minimum(1.0, (SECONDS - t) * 20)).astype(np.float32)


def log(w: MediaSink, run: RunConfig, cfg: DemoConfig, metrics: Metrics) -> None:
    target, generated = train(run, cfg, metrics)
    target_clip = mp.Audio(target, sample_rate=SAMPLE_RATE, caption="target: A-C#-E arpeggio")
    for step, clip in generated.items():
        w.add("audio/target", target_clip, step)
        mse = float(np.mean((clip - target) ** 2))
        w.add("audio/generated", mp.Audio(clip, sample_rate=SAMPLE_RATE, caption=f"MSE {mse:.4f}"), step)
    if run.seed != 1:
        return  # the same clip in every run would only repeat itself: the first run has it
    # A stereo clip: the left channel rises while the right falls.
    stereo = np.column_stack([chirp(200, 2000), chirp(2000, 200)])
    w.add("audio/stereo_chirp", mp.Audio(stereo, sample_rate=SAMPLE_RATE, caption="stereo chirp"), 0)
