"""Benchmarks of tb-media-panel against its goals and anchors; `python -m benchmarks.run`."""
