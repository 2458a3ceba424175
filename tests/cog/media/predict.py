"""Files out as an `Iterator[Path]`: reads a `Path` input, then yields small text or PNG files.

The first file is `source-<N>b.txt` (N = size of `source` in bytes) holding `source`'s bytes;
then `frames` files `frame<i>.txt` (text `frame <i>`) or `frame<i>.png` (a 1x1 PNG).
"""

import struct
import tempfile
import zlib
from typing import Iterator

from cog import BasePredictor, Input, Path


def _png(gray: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)  # 1x1, 8-bit grayscale
    pixels = zlib.compress(bytes([0, gray]))  # filter byte, one pixel
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


class Predictor(BasePredictor):
    def predict(
        self,
        source: Path = Input(description="Any file; echoed back"),
        frames: int = Input(description="Number of frames", ge=1, le=4, default=2),
        format: str = Input(description="Frame format", choices=["txt", "png"], default="txt"),
    ) -> Iterator[Path]:
        out = Path(tempfile.mkdtemp())
        data = Path(source).read_bytes()
        echo = out / f"source-{len(data)}b.txt"
        echo.write_bytes(data)
        yield echo
        for i in range(frames):
            frame = out / f"frame{i}.{format}"
            if format == "png":
                frame.write_bytes(_png(i * 60))
            else:
                frame.write_text(f"frame {i}")
            yield frame
