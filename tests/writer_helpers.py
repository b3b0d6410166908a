"""Reading event files back with TensorBoard's own loader, as a user's TensorBoard would."""

from __future__ import annotations

from pathlib import Path

from tensorboard.backend.event_processing.event_file_loader import EventFileLoader

from tb_media_panel.proto import media_pb2
from tb_media_panel.records import PLUGIN_NAME, decode_item


def read_media(logdir: Path) -> dict[tuple[str, int], list[media_pb2.MediaItem]]:
    """{(tag, step): [item records]} for every media_panel value under logdir."""
    found: dict[tuple[str, int], list[media_pb2.MediaItem]] = {}
    for path in sorted(logdir.rglob("*tfevents*")):
        for event in EventFileLoader(str(path)).Load():
            for value in event.summary.value:
                if value.metadata.plugin_data.plugin_name != PLUGIN_NAME:
                    continue
                items = [decode_item(blob) for blob in value.tensor.string_val]
                found.setdefault((value.tag, event.step), []).extend(items)
    return found
