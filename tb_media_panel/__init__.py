"""tb-media-panel: log media from any framework and lay it out in TensorBoard's Media tab.

    import tb_media_panel as mp
    with mp.Writer("runs/exp1") as w:
        w.add("samples", [mp.Image(a), mp.Image(b)], step=10)
"""

from typing import TYPE_CHECKING, Any

from tb_media_panel import summary
from tb_media_panel.batches import segmentation_batch
from tb_media_panel.media.audio import Audio
from tb_media_panel.media.heatmap import Heatmap
from tb_media_panel.media.html import Html
from tb_media_panel.media.image import Boxes, Image, Mask
from tb_media_panel.media.molecule import Molecule
from tb_media_panel.media.object3d import Object3D
from tb_media_panel.media.pointcloud import Box3D, PointCloud
from tb_media_panel.media.video import Video
from tb_media_panel.writers import Writer, log

if TYPE_CHECKING:
    from tb_media_panel.reader import Item, Reader

__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    # The reader and the store behind it are imported on first use: writing needs neither.
    if name in ("Reader", "Item"):
        from tb_media_panel import reader

        return getattr(reader, name)
    raise AttributeError(f"module 'tb_media_panel' has no attribute {name!r}")


__all__ = [
    "Audio",
    "Box3D",
    "Boxes",
    "Heatmap",
    "Html",
    "Image",
    "Item",
    "Mask",
    "Molecule",
    "Object3D",
    "PointCloud",
    "Reader",
    "Video",
    "Writer",
    "log",
    "segmentation_batch",
    "summary",
]
