"""Turns one event record into index entries for a run, reading only headers.

Wire layout walked here (tensorboard/compat/proto): Event{wall_time=1 double, step=2,
summary=5}; Summary{value=1}; Value{tag=1, image=4, audio=6, tensor=8, metadata=9} where
metadata follows the tensor on the wire; SummaryMetadata{plugin_data=1{plugin_name=1,
content=2}}; TensorProto{dtype=1, tensor_shape=2{dim=2{size=1}}, string_val=8}.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tb_media_panel.records import KINDS, PLUGIN_NAME
from tb_media_panel.store.series import (
    LAYOUT_RAW,
    LAYOUT_TEXT_TENSOR,
    AnySeries,
    MeshPart,
    MeshSeries,
    Series,
    sniff_format,
)
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
_KIND_CODES_BY_NAME = {name.encode(): code for code, name in enumerate(KINDS)}
TORCH_TEXT_SUFFIX = "/text_summary"
# A value logged without a tag (protobuf allows it) is listed under this name: an empty name
# could be neither shown nor asked for.
UNNAMED_TAG = "(unnamed)"
MESH_COMPONENTS = {1: "VERTEX", 2: "FACE", 3: "COLOR"}
_SNIFF_BYTES = 16
# Bytes read ahead of a field's key in a sparse record: the key, a length or varint, a double.
KEY_ROOM = 24


@dataclass
class RunIndex:
    """Everything indexed for one run; mutated only by the scanner, under the store lock."""

    name: str
    series: dict[str, AnySeries] = field(default_factory=dict)
    # plugin of each raw tag, from the first value that carried metadata (later ones may not)
    tag_plugins: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    skipped_records: int = 0
    # path of each file by id: records count in TensorBoard's read order (see Series.table)
    file_order: dict[int, str] = field(default_factory=dict)

    def name_file(self, file_id: int, path: str) -> None:
        self.file_order[file_id] = path

    def _series(self, tag: str, source: str) -> Series:
        existing = self.series.get(tag)
        if isinstance(existing, Series) and existing.source == source:
            return existing
        if existing is not None:  # the same tag from two sources: keep them apart
            tag = f"{tag} ({source})"
            existing = self.series.get(tag)
            if isinstance(existing, Series):
                return existing
        created = Series(tag, source, self.file_order)
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
            self.file_order.pop(file_id, None)

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
        held media (the index then points into it).

        With `sparse`, `buf` holds only what the walk asks it for (see sparse.py); whatever
        cannot be walked that way raises NeedWhole before anything is indexed.

        The Event and Summary levels are walked inline (no generator): this runs per record.
        """
        wall_time = 0.0
        step = 0
        summary: tuple[int, int] | None = None
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
            else:
                pos = _skip_field(buf, pos, end)
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
                record = base + start
                if self._add_value(buf, pos, pos + length, base, file_id, step, wall_time, sparse, record):
                    indexed = True
                pos += length
            else:
                pos = _skip_field(buf, pos, stop)
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
        record: int,
    ) -> bool:
        tag = ""
        image = audio = tensor = metadata = None
        pos = start
        while pos < end:  # inline walk (one-byte keys of length-delimited fields): per record
            if sparse is not None:
                sparse.ensure(pos, pos + KEY_ROOM)
            key = buf[pos]
            if key & 7 != LENGTH_DELIMITED or key >= 0x80 or key < 8:  # field 0: raises
                pos = _skip_field(buf, pos, end)
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
                audio = (pos, stop)
            elif key == 0x42:
                tensor = (pos, stop)
            elif key == 0x4A:
                metadata = (pos, stop)
            pos = stop
        tag = tag or UNNAMED_TAG
        if metadata is not None and tag not in self.tag_plugins:
            if sparse is not None:
                sparse.ensure(*metadata)
            plugin = _plugin_data(buf, metadata[0], metadata[1])
            if plugin is not None:
                self.tag_plugins[tag] = plugin
        if image is not None:
            self._add_legacy_image(buf, image, base, file_id, tag, step, wall_time, sparse, record)
        elif audio is not None:
            if sparse is not None:
                raise NeedWhole("legacy audio is walked whole")
            self._add_legacy_audio(buf, audio, base, file_id, tag, step, wall_time, record)
        elif tensor is not None and tag in self.tag_plugins:
            plugin_name, content = self.tag_plugins[tag]
            if plugin_name == PLUGIN_NAME:
                self._add_media_items(buf, tensor, base, file_id, tag, step, wall_time, sparse, record)
            elif plugin_name == "images":
                self._add_image_blobs(buf, tensor, base, file_id, tag, step, wall_time, sparse, record)
            elif sparse is not None:
                raise NeedWhole(f"a {plugin_name} tensor is walked whole")
            elif plugin_name == "audio":
                self._add_audio_blobs(buf, tensor, base, file_id, tag, step, wall_time, record)
            elif plugin_name == "text":
                self._add_text(tensor, base, file_id, tag, step, wall_time, record)
            elif plugin_name == "mesh":
                self._add_mesh_part(buf, tensor, content, base, file_id, tag, step, wall_time, record)
            else:
                return False
        else:
            return False
        return True

    def _add_media_items(self, buf, tensor, base, file_id, tag, step, wall_time, sparse, record) -> None:
        # Walk every item before touching the series: a bad item skips the whole record.
        offsets: list[int] = []
        lengths: list[int] = []
        kinds: list[int] = []
        header_lengths: list[int] = []
        data_lengths: list[int] = []
        for s, e in _string_spans(buf, tensor[0], tensor[1], sparse):
            kind, header_length, data_length = _media_item_header(buf, s, e, sparse)
            offsets.append(base + s)
            lengths.append(e - s)
            kinds.append(kind)
            header_lengths.append(header_length)
            data_lengths.append(data_length)
        series = self._series(tag, PLUGIN_NAME)
        series.add_media_items(file_id, offsets, lengths, kinds, header_lengths, data_lengths)
        series.add_step(step, wall_time, file_id, record)

    def _add_image_blobs(self, buf, tensor, base, file_id, tag, step, wall_time, sparse, record) -> None:
        strings = _string_spans(buf, tensor[0], tensor[1], sparse)
        if len(strings) < 2:
            raise WireError("images tensor without width and height")
        if sparse is not None:  # the two sizes and the first bytes of each image
            for s, e in strings[:2]:
                sparse.ensure(s, e)
            for s, _ in strings[2:]:
                sparse.ensure(s, s + _SNIFF_BYTES)
        width = _ascii_int(buf, strings[0])
        height = _ascii_int(buf, strings[1])
        series = self._series(tag, "images")
        for s, e in strings[2:]:
            fmt = sniff_format(buf[s : s + _SNIFF_BYTES])
            series.add_item(
                file_id,
                base + s,
                e - s,
                LAYOUT_RAW,
                "video" if fmt == "gif" else "image",
                fmt,
                data_length=e - s,
                width=width,
                height=height,
            )
        series.add_step(step, wall_time, file_id, record)

    def _add_audio_blobs(self, buf, tensor, base, file_id, tag, step, wall_time, record) -> None:
        shape, strings = _tensor_strings(buf, tensor)
        paired = len(shape) == 2 and shape[1] == 2
        series = self._series(tag, "audio")
        stride = 2 if paired else 1
        for i in range(0, len(strings) - stride + 1, stride):
            s, e = strings[i]
            label = strings[i + 1] if paired else (0, 0)
            series.add_item(
                file_id,
                base + s,
                e - s,
                LAYOUT_RAW,
                "audio",
                sniff_format(buf[s : s + _SNIFF_BYTES]),
                data_length=e - s,
                caption_offset=base + label[0] if paired else 0,
                caption_length=label[1] - label[0],
            )
        series.add_step(step, wall_time, file_id, record)

    def _add_text(self, tensor, base, file_id, tag, step, wall_time, record) -> None:
        if tag.endswith(TORCH_TEXT_SUFFIX):
            tag = tag[: -len(TORCH_TEXT_SUFFIX)]
        series = self._series(tag, "text")
        s, e = tensor
        series.add_item(file_id, base + s, e - s, LAYOUT_TEXT_TENSOR, "text", "txt")
        series.add_step(step, wall_time, file_id, record)

    def _add_mesh_part(self, buf, tensor, content, base, file_id, tag, step, wall_time, record) -> None:
        from tensorboard.plugins.mesh import plugin_data_pb2

        try:
            mesh_data = plugin_data_pb2.MeshPluginData.FromString(content)
        except Exception as exc:  # protobuf's DecodeError is no ValueError: skip and count it
            raise WireError(f"mesh plugin metadata unreadable: {exc}") from exc
        component = MESH_COMPONENTS.get(mesh_data.content_type)
        if component is None:
            return
        name = mesh_data.name or tag.rsplit("_", 1)[0]
        shape = _tensor_shape(buf, tensor)
        s, e = tensor
        _check_mesh_shape(shape, e - s)
        self._mesh_series(name).add_part(
            step, wall_time, component, MeshPart(file_id, base + s, e - s, shape)
        )

    def _add_legacy_image(self, buf, image, base, file_id, tag, step, wall_time, sparse, record) -> None:
        height = width = 0
        payload = (0, 0)
        if sparse is not None:  # height, width, colorspace, then the encoded image: last
            sparse.ensure(image[0], image[0] + KEY_ROOM * 3)
        for number, wire_type, value, _ in fields(buf, image[0], image[1]):
            if number == 1 and wire_type == VARINT:
                height = value
            elif number == 2 and wire_type == VARINT:
                width = value
            elif number == 4 and wire_type == LENGTH_DELIMITED:
                payload = value
        s, e = payload
        if sparse is not None:
            sparse.ensure(s, s + _SNIFF_BYTES)
        fmt = sniff_format(buf[s : s + _SNIFF_BYTES])
        series = self._series(tag, "images")
        series.add_item(
            file_id,
            base + s,
            e - s,
            LAYOUT_RAW,
            "video" if fmt == "gif" else "image",
            fmt,
            data_length=e - s,
            width=width,
            height=height,
        )
        series.add_step(step, wall_time, file_id, record)

    def _add_legacy_audio(self, buf, audio, base, file_id, tag, step, wall_time, record) -> None:
        payload = (0, 0)
        for number, wire_type, value, _ in fields(buf, audio[0], audio[1]):
            if number == 4 and wire_type == LENGTH_DELIMITED:
                payload = value
        s, e = payload
        series = self._series(tag, "audio")
        series.add_item(
            file_id,
            base + s,
            e - s,
            LAYOUT_RAW,
            "audio",
            sniff_format(buf[s : s + _SNIFF_BYTES]),
            data_length=e - s,
        )
        series.add_step(step, wall_time, file_id, record)


