"""Prints the OpenAPI schema of the Cog predictor in the current directory, deterministically.

Run it with the python of the cog==0.16.12 venv (`.cache/cog/v016`), from a predictor directory
(one with `cog.yaml`). It runs Cog's own generator, `python -m cog.command.openapi_schema`, and
re-prints the document with sorted keys and two-space indentation, so the committed fixtures
(`tests/cog/<name>/openapi_schema.json`) are byte-for-byte reproducible. Used by
`cargo xtask cog-schemas` and by the currency test in `tests/tests/cog_server.rs`.
"""

import json
import subprocess
import sys

result = subprocess.run(
    [sys.executable, "-m", "cog.command.openapi_schema"],
    check=False,
    capture_output=True,
    text=True,
)
if result.returncode != 0:
    sys.stderr.write(result.stderr)
    sys.exit(result.returncode)
schema = json.loads(result.stdout)
sys.stdout.write(json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
