"""todo add|list|done|rm: the command line. `main(argv)` returns the exit status."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import date
from pathlib import Path

from todo import dates, filters, store

DEFAULT_FILE = Path(os.environ.get("TODO_FILE", "~/.todo.json")).expanduser()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="todo", description="A todo list in a JSON file.")
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE, help="where the list is kept")
    parser.add_argument("--today", type=date.fromisoformat, default=None, help=argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", required=True)
    add = sub.add_parser("add", help="add a todo")
    add.add_argument("title", nargs="+")
    add.add_argument("--due", help="2024-05-01, today, tomorrow, +3d, +2w, fri, next mon")
    add.add_argument("--tag", action="append", default=[], dest="tags")
    ls = sub.add_parser("list", help="show todos")
    ls.add_argument("--all", action="store_const", const="all", dest="status", default="open")
    ls.add_argument("--done", action="store_const", const="done", dest="status")
    ls.add_argument("--tag")
    ls.add_argument("--grep", dest="text")
    ls.add_argument("--due", help="due on or before this date")
    ls.add_argument("--overdue", action="store_true")
    for name in ("done", "rm"):
        cmd = sub.add_parser(name, help=f"mark todos {'done' if name == 'done' else 'removed'}")
        cmd.add_argument("ids", type=int, nargs="+")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    today = args.today or date.today()
    try:
        todos = store.load(args.file)
        status = COMMANDS[args.command](args, todos, today)
    except (dates.DateError, store.StoreError, KeyError) as exc:
        print(f"todo: {str(exc).strip(chr(39))}", file=sys.stderr)
        return 1
    if args.command != "list":
        store.save(todos, args.file)
    return status


def _add(args: argparse.Namespace, todos: store.TodoList, today: date) -> int:
    due = dates.parse_due(args.due, today) if args.due else None
    item = todos.add(" ".join(args.title), due=due, tags=args.tags)
    print(f"added #{item.id}: {item.title}")
    return 0


def _list(args: argparse.Namespace, todos: store.TodoList, today: date) -> int:
    flt = filters.Filter(
        status=args.status,
        tag=args.tag,
        text=args.text,
        due_before=dates.parse_due(args.due, today) if args.due else None,
        overdue_on=today if args.overdue else None,
    )
    for item in filters.select(todos.items, flt):
        print(_format(item, today))
    return 0


def _format(item: store.Item, today: date) -> str:
    mark = "x" if item.done else " "
    due = f" (due {dates.describe(item.due, today)})" if item.due else ""
    tags = "".join(f" #{tag}" for tag in item.tags)
    return f"[{mark}] {item.id:>3} {item.title}{due}{tags}"


def _done(args: argparse.Namespace, todos: store.TodoList, today: date) -> int:
    for item_id in args.ids:
        todos.get(item_id).done = True
    print(f"done: {', '.join(f'#{i}' for i in args.ids)}")
    return 0


def _rm(args: argparse.Namespace, todos: store.TodoList, today: date) -> int:
    for item_id in args.ids:
        todos.remove(item_id)
    print(f"removed: {', '.join(f'#{i}' for i in args.ids)}")
    return 0


COMMANDS = {"add": _add, "list": _list, "done": _done, "rm": _rm}
