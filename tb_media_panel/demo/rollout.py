"""An agent's rollouts as video: tabular Q-learning in a small maze, and at each logged step a
greedy episode rendered to frames with numpy (the learnt state values shaded underneath)."""

from __future__ import annotations

import numpy as np

import tb_media_panel as mp
from tb_media_panel.demo.config import DemoConfig, MediaSink, Metrics, RunConfig

MAZE = (
    "........",
    ".##.###.",
    ".#....#.",
    ".#.##.#.",
    "...#..#.",
    "##.#.##.",
    "...#....",
    "S..#..#G",
)
ACTIONS = ((-1, 0), (1, 0), (0, -1), (0, 1))  # up, down, left, right
CELL = 16  # pixels per cell: 8 cells -> 128 px frames (even sizes, as H.264 needs)
GAMMA = 0.95
EPSILON = 0.2
MAX_EPISODE = 80


def parse() -> tuple[np.ndarray, tuple[int, int], tuple[int, int]]:
    walls = np.array([[c == "#" for c in row] for row in MAZE])
    start = next((r, c) for r, row in enumerate(MAZE) for c, ch in enumerate(row) if ch == "S")
    goal = next((r, c) for r, row in enumerate(MAZE) for c, ch in enumerate(row) if ch == "G")
    return walls, start, goal


def move(walls: np.ndarray, state: tuple[int, int], action: int) -> tuple[int, int]:
    r, c = state[0] + ACTIONS[action][0], state[1] + ACTIONS[action][1]
    if 0 <= r < walls.shape[0] and 0 <= c < walls.shape[1] and not walls[r, c]:
        return (r, c)
    return state


def greedy(q: np.ndarray, state: tuple[int, int], rng: np.random.Generator) -> int:
    best = np.flatnonzero(q[state] == q[state].max())
    return int(rng.choice(best))  # ties broken at random, so an untrained agent wanders


def rollout(q: np.ndarray, walls: np.ndarray, start: tuple[int, int], goal: tuple[int, int], limit: int):
    """The greedy episode: the cells visited and the return."""
    rng = np.random.default_rng(0)
    path, state, total = [start], start, 0.0
    while state != goal and len(path) < limit:
        state = move(walls, state, greedy(q, state, rng))
        total += 10.0 if state == goal else -1.0
        path.append(state)
    return path, total


def render(walls: np.ndarray, goal: tuple[int, int], values: np.ndarray, path: list, upto: int) -> np.ndarray:
    """One (H, W, 3) uint8 frame: values as a blue shade, walls, goal, the trail and the agent."""
    rows, cols = walls.shape
    span = np.ptp(values[~walls]) or 1.0
    shade = (values - values[~walls].min()) / span
    grid = np.empty((rows, cols, 3))
    grid[:] = np.array([235, 235, 240])
    grid = grid * (1 - 0.45 * shade[..., None]) + np.array([60, 110, 220]) * 0.45 * shade[..., None]
    grid[walls] = (50, 50, 60)
    grid[goal] = (70, 200, 90)
    for r, c in path[:upto]:
        grid[r, c] = grid[r, c] * 0.6 + np.array([250, 200, 120]) * 0.4
    frame = np.kron(grid, np.ones((CELL, CELL, 1))).astype(np.uint8)
    r, c = path[min(upto, len(path) - 1)]
    yy, xx = np.mgrid[:CELL, :CELL]
    disk = (yy - CELL / 2 + 0.5) ** 2 + (xx - CELL / 2 + 0.5) ** 2 <= (CELL * 0.38) ** 2
    frame[r * CELL : (r + 1) * CELL, c * CELL : (c + 1) * CELL][disk] = (240, 110, 30)
    return frame


def train(run: RunConfig, cfg: DemoConfig, metrics: Metrics) -> dict[int, np.ndarray]:
    """Q-learning; alpha = 50 x the run's learning rate (tabular updates need larger steps)."""
    walls, start, goal = parse()
    rng = np.random.default_rng(run.seed)
    q = np.zeros((*walls.shape, len(ACTIONS)))
    alpha = min(1.0, run.lr * 50)
    # Quick demos run several episodes per iteration so they still show a learning agent.
    episodes = max(1, 600 // max(1, cfg.iterations))
    logged = set(cfg.logged_steps())
    out: dict[int, np.ndarray] = {}
    for step in range(cfg.iterations + 1):
        if step in logged:
            out[step] = q.copy()
            metrics.add("rollout/greedy_return", step, rollout(q, walls, start, goal, MAX_EPISODE)[1])
        if step == cfg.iterations:
            break
        for _ in range(episodes):
            state = start
            for _ in range(MAX_EPISODE):
                explore = rng.random() < EPSILON
                action = int(rng.integers(len(ACTIONS))) if explore else greedy(q, state, rng)
                after = move(walls, state, action)
                reward = 10.0 if after == goal else -1.0
                future = 0.0 if after == goal else GAMMA * q[after].max()
                q[state][action] += alpha * (reward + future - q[state][action])
                state = after
                if state == goal:
                    break
    return out


def log(w: MediaSink, run: RunConfig, cfg: DemoConfig, metrics: Metrics) -> None:
    walls, start, goal = parse()
    for step, q in train(run, cfg, metrics).items():
        path, total = rollout(q, walls, start, goal, cfg.video_max_frames)
        values = q.max(axis=2)
        frames = [render(walls, goal, values, path, i) for i in range(len(path))]
        frames += frames[-1:] * 3  # hold the last frame, so the end of the episode is seen
        outcome = "reached the goal" if path[-1] == goal else "lost"
        w.add(
            "rollout/episode",
            mp.Video(np.stack(frames), fps=6, caption=f"return {total:+.0f}, {outcome}"),
            step,
        )
