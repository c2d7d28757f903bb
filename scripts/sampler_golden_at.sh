#!/usr/bin/env bash
# Writes tests/data/sampler_golden.json from the sampler of an older commit (default e3c510a, the sampler
# before its speed work): the current fixed calls (tests/helpers/sampler_golden.py) run on that commit's
# engine. dagent's layers install under one namespace, so the commit's folders are put in a view in
# which dagent/ holds them (as .ci/lint-imports does), ahead of the installed package on sys.path.
#
#     scripts/sampler_golden_at.sh [COMMIT]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
commit="${1:-e3c510a}"
work="$(mktemp -d)"
trap 'git -C "$root" worktree remove --force "$work/tree" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
git -C "$root" worktree add --detach "$work/tree" "$commit" >/dev/null
mkdir "$work/view" "$work/view/dagent"
ln -s "$work/tree"/dagent/*.py "$work/view/dagent/"
for layer in agent engine ops sandbox; do ln -s "$work/tree/$layer" "$work/view/dagent/$layer"; done
cd "$root/tests"
"$root/.venv/bin/python" - "$work/view" <<'PY'
import json, sys
sys.path[:0] = [sys.argv[1], "."]
import dagent.engine.sampler as sampler
from helpers import sampler_golden
assert sampler.__file__.startswith(sys.argv[1]), sampler.__file__  # the commit's sampler, not the installed one
sampler_golden.GOLDEN.write_text(json.dumps(sampler_golden.fingerprint()))
print(f"wrote {sampler_golden.GOLDEN} from {sampler.__file__}")
PY
