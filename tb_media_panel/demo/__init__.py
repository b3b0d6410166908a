"""The demo logdir: several runs of small models trained on the CPU, logging every media kind.

    from tb_media_panel.demo import write_demo
    write_demo("demo_logdir")            # ~1-2 minutes on 2 cores
    write_demo("demo_logdir", quick=True)  # a few seconds: fewer steps, smaller data

Data comes only from what installs with the package's `demo` extra (scikit-learn's digits,
scikit-image's sample photos, RDKit's bundled SDF files, PeptideBuilder geometry, trimesh
and Open3D primitives) or is synthesised here, so a fresh clone can build it offline.
"""

from tb_media_panel.demo.logdir import (
    DEMO_VERSION,
    MARKER_NAME,
    RUN_NAMES,
    DemoLogdirError,
    is_complete,
    write_demo,
)

__all__ = ["DEMO_VERSION", "MARKER_NAME", "RUN_NAMES", "DemoLogdirError", "is_complete", "write_demo"]