def _skip_field(buf: bytes, pos: int, end: int) -> int:
    """The position after the field whose key starts at `pos`, checked as `fields` does."""
    key, pos = read_varint(buf, pos, end)
    number, wire_type = key >> 3, key & 7
    if number == 0:
        raise WireError("field number 0")
    if wire_type == VARINT:
        return read_varint(buf, pos, end)[1]
    if wire_type == LENGTH_DELIMITED:
        length, pos = read_varint(buf, pos, end)
        stop = pos + length
    elif wire_type == 1:
        stop = pos + 8
    elif wire_type == 5:
        stop = pos + 4
    else:
        raise WireError(f"unsupported wire type {wire_type} in field {number}")
    if stop > end:
        raise WireError(f"field {number} runs past the end of the message")
    return stop


def _plugin_data(buf: bytes, start: int, end: int) -> tuple[str, bytes] | None:
    for number, wire_type, value, _ in fields(buf, start, end):
        if number == 1 and wire_type == LENGTH_DELIMITED:
            name = ""
            content = b""
            for n2, w2, v2, _ in fields(buf, value[0], value[1]):
                if n2 == 1 and w2 == LENGTH_DELIMITED:
                    name = buf[v2[0] : v2[1]].decode("utf-8", "replace")
                elif n2 == 2 and w2 == LENGTH_DELIMITED:
                    content = bytes(buf[v2[0] : v2[1]])
            if name in LEGACY_SOURCES or name == PLUGIN_NAME:
                return name, content
            return name, b""
    return None


