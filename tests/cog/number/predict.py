"""No inputs at all, and a plain `float` output: always 42.5."""

from cog import BasePredictor


class Predictor(BasePredictor):
    def predict(self) -> float:
        return 42.5
