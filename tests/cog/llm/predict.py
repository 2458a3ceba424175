"""A fake language model: streams the prompt's words back as tokens (`ConcatenateIterator[str]`).

Tokens are the prompt's words, each followed by a space, repeated until `max_tokens`; a token
equal to `stop` ends the stream early. `delay` slows it down for streaming/cancel tests.
"""

import time
from typing import Optional

from cog import BasePredictor, ConcatenateIterator, Input


class Predictor(BasePredictor):
    def predict(
        self,
        prompt: str = Input(description="Prompt"),
        max_tokens: int = Input(description="Maximum tokens to generate", ge=1, le=64, default=8),
        temperature: float = Input(description="Ignored", ge=0.01, le=5.0, default=0.7),
        system_prompt: Optional[str] = Input(
            description="Prepended to the prompt when set", default=None
        ),
        stop: Optional[str] = Input(description="Stop before this word", default=None),
        delay: float = Input(description="Seconds between tokens", ge=0.0, le=2.0, default=0.0),
    ) -> ConcatenateIterator[str]:
        words = (f"{system_prompt} {prompt}" if system_prompt else prompt).split() or ["empty"]
        for i in range(max_tokens):
            word = words[i % len(words)]
            if stop is not None and word == stop:
                break
            print(f"token {i}")
            if delay:
                time.sleep(delay)
            yield word + " "
