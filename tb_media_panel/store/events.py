"""Turns one event record into index entries for a run, reading only headers.

Walks the Event and Summary levels and each value's plugin, hands the value to the decoder
of its source (`store/decode/`) and stores what it found in the tag's series (series.py).

Wire layout walked here (tensorboard/compat/proto): Event{wall_time=1 double, step=2,
summary=5}; Summary{value=1}; Value{tag=1, image=4, audio=6, tensor=8, metadata=9} where
metadata follows the tensor on the wire; SummaryMetadata{plugin_data=1{plugin_name=1,
content=2}}.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tb_media_panel.records import PLUGIN_NAME
from tb_media_panel.store.decode import audio, images, media_panel, mesh, text
from tb_media_panel.store.decode.common import KEY_ROOM, skip_field
from tb_media_panel.store.series import MAX_RECORD_BYTES, AnySeries, MeshSeries, RunLog, Series
from tb_media_panel.store.sparse import NeedWhole, SparsePayload
from tb_media_panel.store.wire import (
    LENGTH_DELIMITED,
    VARINT,
    WireError,
    as_int64,
    fields,
    fixed64_double,
    read_varint,
)

LEGACY_SOURCES = ("images", "audio", "mesh", "text")
# A value logged without a tag (protobuf allows it) is listed under this name: an empty name
# could be neither shown nor asked for.
UNNAMED_TAG = "(unnamed)"


@dataclass
class RunIndex:
    """Everything indexed for one run; mutated only by the scanner, under the store lock."""

    name: str
    series: dict[str, AnySeries] = field(default_factory=dict)
    # plugin of each raw tag, from the first value that carried metadata (later ones may not)
    tag_plugins: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    skipped_records: int = 0
    # SummaryMetadata.summary_description of each raw tag that carried one (markdown)
    tag_descriptions: dict[str, str] = field(default_factory=dict)
    # file names, restarts and the loader's rule: which records TensorBoard shows
    log: RunLog = field(default_factory=RunLog)

    def name_file(self, file_id: int, path: str) -> None:
        self.log.file_order[file_id] = path

    def _series(self, tag: str, source: str, raw_tag: str | None = None) -> Series:
        """The series of `tag` from `source`; `raw_tag` is the logged tag if not `tag`."""
        existing = self.series.get(tag)
        if isinstance(existing, Series) and existing.source == source:
            return existing
        if existing is not None:  # the same tag from two sources: keep them apart
            tag = f"{tag} ({source})"
            existing = self.series.get(tag)
            if isinstance(existing, Series):
                return existing
        created = Series(tag, source, self.log)
        created.description = self.tag_descriptions.get(raw_tag or tag, "")
        self.series[tag] = created
        return created

    def _mesh_series(self, name: str) -> MeshSeries:
        existing = self.series.get(name)
        if isinstance(existing, MeshSeries):
            return existing
        key = name if existing is None else f"{name} (mesh)"
        found = self.series.get(key)
        if isinstance(found, MeshSeries):
            return found
        created = MeshSeries(key)
        self.series[key] = created
        return created

    def drop_items(self, file_id: int, start: int = 0, stop: int | None = None) -> None:
        """Forget what a file (rotated or deleted) holds at offsets in [start, stop), all
        of it by default."""
        for series in self.series.values():
            series.drop_items(file_id, start, stop)
        for tag in [t for t, s in self.series.items() if len(s) == 0]:
            del self.series[tag]
        if start == 0 and stop is None:
            self.log.forget_file(file_id)

    def add_event(
        self,
        buf: bytes,
        start: int,
        end: int,
        base: int,
        file_id: int,
        sparse: SparsePayload | None = None,
    ) -> bool:
        """Index one event record; `base` is the absolute file offset of buf[0]. Whether it
        held media (the index then points into it) or restarted the run (RunLog): either
        changes what the run shows.

        With `sparse`, `buf` holds only what the walk asks it for (see sparse.py); whatever
        cannot be walked that way raises NeedWhole before anything is indexed.

        The Event and Summary levels are walked inline (no generator): this runs per record.
        """
        if end - start >= MAX_RECORD_BYTES:
            raise WireError(f"record of {end - start} bytes: at most {MAX_RECORD_BYTES - 1} are indexed")
        wall_time = 0.0
        step = 0
        summary: tuple[int, int] | None = None
        session_log: tuple[int, int] | None = None
        pos = start
        while pos < end:
            if sparse is not None:
                sparse.ensure(pos, pos + KEY_ROOM)
            key = buf[pos]
            if key == 0x09 and pos + 9 <= end:  # field 1, fixed64: wall_time
                wall_time = fixed64_double(buf, pos + 1)
                pos += 9
            elif key == 0x10:  # field 2, varint: step
                value, pos = read_varint(buf, pos + 1, end)
                step = as_int64(value)
            elif key == 0x2A:  # field 5, length-delimited: summary
                length, pos = read_varint(buf, pos + 1, end)
                if pos + length > end:
                    raise WireError("summary runs past the end of the event")
                summary = (pos, pos + length)
                pos += length
            elif key == 0x1A or key == 0x3A:  # field 3 file_version, 7 session_log: few
                length, pos = read_varint(buf, pos + 1, end)
                if pos + length > end:
                    raise WireError(f"field {key >> 3} runs past the end of the event")
                if sparse is not None:
                    sparse.ensure(pos, pos + length)
                if key == 0x1A:
                    self.log.file_version = _file_version(buf[pos : pos + length])
                else:
                    session_log = (pos, pos + length)
                pos += length
            else:
                pos = skip_field(buf, pos, end)
        if session_log is not None and _is_session_start(buf, *session_log):
            return self.log.session_start(file_id, base + start, step)
        if summary is None:
            return False
        indexed = False
        pos, stop = summary
        while pos < stop:
            if sparse is not None:
                sparse.ensure(pos, pos + KEY_ROOM)
            if buf[pos] == 0x0A:  # field 1, length-delimited: value
                length, pos = read_varint(buf, pos + 1, stop)
                if pos + length > stop:
                    raise WireError("summary value runs past its end")
                if sparse is not None and pos + length != stop:
                    raise NeedWhole("more than one value: each would be indexed before the next is read")
                if self._add_value(buf, pos, pos + length, base, file_id, step, wall_time, sparse, start):
                    indexed = True
                pos += length
            else:
                pos = skip_field(buf, pos, stop)
        return indexed

    def _add_value(
        self,
        buf: bytes,
        start: int,
        end: int,
        base: int,
        file_id: int,
        step: int,
        wall_time: float,
        sparse: SparsePayload | None,
        origin: int,
    ) -> bool:
        """Index one Summary.Value; `origin` is where its record's payload starts in `buf`."""
        tag = ""
        image = audio_span = tensor = metadata = None
        pos = start
        while pos < end:  # inline walk (one-byte keys of length-delimited fields): per record
            if sparse is not None:
                sparse.ensure(pos, pos + KEY_ROOM)
            key = buf[pos]
            if key & 7 != LENGTH_DELIMITED or key >= 0x80 or key < 8:  # field 0: raises
                pos = skip_field(buf, pos, end)
                continue
            length, pos = read_varint(buf, pos + 1, end)
            stop = pos + length
            if stop > end:
                raise WireError(f"field {key >> 3} runs past the end of the message")
            if key == 0x0A:
                if sparse is not None:
                    sparse.ensure(pos, stop)
                tag = buf[pos:stop].decode("utf-8", "replace")
            elif key == 0x22:
                image = (pos, stop)
            elif key == 0x32:
                audio_span = (pos, stop)
            elif key == 0x42:
                tensor = (pos, stop)
            elif key == 0x4A:
                metadata = (pos, stop)
            pos = stop
        tag = tag or UNNAMED_TAG
        if metadata is not None and tag not in self.tag_plugins:
            if sparse is not None:
                sparse.ensure(*metadata)
            plugin, description = _metadata(buf, metadata[0], metadata[1])
            if plugin is not None:
                self.tag_plugins[tag] = plugin
            if description:
                self.tag_descriptions[tag] = description
        row = (step, wall_time, file_id, base + origin, origin)
        if image is not None:
            legacy = images.decode_legacy(buf, image, sparse)
            if not legacy:
                return False
            self._series(tag, "images").add_items(*row, legacy)
            return True
        if audio_span is not None:
            if sparse is not None:
                raise NeedWhole("legacy audio is walked whole")
            self._series(tag, "audio").add_items(*row, audio.decode_legacy(buf, audio_span))
            return True
        if tensor is None or tag not in self.tag_plugins:
            return False
        plugin_name, content = self.tag_plugins[tag]
        if plugin_name == PLUGIN_NAME:
            found = media_panel.decode(buf, tensor, sparse)
            self._series(tag, PLUGIN_NAME).add_media_items(*row, found)
        elif plugin_name == "images":
            self._series(tag, "images").add_items(*row, images.decode_blobs(buf, tensor, sparse))
        elif plugin_name not in LEGACY_SOURCES:
            return False
        elif sparse is not None:
            raise NeedWhole(f"a {plugin_name} tensor is walked whole")
        elif plugin_name == "audio":
            self._series(tag, "audio").add_items(*row, audio.decode_blobs(buf, tensor))
        elif plugin_name == "text":
            self._series(text.series_tag(tag), "text", tag).add_items(*row, text.decode(tensor))
        else:
            part = mesh.decode_part(buf, tensor, content, tag, file_id, base)
            if part is None:
                return False
            name, component, found_part = part
            series = self._mesh_series(name)
            series.add_part(step, wall_time, component, found_part)
            if not series.description:  # any of its components may carry it
                series.description = self.tag_descriptions.get(tag, "")
        return True