def _tensor_shape(buf: bytes, tensor: tuple[int, int]) -> tuple[int, ...]:
    dims: list[int] = []
    for number, wire_type, value, _ in fields(buf, tensor[0], tensor[1]):
        if number == 2 and wire_type == LENGTH_DELIMITED:
            for n2, w2, v2, _ in fields(buf, value[0], value[1]):
                if n2 == 2 and w2 == LENGTH_DELIMITED:
                    size = 0
                    for n3, w3, v3, _ in fields(buf, v2[0], v2[1]):
                        if n3 == 1 and w3 == VARINT:
                            size = as_int64(v3)
                    dims.append(size)
    return tuple(dims)


def _check_mesh_shape(shape: tuple[int, ...], length: int) -> None:
    """A mesh tensor is [batch, n, 3]. Each of its items, even an empty one, and each element
    must be backed by a byte of the tensor (real writers spend at least that): its shape alone
    must not make an item list or an array of any size."""
    if len(shape) != 3 or shape[2] != 3 or min(shape) < 0:
        raise WireError(f"mesh tensor of shape {list(shape)}; expected [batch, n, 3]")
    batch, n, _ = shape
    if batch * max(n, 1) * 3 > length:
        raise WireError(f"mesh tensor of shape {list(shape)} in only {length} bytes")


