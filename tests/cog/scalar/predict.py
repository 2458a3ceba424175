"""A plain `str` output: `text` repeated `times` times, joined by `sep`, upper-cased if `shout`."""

from cog import BasePredictor, Input


class Predictor(BasePredictor):
    def predict(
        self,
        text: str = Input(description="Text to repeat", default="hello"),
        times: int = Input(description="Repetitions", ge=0, le=10, default=2),
        sep: str = Input(description="Separator", default=" "),
        shout: bool = Input(description="Upper-case the result", default=False),
    ) -> str:
        result = sep.join([text] * times)
        return result.upper() if shout else result