def _metadata(buf: bytes, start: int, end: int) -> tuple[tuple[str, bytes] | None, str]:
    """A SummaryMetadata's plugin (name, and content for the sources decoded here) and
    summary_description: plugin_data=1{plugin_name=1, content=2}, summary_description=3."""
    plugin = None
    description = ""
    for number, wire_type, value, _ in fields(buf, start, end):
        if wire_type != LENGTH_DELIMITED:
            continue
        if number == 1 and plugin is None:
            name = ""
            content = b""
            for n2, w2, v2, _ in fields(buf, value[0], value[1]):
                if n2 == 1 and w2 == LENGTH_DELIMITED:
                    name = buf[v2[0] : v2[1]].decode("utf-8", "replace")
                elif n2 == 2 and w2 == LENGTH_DELIMITED:
                    content = bytes(buf[v2[0] : v2[1]])
            keep = name in LEGACY_SOURCES or name == PLUGIN_NAME
            plugin = (name, content if keep else b"")
        elif number == 3:
            description = buf[value[0] : value[1]].decode("utf-8", "replace")
    return plugin, description


def _file_version(text: bytes) -> float:
    """N of "brain.Event:N", 0 if unreadable (as event_util.ParseFileVersion, which would
    raise there)."""
    try:
        return float(text.rsplit(b":", 1)[-1])
    except ValueError:
        return 0.0


def _is_session_start(buf: bytes, start: int, end: int) -> bool:
    """Whether a SessionLog{status=1} says START (1)."""
    for number, wire_type, value, _ in fields(buf, start, end):
        if number == 1 and wire_type == VARINT:
            return bool(value == 1)
    return False
