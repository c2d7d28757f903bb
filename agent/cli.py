"""dagent's command line: it only parses arguments and delegates to the library.

Every command's --help has examples. Exit codes: 0 success (or fixed), 1 not fixed / checks failed,
2 usage or environment error (any DagentError).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

from dagent.errors import DagentError

app = typer.Typer(
    name="dagent",
    help="dagent: a text-diffusion model writes edits; a git sandbox validates them against your tests.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
    pretty_exceptions_enable=False,
)
ops_app = typer.Typer(help="Read, check and apply edit-op streams.", no_args_is_help=True)
bench_app = typer.Typer(help="Benchmarks: speed and quality, measured side by side.", no_args_is_help=True)
eval_app = typer.Typer(help="Quality evaluations of the model.", no_args_is_help=True)
app.add_typer(ops_app, name="ops")
app.add_typer(bench_app, name="bench")
app.add_typer(eval_app, name="eval")

console = Console(stderr=True)


# ---------------------------------------------------------------- ops
# (commands are added below by area: ops, sandbox, engine, train, agent)


def main() -> None:
    try:
        app()
    except DagentError as err:
        console.print(f"[bold red]error:[/] {err}")
        sys.exit(2)
    except KeyboardInterrupt:
        console.print("[yellow]interrupted[/]")
        sys.exit(130)


if __name__ == "__main__":
    main()
