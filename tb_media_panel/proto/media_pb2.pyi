from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class MediaItem(_message.Message):
    __slots__ = ("version", "kind", "mime", "format", "caption", "width", "height", "fps", "frames", "sample_rate", "channels", "duration", "title", "masks", "boxes", "point_cloud", "heatmaps", "values", "data")
    VERSION_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    MIME_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    CAPTION_FIELD_NUMBER: _ClassVar[int]
    WIDTH_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    FPS_FIELD_NUMBER: _ClassVar[int]
    FRAMES_FIELD_NUMBER: _ClassVar[int]
    SAMPLE_RATE_FIELD_NUMBER: _ClassVar[int]
    CHANNELS_FIELD_NUMBER: _ClassVar[int]
    DURATION_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    MASKS_FIELD_NUMBER: _ClassVar[int]
    BOXES_FIELD_NUMBER: _ClassVar[int]
    POINT_CLOUD_FIELD_NUMBER: _ClassVar[int]
    HEATMAPS_FIELD_NUMBER: _ClassVar[int]
    VALUES_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    version: int
    kind: str
    mime: str
    format: str
    caption: str
    width: int
    height: int
    fps: float
    frames: int
    sample_rate: int
    channels: int
    duration: float
    title: str
    masks: _containers.RepeatedCompositeFieldContainer[MaskLayer]
    boxes: _containers.RepeatedCompositeFieldContainer[BoxLayer]
    point_cloud: PointCloud
    heatmaps: _containers.RepeatedCompositeFieldContainer[ScalarLayer]
    values: ScalarLayer
    data: bytes
    def __init__(self, version: _Optional[int] = ..., kind: _Optional[str] = ..., mime: _Optional[str] = ..., format: _Optional[str] = ..., caption: _Optional[str] = ..., width: _Optional[int] = ..., height: _Optional[int] = ..., fps: _Optional[float] = ..., frames: _Optional[int] = ..., sample_rate: _Optional[int] = ..., channels: _Optional[int] = ..., duration: _Optional[float] = ..., title: _Optional[str] = ..., masks: _Optional[_Iterable[_Union[MaskLayer, _Mapping]]] = ..., boxes: _Optional[_Iterable[_Union[BoxLayer, _Mapping]]] = ..., point_cloud: _Optional[_Union[PointCloud, _Mapping]] = ..., heatmaps: _Optional[_Iterable[_Union[ScalarLayer, _Mapping]]] = ..., values: _Optional[_Union[ScalarLayer, _Mapping]] = ..., data: _Optional[bytes] = ...) -> None: ...

class ClassLabel(_message.Message):
    __slots__ = ("id", "name", "color")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    COLOR_FIELD_NUMBER: _ClassVar[int]
    id: int
    name: str
    color: str
    def __init__(self, id: _Optional[int] = ..., name: _Optional[str] = ..., color: _Optional[str] = ...) -> None: ...

class MaskLayer(_message.Message):
    __slots__ = ("name", "width", "height", "class_labels", "png")
    NAME_FIELD_NUMBER: _ClassVar[int]
    WIDTH_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    CLASS_LABELS_FIELD_NUMBER: _ClassVar[int]
    PNG_FIELD_NUMBER: _ClassVar[int]
    name: str
    width: int
    height: int
    class_labels: _containers.RepeatedCompositeFieldContainer[ClassLabel]
    png: bytes
    def __init__(self, name: _Optional[str] = ..., width: _Optional[int] = ..., height: _Optional[int] = ..., class_labels: _Optional[_Iterable[_Union[ClassLabel, _Mapping]]] = ..., png: _Optional[bytes] = ...) -> None: ...

class ScalarLayer(_message.Message):
    __slots__ = ("name", "width", "height", "dtype", "vmin", "vmax", "colormap", "min", "max", "p01", "p99", "nan_count", "role", "of", "data")
    NAME_FIELD_NUMBER: _ClassVar[int]
    WIDTH_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    DTYPE_FIELD_NUMBER: _ClassVar[int]
    VMIN_FIELD_NUMBER: _ClassVar[int]
    VMAX_FIELD_NUMBER: _ClassVar[int]
    COLORMAP_FIELD_NUMBER: _ClassVar[int]
    MIN_FIELD_NUMBER: _ClassVar[int]
    MAX_FIELD_NUMBER: _ClassVar[int]
    P01_FIELD_NUMBER: _ClassVar[int]
    P99_FIELD_NUMBER: _ClassVar[int]
    NAN_COUNT_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    OF_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    name: str
    width: int
    height: int
    dtype: str
    vmin: float
    vmax: float
    colormap: str
    min: float
    max: float
    p01: float
    p99: float
    nan_count: int
    role: str
    of: str
    data: bytes
    def __init__(self, name: _Optional[str] = ..., width: _Optional[int] = ..., height: _Optional[int] = ..., dtype: _Optional[str] = ..., vmin: _Optional[float] = ..., vmax: _Optional[float] = ..., colormap: _Optional[str] = ..., min: _Optional[float] = ..., max: _Optional[float] = ..., p01: _Optional[float] = ..., p99: _Optional[float] = ..., nan_count: _Optional[int] = ..., role: _Optional[str] = ..., of: _Optional[str] = ..., data: _Optional[bytes] = ...) -> None: ...

