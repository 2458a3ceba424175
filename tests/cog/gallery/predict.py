"""Files out as a `List[Path]`: `count` text files `<prefix><i>.txt` holding `<prefix> <i>`."""

import tempfile
from typing import List

from cog import BasePredictor, Input, Path


class Predictor(BasePredictor):
    def predict(
        self,
        count: int = Input(description="How many files", ge=1, le=5, default=3),
        prefix: str = Input(description="File name prefix", default="item"),
    ) -> List[Path]:
        out = Path(tempfile.mkdtemp())
        files = []
        for i in range(count):
            f = out / f"{prefix}{i}.txt"
            f.write_text(f"{prefix} {i}")
            files.append(f)
        return files
