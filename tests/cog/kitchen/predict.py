"""Every Cog input type, and a BaseModel output whose values derive from the inputs.

Float `choices` are not here: Cog rejects them (0.16.12: "Choices can only be used with str or
int types"; 0.23.1 likewise).

Deterministic, so tests can assert the output exactly; see `tests/tests/cog_server.rs`.
"""

import tempfile
from typing import List, Optional

from cog import BaseModel, BasePredictor, File, Input, Path, Secret


class Output(BaseModel):
    summary: str
    total: float
    count: int
    ok: bool
    tags: List[str]
    seed: Optional[int]
    secret_length: int
    input_bytes: List[int]
    file: Optional[Path]


def _size(path) -> int:
    return len(Path(path).read_bytes())


class Predictor(BasePredictor):
    def setup(self) -> None:
        print("setup: kitchen ready")

    def predict(
        self,
        prompt: str = Input(description="Text prompt"),
        steps: int = Input(description="Number of steps", ge=1, le=50, default=20),
        guidance: float = Input(description="Guidance scale", ge=0.0, le=10.0, default=7.5),
        fast: bool = Input(description="Fast mode", default=False),
        aspect_ratio: str = Input(
            description="Aspect ratio", choices=["1:1", "16:9", "9:16"], default="1:1"
        ),
        scheduler: str = Input(
            description="Scheduler", choices=["DPM++ 2M", "K_EULER", "None"], default="None"
        ),
        size: int = Input(description="Square size", choices=[512, 768, 1024], default=512),
        name: str = Input(description="Short name", min_length=2, max_length=8, default="ab"),
        code: str = Input(
            description="A code like abc-12", regex=r"^[a-z]{3}-[0-9]{2}$", default="abc-12"
        ),
        seed: Optional[int] = Input(
            description="Random seed; leave blank to randomize", default=None
        ),
        negative_prompt: Optional[str] = Input(description="Negative prompt", default=None),
        image: Path = Input(description="An input file (Path)", default=None),
        document: File = Input(description="A legacy File input", default=None),
        api_key: Secret = Input(description="A secret token", default=None),
        words: List[str] = Input(description="A list of words", default=["a", "b"]),
        numbers: List[int] = Input(description="A list of ints", default=None),
        images: List[Path] = Input(description="A list of files", default=None),
        type: str = Input(description="A field named like a Rust keyword", default="fn"),
    ) -> Output:
        print(f"prompt={prompt!r} steps={steps} seed={seed}")
        secret_length = len(api_key.get_secret_value()) if api_key is not None else 0
        input_bytes = []
        if image is not None:
            input_bytes.append(_size(image))
        if document is not None:
            input_bytes.append(len(document.read()))
        for p in images or []:
            input_bytes.append(_size(p))
        summary = (
            f"{prompt} x{steps} {aspect_ratio} {scheduler} {size}px "
            f"name={name} code={code} type={type} neg={negative_prompt}"
        )
        file = None
        if input_bytes:
            file = Path(tempfile.mkdtemp()) / "kitchen.txt"
            file.write_text(f"{prompt}|{sum(input_bytes)}")
        return Output(
            summary=summary,
            total=guidance * steps,
            count=sum(numbers or []),
            ok=not fast,
            tags=list(words),
            seed=seed,
            secret_length=secret_length,
            input_bytes=input_bytes,
            file=file,
        )
