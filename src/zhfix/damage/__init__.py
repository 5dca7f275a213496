"""Seeded, reproducible damage for testing Chinese text pipelines.

Every function takes clean text (and a seed where randomness is involved) and
returns a :class:`Damaged` record: the damaged text, the original, the kind, and
a JSON-serialisable record of what was done, enough for :func:`reproduce`.

>>> from zhfix.damage import mojibake, invert
>>> d = mojibake("文件上传成功", "utf-8>gbk")
>>> d.text
'鏂囦欢涓婁紶鎴愬姛'
>>> invert(d.text, "utf-8>gbk") == d.original
True

Kinds:

- codec chains (:mod:`zhfix.damage.codecs`): :func:`mojibake` over the whole
  text, :func:`mojibake_span` over one span of otherwise clean text;
- lost bytes (:mod:`zhfix.damage.stream`): :func:`truncate`,
  :func:`chunked_decode`, :func:`byte_leak` (annotations inserted into
  encoded bytes), and :func:`content_farm` (script conversion, byte leak,
  chunked decoding and NFKC, one after another);
- :func:`nfkc` flattening (:mod:`zhfix.damage.normalize`);
- pinyin and zhuyin annotation leaks (``leak_annotations``) and character by
  character script conversion (``char_convert``), where available;
- :func:`compose` chains any of them.
"""

from __future__ import annotations

from zhfix.damage.base import Damaged
from zhfix.damage.codecs import (
    UnencodableError,
    can_encode,
    chinese_spans,
    comment_spans,
    decode_bytes,
    encode_text,
    invert,
    invert_span,
    mojibake,
    mojibake_span,
)
from zhfix.damage.compose import compose, reproduce
from zhfix.damage.normalize import nfkc
from zhfix.damage.stream import byte_leak, chunked_decode, content_farm, truncate

__all__ = [
    "Damaged",
    "UnencodableError",
    "byte_leak",
    "can_encode",
    "chinese_spans",
    "chunked_decode",
    "comment_spans",
    "compose",
    "content_farm",
    "decode_bytes",
    "encode_text",
    "invert",
    "invert_span",
    "mojibake",
    "mojibake_span",
    "nfkc",
    "reproduce",
    "truncate",
]

try:
    from zhfix.damage.leaks import LEAK_STYLES, leak_annotations

    __all__ += ["LEAK_STYLES", "leak_annotations"]
except ImportError:  # pragma: no cover - a partial install without the readings data
    pass
try:
    from zhfix.damage.script import char_convert

    __all__ += ["char_convert"]
except ImportError:  # pragma: no cover - a partial install without the script tables
    pass