class Box2D(_message.Message):
    __slots__ = ("min_x", "min_y", "max_x", "max_y", "class_id", "scores", "caption")
    class ScoresEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    MIN_X_FIELD_NUMBER: _ClassVar[int]
    MIN_Y_FIELD_NUMBER: _ClassVar[int]
    MAX_X_FIELD_NUMBER: _ClassVar[int]
    MAX_Y_FIELD_NUMBER: _ClassVar[int]
    CLASS_ID_FIELD_NUMBER: _ClassVar[int]
    SCORES_FIELD_NUMBER: _ClassVar[int]
    CAPTION_FIELD_NUMBER: _ClassVar[int]
    min_x: float
    min_y: float
    max_x: float
    max_y: float
    class_id: int
    scores: _containers.ScalarMap[str, float]
    caption: str
    def __init__(self, min_x: _Optional[float] = ..., min_y: _Optional[float] = ..., max_x: _Optional[float] = ..., max_y: _Optional[float] = ..., class_id: _Optional[int] = ..., scores: _Optional[_Mapping[str, float]] = ..., caption: _Optional[str] = ...) -> None: ...

class BoxLayer(_message.Message):
    __slots__ = ("name", "domain", "class_labels", "boxes")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DOMAIN_FIELD_NUMBER: _ClassVar[int]
    CLASS_LABELS_FIELD_NUMBER: _ClassVar[int]
    BOXES_FIELD_NUMBER: _ClassVar[int]
    name: str
    domain: str
    class_labels: _containers.RepeatedCompositeFieldContainer[ClassLabel]
    boxes: _containers.RepeatedCompositeFieldContainer[Box2D]
    def __init__(self, name: _Optional[str] = ..., domain: _Optional[str] = ..., class_labels: _Optional[_Iterable[_Union[ClassLabel, _Mapping]]] = ..., boxes: _Optional[_Iterable[_Union[Box2D, _Mapping]]] = ...) -> None: ...

class Box3D(_message.Message):
    __slots__ = ("center", "size", "rotation", "label", "score", "color")
    CENTER_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    ROTATION_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    COLOR_FIELD_NUMBER: _ClassVar[int]
    center: _containers.RepeatedScalarFieldContainer[float]
    size: _containers.RepeatedScalarFieldContainer[float]
    rotation: _containers.RepeatedScalarFieldContainer[float]
    label: str
    score: float
    color: bytes
    def __init__(self, center: _Optional[_Iterable[float]] = ..., size: _Optional[_Iterable[float]] = ..., rotation: _Optional[_Iterable[float]] = ..., label: _Optional[str] = ..., score: _Optional[float] = ..., color: _Optional[bytes] = ...) -> None: ...

class Vector3D(_message.Message):
    __slots__ = ("start", "end", "color")
    START_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    COLOR_FIELD_NUMBER: _ClassVar[int]
    start: _containers.RepeatedScalarFieldContainer[float]
    end: _containers.RepeatedScalarFieldContainer[float]
    color: bytes
    def __init__(self, start: _Optional[_Iterable[float]] = ..., end: _Optional[_Iterable[float]] = ..., color: _Optional[bytes] = ...) -> None: ...

class PointCloud(_message.Message):
    __slots__ = ("num_points", "label_bytes", "class_labels", "boxes", "vectors", "positions", "colors", "labels")
    NUM_POINTS_FIELD_NUMBER: _ClassVar[int]
    LABEL_BYTES_FIELD_NUMBER: _ClassVar[int]
    CLASS_LABELS_FIELD_NUMBER: _ClassVar[int]
    BOXES_FIELD_NUMBER: _ClassVar[int]
    VECTORS_FIELD_NUMBER: _ClassVar[int]
    POSITIONS_FIELD_NUMBER: _ClassVar[int]
    COLORS_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    num_points: int
    label_bytes: int
    class_labels: _containers.RepeatedCompositeFieldContainer[ClassLabel]
    boxes: _containers.RepeatedCompositeFieldContainer[Box3D]
    vectors: _containers.RepeatedCompositeFieldContainer[Vector3D]
    positions: bytes
    colors: bytes
    labels: bytes
    def __init__(self, num_points: _Optional[int] = ..., label_bytes: _Optional[int] = ..., class_labels: _Optional[_Iterable[_Union[ClassLabel, _Mapping]]] = ..., boxes: _Optional[_Iterable[_Union[Box3D, _Mapping]]] = ..., vectors: _Optional[_Iterable[_Union[Vector3D, _Mapping]]] = ..., positions: _Optional[bytes] = ..., colors: _Optional[bytes] = ..., labels: _Optional[bytes] = ...) -> None: ...
