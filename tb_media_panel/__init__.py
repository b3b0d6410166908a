"""tb-media-panel: log media from any framework and lay it out in TensorBoard's Media tab.

    import tb_media_panel as mp
    with mp.Writer("runs/exp1") as w:
        w.add("samples", [mp.Image(a), mp.Image(b)], step=10)
"""

from tb_media_panel import summary
from tb_media_panel.media.audio import Audio
from tb_media_panel.media.html import Html
from tb_media_panel.media.image import Boxes, Image, Mask
from tb_media_panel.media.molecule import Molecule
from tb_media_panel.media.object3d import Object3D
from tb_media_panel.media.pointcloud import Box3D, PointCloud
from tb_media_panel.media.video import Video
from tb_media_panel.writers import Writer, log

__version__ = "0.1.0"

__all__ = [
    "Audio",
    "Box3D",
    "Boxes",
    "Html",
    "Image",
    "Mask",
    "Molecule",
    "Object3D",
    "PointCloud",
    "Video",
    "Writer",
    "log",
    "summary",
]
