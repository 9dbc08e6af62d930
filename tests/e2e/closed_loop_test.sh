#!/usr/bin/env bash
# The closed MLOps loop (issue 7): examples/closed-loop/run.py with --check,
# against the binary under test. Each transition is checked from the API:
# no drift → drift alert fires → retraining run starts → new version
# promoted → ferry serve swaps without a failed request → alert resolves.
set -euo pipefail
FERRY="$1"
SOURCE="$2"
exec /usr/bin/python3 "$SOURCE/examples/closed-loop/run.py" --ferry "$FERRY" --check --timeout 600
