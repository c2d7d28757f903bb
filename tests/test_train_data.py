"""Training data: deterministic, split by module, and every example's op stream does what it says."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from dagent.engine.train.data import (
    corpus_modules,
    is_heldout,
    make_examples,
    split_modules,
)
from dagent.engine.train.mutate import KINDS, mutate_line
from dagent.ops.apply import apply_ops
from dagent.ops.syntax import parse

SAMPLE = '''def window_sums(values, width):
    """Sums of each run of `width` values."""
    if width < 1 or width > len(values):
        return []
    sums = []
    check_bounds(values, width)
    total = sum(values[:width])
    sums.append(total)
    for i in range(width, len(values)):
        total += values[i] - values[i - width]
        sums.append(total)
    return sums
'''


def test_examples_are_deterministic_for_a_seed() -> None:
    first = make_examples("train", 25, seed=7)
    second = make_examples("train", 25, seed=7)
    assert [(e.context, e.target, e.pinned_prefix) for e in first] == [(e.context, e.target, e.pinned_prefix) for e in second]
    other = make_examples("train", 25, seed=8)
    assert [e.target for e in other] != [e.target for e in first]


def test_split_is_by_module_and_disjoint() -> None:
    modules = corpus_modules()
    train, heldout = split_modules(modules, "train"), split_modules(modules, "heldout")
    assert heldout and train
    assert not {m.name for m in train} & {m.name for m in heldout}
    assert len(train) + len(heldout) == len(modules)
    assert all(is_heldout(m.name) for m in heldout)
    names = {m.path for m in heldout}
    assert all(e.path in names for e in make_examples("heldout", 10, seed=1))


@pytest.mark.slow
def test_every_repair_op_restores_the_original(tmp_path: Path) -> None:
    examples = [e for e in make_examples("train", 120, seed=3) if "original" in e.meta]
    assert len(examples) > 60
    kinds = set()
    for i, example in enumerate(examples):
        root = tmp_path / str(i)
        target = root / example.path
        target.parent.mkdir(parents=True)
        target.write_text(example.meta["mutated"])
        apply_ops(root, parse(example.target))
        assert target.read_text() == example.meta["original"], example.target
        assert example.target.startswith(example.pinned_prefix)
        kinds.add(example.kind)
    assert len(kinds) >= 6


def test_edit_examples_apply_through_libcst(tmp_path: Path) -> None:
    examples = [e for e in make_examples("train", 400, seed=5, edit_share=0.5) if e.kind.startswith("edit_")][:20]
    assert examples
    for i, example in enumerate(examples):
        module = next(m for m in corpus_modules() if m.path == example.path)
        root = tmp_path / str(i)
        (root / example.path).parent.mkdir(parents=True)
        (root / example.path).write_text(module.file.read_text())
        try:
            apply_ops(root, parse(example.target))
        except Exception as err:  # a rename can meet code libcst refuses; anything else is a bug
            assert "rename" in example.kind or "param" in example.kind, (example.target, err)


@pytest.mark.parametrize("kind", KINDS)
def test_each_mutation_kind_plants_a_compiling_bug(kind: str) -> None:
    lines = SAMPLE.splitlines(keepends=True)
    planted = None
    for seed in range(40):
        for index in range(2, len(lines)):
            planted = mutate_line(lines, index, kind, "pkg/sums.py", random.Random(seed), (1, len(lines)))
            if planted:
                break
        if planted:
            break
    assert planted is not None, kind
    assert planted.mutated != SAMPLE
    compile(planted.mutated, "sums.py", "exec")


