"""The `tb-media-panel` command.

    tb-media-panel demo --logdir demo_logdir [--port 6006] [--host 127.0.0.1] [--no-serve] [--quick]

writes the demo logdir (unless a complete one is already there) and then runs
`tensorboard --logdir DIR` on it, printing the URL of the Media tab.

    tb-media-panel export --logdir D --tag T [--run R] [--index I] [--steps A:B] [--overlay] --to OUT

writes logged media out (see export.py).

    tb-media-panel import-wandb PATH --logdir D

writes a W&B run directory's media and scalars into D/<run name> (see wandb_import.py).
"""

from __future__ import annotations

import argparse
import errno
import os
import socket
import sys
import urllib.parse
from collections.abc import Callable, Sequence
from typing import Any

from tb_media_panel.records import PLUGIN_NAME

# The panel's URL state of a first view that makes the point (see docs/screenshots/demo-overview.png).
TOUR_STATE = (
    "runs=^lr=0.003$&tags=^(mesh/fitted_shape|pointcloud/predicted|segmentation/validation"
    "|structure/predicted)$&x=tag&y=step&cell=190"
)


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer in 1..65535, got {text!r}") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"expected an integer in 1..65535, got {port}")
    return port


def _nonempty(text: str) -> str:
    if not text.strip():
        raise argparse.ArgumentTypeError("expected a directory path, got an empty string")
    return text


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tb-media-panel",
        description="A media panel for TensorBoard: images, masks, video, audio, 3D and molecules.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo = commands.add_parser(
        "demo",
        help="write a demo logdir of small models trained on the CPU, then open it in TensorBoard",
        description=(
            "Write a demo logdir (several runs of small models trained on the CPU, logging every "
            "media kind; about a minute or two on 2 cores, skipped when DIR already holds a "
            "complete demo), then run `tensorboard --logdir DIR` and print the URL."
        ),
    )
    demo.add_argument("--logdir", required=True, type=_nonempty, metavar="DIR", help="where to write")
    demo.add_argument("--port", type=_port, default=6006, help="TensorBoard's port (default 6006)")
    demo.add_argument(
        "--host", default="127.0.0.1", help="address TensorBoard listens on (default 127.0.0.1)"
    )
    demo.add_argument(
        "--no-serve", action="store_true", help="write the logdir and exit, without TensorBoard"
    )
    demo.add_argument(
        "--quick", action="store_true", help="a smaller demo in a few seconds (fewer steps and points)"
    )
    # Errors of the sub-command print its own usage line.
    demo.set_defaults(handler=run_demo, command_parser=demo)
    add_export_parser(commands)
    add_import_wandb_parser(commands)
    return parser


def add_export_parser(commands: Any) -> None:
    from tb_media_panel.export import OUTPUTS, parse_grid, parse_steps

    export = commands.add_parser(
        "export",
        help="write logged media out: a video over steps, a contact sheet, or the files in a zip",
        description=(
            "Export logged media. OUT's extension picks the output: .gif, .mp4 (H.264) or .webm "
            "(VP9) with one frame per logged step; .png, a contact sheet with labelled rows and "
            "columns; .zip, the payloads as stored (run/tag/step-index.ext) with a manifest.json."
        ),
    )
    add = export.add_argument
    add("--logdir", required=True, type=_nonempty, metavar="DIR", help="local path, s3:// or fsspec URL")
    add("--run", action="append", metavar="R", help="a run (repeat; default: every run with the tag)")
    add("--tag", action="append", required=True, metavar="T", help="a tag (repeat for more)")
    add("--index", type=_argument(int, "an integer >= 0", 0), metavar="I", help="the I-th item of a step")
    add("--steps", type=_argument(parse_steps), metavar="A:B", help="steps A to B, both included")
    add("--fps", type=_argument(float, "a positive number", 1e-3), default=4.0, help="video frame rate")
    add(
        "--grid",
        type=_argument(parse_grid),
        default=("run", "step"),
        metavar="ROWS,COLUMNS",
        help="contact sheet axes, two of run, step, index, tag (default run,step)",
    )
    add("--overlay", action="store_true", help="burn masks and boxes in, as the panel draws them")
    add("--to", required=True, metavar="OUT", help=f"output file: {', '.join(OUTPUTS)}")
    export.set_defaults(handler=run_export, command_parser=export)