def _tensor_strings(
    buf: bytes, tensor: tuple[int, int]
) -> tuple[tuple[int, ...], list[tuple[int, int]]]:
    """The shape and the spans of every `string_val` element of a TensorProto."""
    dims: list[int] = []
    strings: list[tuple[int, int]] = []
    for number, wire_type, value, _ in fields(buf, tensor[0], tensor[1]):
        if wire_type != LENGTH_DELIMITED:
            continue
        if number == 8:
            strings.append(value)
        elif number == 2:
            for n2, w2, v2, _ in fields(buf, value[0], value[1]):
                if n2 == 2 and w2 == LENGTH_DELIMITED:
                    size = 0
                    for n3, w3, v3, _ in fields(buf, v2[0], v2[1]):
                        if n3 == 1 and w3 == VARINT:
                            size = as_int64(v3)
                    dims.append(size)
    return tuple(dims), strings


def _string_spans(
    buf: bytearray | bytes, pos: int, end: int, sparse: SparsePayload | None = None
) -> list[tuple[int, int]]:
    """Spans of the `string_val` elements (field 8) of a TensorProto; other fields skipped.

    Inlined one-byte varints: this runs once per item, on the index's hot path.
    """
    spans: list[tuple[int, int]] = []
    readable = end if sparse is None else -1  # how far what was asked of `sparse` reaches
    while pos < end:
        if pos + KEY_ROOM > readable and sparse is not None:
            sparse.ensure(pos, pos + KEY_ROOM)
            readable = sparse.hi
        key = buf[pos]
        if key < 0x80:
            pos += 1
        elif pos + 1 < end and buf[pos + 1] < 0x80:
            key = (key & 0x7F) | buf[pos + 1] << 7
            pos += 2
        else:
            key, pos = read_varint(buf, pos, end)
        wire_type = key & 7
        if wire_type == LENGTH_DELIMITED:
            if pos + 1 < end and buf[pos] < 0x80:
                length = buf[pos]
                pos += 1
            elif pos + 2 < end and buf[pos + 1] < 0x80:  # two bytes: lengths up to 16 KiB
                length = (buf[pos] & 0x7F) | buf[pos + 1] << 7
                pos += 2
            elif pos + 3 < end and buf[pos + 2] < 0x80:  # three bytes: up to 2 MiB, photos
                length = (buf[pos] & 0x7F) | (buf[pos + 1] & 0x7F) << 7 | buf[pos + 2] << 14
                pos += 3
            else:
                length, pos = read_varint(buf, pos, end)
            stop = pos + length
            if stop > end:
                raise WireError(f"tensor field {key >> 3} runs past its end")
            if key == 0x42:  # field 8, length-delimited
                spans.append((pos, stop))
            pos = stop
        elif key >> 3 == 0:
            raise WireError("field number 0")
        elif wire_type == VARINT:
            _, pos = read_varint(buf, pos, end)
        elif wire_type == 1:
            pos += 8
        elif wire_type == 5:
            pos += 4
        else:
            raise WireError(f"unsupported wire type {wire_type} in a tensor")
    if pos != end:
        raise WireError("tensor runs past its end")
    return spans


