"""Variants of the code tested in one session: the request the test worker sends and what comes back.

A variant is a set of functions whose code is swapped for new code (`FunctionSwap`). The worker's
child imports and collects the project once, then forks once per variant (`_variant_plugin.py`), so
checking a variant costs a fork and the tests, not an import of a 5,000-line module and a pytest
start. A variant the plugin cannot swap faithfully (the function ran at import time, or closes over
other names) comes back as None: test it by editing the file instead.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Sequence

from dagent.sandbox.results import TestRun, read_test_run
from dagent.sandbox.runner import CommandResult

VARIANT_PLUGIN = Path(__file__).with_name("_variant_plugin.py")
VARIANT_PLUGIN_MODULE = "dagent_variant_plugin"  # its name where the worker's server imports it


@dataclass(frozen=True)
class FunctionSwap:
    """Function `qualname` (`f` or `Class.method`) of `file` (absolute), whose code starts at `first_line`
    (its first decorator) as loaded, gets the code of `source`: the new `def` to its end, indented as in
    the file, its `def` at line `line` of the new file."""

    file: str
    qualname: str
    first_line: int
    source: str
    line: int

    def request(self) -> dict[str, object]:
        fields: dict[str, object] = asdict(self)
        owner = self.qualname.rsplit(".", 1)[0] if "." in self.qualname else None
        return {**fields, "class": owner}


def write_variants(folder: Path, variants: Sequence[Sequence[FunctionSwap]], timeout_s: float,
                   gate: Sequence[str] = ()) -> list[str]:  # fmt: skip
    """Write the plugin's request into `folder`; the pytest arguments that run it. The `gate` tests
    (project-relative ids) run first, and a variant under which they all fail stops there."""
    entries = []
    for index, swaps in enumerate(variants):
        entries.append({
            "swaps": [swap.request() for swap in swaps],
            "junit": str(folder / f"variant-{index}.xml"),
            "output": str(folder / f"variant-{index}.out"),
            "status": str(folder / f"variant-{index}.json"),
            "timeout": timeout_s,
        })  # fmt: skip
    spec = folder / "variants.json"
    spec.write_text(json.dumps({"variants": entries, "gate": list(gate)}))
    return ["-p", VARIANT_PLUGIN_MODULE, f"--dagent-variants={spec}"]


def read_variant_runs(folder: Path, count: int, project: Path) -> list[TestRun | None]:
    """Each variant's run, or None where it was not swapped, overran its deadline or wrote no report."""
    runs: list[TestRun | None] = []
    for index in range(count):
        try:
            status = json.loads((folder / f"variant-{index}.json").read_text())
        except (OSError, ValueError):
            status = {}
        junit = folder / f"variant-{index}.xml"
        if not status.get("swapped") or status.get("timed_out") or not junit.is_file():
            runs.append(None)
            continue
        try:
            output = (folder / f"variant-{index}.out").read_text(errors="replace")
        except OSError:
            output = ""
        code = 1 if status.get("gated") else int(status.get("returncode", 1))  # stopped on purpose: tests failed
        result = CommandResult(code, output, float(status.get("duration_s", 0.0)), False)
        runs.append(read_test_run(result, junit, project))
    return runs
