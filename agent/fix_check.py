"""Whether a repair gives back the original code: one check for the ranking objective's lists
(agent/rank_examples.py) and the ranking evaluation (agent/bench/rank.py), so that the model is
trained on the same notion of "the fix" it is measured on.

The decider is the module's AST (formatting aside, indentation and meaning kept); a whitespace-blind
text comparison first is only a cheap filter, never the verdict: `raise E\\n    return r` with the
`return` one level in or out reads the same without whitespace and is another program.
"""

from __future__ import annotations

import ast

from dagent.agent.repairs import Repair, spliced


def parsed_ast(text: str) -> str | None:
    """The AST dump of `text`, or None when it does not parse."""
    try:
        return ast.dump(ast.parse(text))
    except (SyntaxError, ValueError):
        return None


def restores(repair: Repair, lines: list[str], original_ast: str | None) -> bool:
    """Whether `repair`, made on the mutated module `lines`, gives back the original's AST."""
    return original_ast is not None and parsed_ast(spliced(lines, repair)) == original_ast


def squashed(text: str) -> str:
    return "".join(text.split())


__all__ = ["parsed_ast", "restores", "squashed"]
