"""A list of objects out (`List[Record]`, a named BaseModel): one record per word of `text`.

Record i: `word` = the i-th word, `length` = its length, `score` = length / 2, `first` = i == 0,
and `file` = a text file `word<i>.txt` holding the word, only when `with_files` is true.
"""

import tempfile
from typing import List, Optional

from cog import BaseModel, BasePredictor, Input, Path


class Record(BaseModel):
    word: str
    length: int
    score: float
    first: bool
    file: Optional[Path]


class Predictor(BasePredictor):
    def predict(
        self,
        text: str = Input(description="Words to split", default="hello big world"),
        with_files: bool = Input(description="Attach a file to each record", default=False),
    ) -> List[Record]:
        out = Path(tempfile.mkdtemp())
        records = []
        for i, word in enumerate(text.split()):
            file = None
            if with_files:
                file = out / f"word{i}.txt"
                file.write_text(word)
            records.append(
                Record(word=word, length=len(word), score=len(word) / 2, first=i == 0, file=file)
            )
        return records
