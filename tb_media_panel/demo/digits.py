"""A small variational autoencoder on scikit-learn's 8x8 digits: reconstructions and samples
from the prior, logged as a batch (the index axis) at each logged step."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

import tb_media_panel as mp
from tb_media_panel.demo.config import DemoConfig, MediaSink, Metrics, RunConfig

SCALE = 4  # 8x8 digits are upscaled (nearest) so a grid cell shows pixels, not a blur
LATENT = 4


class DigitsVAE(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 2 * LATENT))
        self.decoder = nn.Sequential(nn.Linear(LATENT, 128), nn.ReLU(), nn.Linear(128, 64), nn.Sigmoid())

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        mean, log_var = self.encoder(x).chunk(2, dim=1)
        z = mean + torch.randn_like(mean) * torch.exp(0.5 * log_var)
        return self.decoder(z), mean, log_var


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """(N, 64) float32 in [0, 1] and (N,) labels."""
    from sklearn.datasets import load_digits as sklearn_digits

    digits = sklearn_digits()
    return (digits.data / 16.0).astype(np.float32), digits.target.astype(np.int64)


def to_picture(flat: np.ndarray) -> np.ndarray:
    """(64,) in [0, 1] -> (32, 32) uint8, white digit on black."""
    image = np.clip(flat.reshape(8, 8), 0.0, 1.0)
    image = np.kron(image, np.ones((SCALE, SCALE), dtype=np.float32))
    return np.rint(image * 255).astype(np.uint8)


def side_by_side(original: np.ndarray, reconstruction: np.ndarray) -> np.ndarray:
    """Input | reconstruction with a grey separator, so one cell shows how close they are."""
    left, right = to_picture(original), to_picture(reconstruction)
    gap = np.full((left.shape[0], 2), 128, dtype=np.uint8)
    return np.concatenate([left, gap, right], axis=1)


def train(run: RunConfig, cfg: DemoConfig, metrics: Metrics) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Train the VAE; at each logged step return (reconstructions, samples) as (B, 64) arrays."""
    torch.manual_seed(run.seed)
    data, _ = load_digits()
    rng = np.random.default_rng(run.seed)
    shown = torch.from_numpy(data[: cfg.batch])  # the same inputs every step, so cells compare
    prior = torch.randn(cfg.batch, LATENT, generator=torch.Generator().manual_seed(0))
    model = DigitsVAE()
    optimizer = torch.optim.Adam(model.parameters(), lr=run.lr)
    logged = set(cfg.logged_steps())
    out: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    tensor = torch.from_numpy(data)
    for step in range(cfg.iterations + 1):
        if step in logged:
            model.eval()
            with torch.no_grad():
                _, mean, _ = model(shown)
                reconstructions = model.decoder(mean).numpy()
                samples = model.decoder(prior).numpy()
            out[step] = (reconstructions, samples)
            model.train()
        if step == cfg.iterations:
            break
        batch = tensor[rng.integers(0, len(data), size=128)]
        recon, mean, log_var = model(batch)
        reconstruction = nn.functional.binary_cross_entropy(recon, batch, reduction="sum") / len(batch)
        kl = -0.5 * torch.sum(1 + log_var - mean.pow(2) - log_var.exp()) / len(batch)
        loss = reconstruction + kl
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % 10 == 0:
            metrics.add("digits/loss", step, loss.item())
    return out


def log(w: MediaSink, run: RunConfig, cfg: DemoConfig, metrics: Metrics) -> None:
    data, labels = load_digits()
    for step, (reconstructions, samples) in train(run, cfg, metrics).items():
        w.add(
            "digits/reconstructions",
            [
                mp.Image(
                    side_by_side(data[i], reconstructions[i]), caption=f"digit {labels[i]}: input | output"
                )
                for i in range(len(reconstructions))
            ],
            step,
        )
        w.add(
            "digits/samples",
            [mp.Image(to_picture(s), caption=f"sample {i}") for i, s in enumerate(samples)],
            step,
        )
