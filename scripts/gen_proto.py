"""Regenerate tb_media_panel/proto/media_pb2.py(i) from media.proto: `make proto`.

The generated module is committed. protoc stamps a check that the protobuf runtime is at
least its own version; we drop that check because the descriptor-builder code it emits runs
on every runtime since 3.20, and users' TensorBoard/TensorFlow installs pin older ones.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

PROTO_DIR = Path(__file__).resolve().parent.parent / "tb_media_panel" / "proto"


def main() -> None:
    subprocess.run(
        [sys.executable, "-m", "grpc_tools.protoc", f"-I{PROTO_DIR}",
         f"--python_out={PROTO_DIR}", f"--pyi_out={PROTO_DIR}", "media.proto"],
        check=True,
    )
    module = PROTO_DIR / "media_pb2.py"
    text = module.read_text()
    text = re.sub(r"from google\.protobuf import runtime_version as _runtime_version\n", "", text)
    text = re.sub(r"_runtime_version\.ValidateProtobufRuntimeVersion\([^)]*\)\n", "", text)
    module.write_text(text)


if __name__ == "__main__":
    main()
