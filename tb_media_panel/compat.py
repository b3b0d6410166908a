"""TensorBoard's protos, imported from its TF-free copies so no TensorFlow is needed."""

from tensorboard.compat.proto import event_pb2, summary_pb2, tensor_pb2, tensor_shape_pb2, types_pb2

__all__ = ["event_pb2", "summary_pb2", "tensor_pb2", "tensor_shape_pb2", "types_pb2"]
