"""Decoders of the summaries the index reads, one module per source: what a `Summary.Value`
of each plugin holds, as spans of the record (`series.Item`, mesh parts), never its payload.

`media_panel` (our blob sequences of MediaItems), `images`, `audio`, `mesh`, `text` (what
TensorBoard's built-in plugins and torch wrote); `common` holds what several share (TensorProto
walks, payload format sniffing). Each module also holds the read-time decoding of its source
(WAV headers, text tensors, mesh arrays). Storage is `store/series.py`; `store/events.py`
walks events and values and hands each value to its decoder.
"""