def _media_item_header(
    buf: bytearray | bytes, start: int, end: int, sparse: SparsePayload | None = None
) -> tuple[int, int, int]:
    """(kind code, bytes before the `data` field, payload length) of a serialized MediaItem.

    An inlined field walk with one-byte varints read in place: this runs once per logged
    item and dominates index time.
    """
    kind = -1
    header_length = end - start
    data_length = 0
    pos = start
    readable = end if sparse is None else -1  # how far what was asked of `sparse` reaches
    while pos < end:
        if pos + KEY_ROOM > readable and sparse is not None:
            sparse.ensure(pos, pos + KEY_ROOM)
            readable = sparse.hi
        key_start = pos
        key = buf[pos]
        if key < 8:  # field number 0, as the zeros of an unread sparse page also read
            raise WireError("field number 0 in a media item")
        if key < 0x80:
            pos += 1
        elif pos + 1 < end and buf[pos + 1] < 0x80:
            key = (key & 0x7F) | buf[pos + 1] << 7
            pos += 2
        else:
            key, pos = read_varint(buf, pos, end)
        wire_type = key & 7
        if wire_type == LENGTH_DELIMITED:
            if pos + 1 < end and buf[pos] < 0x80:
                length = buf[pos]
                pos += 1
            elif pos + 2 < end and buf[pos + 1] < 0x80:  # two bytes: lengths up to 16 KiB
                length = (buf[pos] & 0x7F) | buf[pos + 1] << 7
                pos += 2
            elif pos + 3 < end and buf[pos + 2] < 0x80:  # three bytes: up to 2 MiB, photos
                length = (buf[pos] & 0x7F) | (buf[pos + 1] & 0x7F) << 7 | buf[pos + 2] << 14
                pos += 3
            else:
                length, pos = read_varint(buf, pos, end)
            if pos + length > end:
                raise WireError(f"media item field {key >> 3} runs past its end")
            if key == 0x12:  # field 2, kind
                if pos + length > readable and sparse is not None:
                    sparse.ensure(pos, pos + length)
                kind = _KIND_CODES_BY_NAME.get(bytes(buf[pos : pos + length]), -2)
            elif key == 0xFA:  # field 31 (two-byte key 0xFA 0x01), data
                header_length = key_start - start
                data_length = length
            pos += length
        elif wire_type == VARINT:
            if pos < end and buf[pos] < 0x80:
                pos += 1
            elif pos + 1 < end and buf[pos + 1] < 0x80:  # sizes such as width 256
                pos += 2
            else:
                _, pos = read_varint(buf, pos, end)
        elif wire_type == 1:
            pos += 8
        elif wire_type == 5:
            pos += 4
        else:
            raise WireError(f"unsupported wire type {wire_type} in a media item")
    if pos != end:
        raise WireError("media item runs past its end")
    if kind < 0:
        raise WireError("media item of unknown kind" if kind == -2 else "media item without kind")
    return kind, header_length, data_length


def _ascii_int(buf: bytes, span: tuple[int, int]) -> int:
    text = buf[span[0] : span[1]]
    return int(text) if text.isdigit() and len(text) < 10 else 0