def _argument(
    parse: Callable[[str], Any], expected: str = "", minimum: float | None = None
) -> Callable[[str], Any]:
    """An argparse type: `parse`, its errors said as 'expected ..., got ...'."""

    def convert(text: str) -> Any:
        try:
            value = parse(text)
        except ValueError as exc:
            message = f"expected {expected}, got {text!r}" if expected else str(exc)
            raise argparse.ArgumentTypeError(message) from None
        if minimum is not None and value < minimum:
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
        return value

    return convert


def run_export(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    import tb_media_panel as mp
    from tb_media_panel.export import ExportError, Selection, export

    low, high = args.steps or (None, None)
    selection = Selection(args.run, args.tag, args.index, low, high)
    try:
        reader = mp.Reader(args.logdir)
        count = export(reader, selection, args.to, args.fps, args.grid, args.overlay)
    except (ExportError, KeyError) as exc:
        parser.exit(1, f"tb-media-panel export: error: {exc}\n")
    print(f"wrote {count} items to {args.to}")
    return 0


def _check_port_free(host: str, port: int) -> str | None:
    """Why TensorBoard could not listen on host:port, or None; checked before minutes of writing."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        return f"--host: cannot resolve {host!r} ({exc.strerror})"
    family, _, _, _, address = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return f"--port: port {port} on {host} is already in use; pass another --port"
            return f"--host/--port: cannot listen on {host}:{port} ({exc.strerror})"
    return None


def run_demo(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from tb_media_panel.demo import DemoLogdirError, write_demo

    if not args.no_serve:
        problem = _check_port_free(args.host, args.port)
        if problem:
            parser.error(problem)
    try:
        written = write_demo(args.logdir, quick=args.quick)
    except DemoLogdirError as exc:
        parser.error(str(exc))
    if not written:
        print(f"demo logdir {args.logdir} is complete; reusing it")
    if args.no_serve:
        return 0
    shown_host = "localhost" if args.host in ("0.0.0.0", "::") else args.host
    host_in_url = f"[{shown_host}]" if ":" in shown_host else shown_host
    url = f"http://{host_in_url}:{args.port}/#{PLUGIN_NAME}"
    print(f"Starting TensorBoard; open {url}", flush=True)
    print(f"A tour to start with (one run's masks, point cloud, protein and mesh over steps):\n  {url}"
          f"&mp={urllib.parse.quote(TOUR_STATE, safe='')}", flush=True)
    command = [sys.executable, "-m", "tensorboard.main", "--logdir", args.logdir]
    command += ["--host", args.host, "--port", str(args.port)]
    sys.stderr.flush()
    # exec, not a child process: Ctrl-C and the exit status belong to TensorBoard directly.
    os.execv(sys.executable, command)
    return 0  # not reached


def add_import_wandb_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "import-wandb",
        help="write a W&B run's media and scalars into a TensorBoard logdir",
        description=(
            "Read a W&B run directory (wandb/run-* or wandb/offline-run-*) from its own files and "
            "write its media (masks, boxes, videos, audio, 3D, molecules, HTML) and its scalars "
            "into DIR/<run name>. The wandb package is not needed."
        ),
    )
    parser.add_argument("path", metavar="PATH", help="a W&B run directory")
    parser.add_argument("--logdir", required=True, type=_nonempty, metavar="DIR", help="where to write")
    parser.set_defaults(handler=run_import_wandb, command_parser=parser)


def run_import_wandb(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from tb_media_panel.wandb_import import WandbRunError, import_run

    try:
        result = import_run(args.path, args.logdir)
    except WandbRunError as exc:
        parser.exit(1, f"tb-media-panel import-wandb: error: {exc}\n")
    for key, why in result.skipped.items():
        print(f"skipped {key}: {why}", file=sys.stderr)
    if result.damaged_bytes:
        print(f"skipped {result.damaged_bytes} damaged bytes of the record log (a crashed job's?)",
              file=sys.stderr)
    print(f"wrote {result.media} media records and {result.scalars} scalars to {result.run_dir}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    return int(args.handler(args, args.command_parser))


if __name__ == "__main__":
    sys.exit(main())
