"""Run the reliability suite and write docs/reliability.md: each attack, what should happen, what did.

Every row is one attack of the adversarial pass (issue 13) and the tests that carry it out; a row holds
when all its tests pass in this run. The table is written from the run, never by hand:

    python scripts/reliability_table.py            # runs the suite (about 2 minutes), writes the table
    python scripts/reliability_table.py --out -    # prints it instead
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


@dataclass(frozen=True)
class Attack:
    number: str
    attack: str
    expected: str
    tests: tuple[str, ...]  # `file::function` prefixes (parametrized cases included)


ATTACKS = [
    Attack("1", "a test runs `git stash`, `git branch -f`, `git tag`, `git config`, `git commit` in its directory",
           "only the sandbox (a repository of its own, borrowing objects read-only) changes",
           ("test_reliability_sandbox.py::test_a_test_that_runs_git_changes_only_the_sandbox",
            "test_reliability_sandbox.py::test_the_sandbox_sees_the_users_branches_and_history")),
    Attack("2", "SIGINT / SIGTERM during the write phase of a 3000-file op stream",
           "all files old or all new, no temp or backup file left",
           ("test_reliability_ops.py::test_interrupted_apply_is_all_or_nothing",)),
    Attack("3", "a file with about 2000 nested brackets, or a 1000-term sum, elsewhere in the repo",
           "rename, param, import, `ops check` work or refuse the one file clearly; no crash",
           ("test_reliability_ops.py::test_deeply_nested_file_elsewhere_does_not_crash_a_rename",
            "test_reliability_ops.py::test_long_expression_elsewhere_does_not_block_a_rename",
            "test_reliability_ops.py::test_structural_op_on_a_deeply_nested_file_is_refused_clearly",
            "test_reliability_ops.py::test_ops_check_on_deeply_nested_files_reports_instead_of_crashing",
            "test_reliability_ops.py::test_nesting_guard_keeps_ordinary_big_code")),
    Attack("4", "`dagent clean` beside the user's own worktree whose path contains `dagent-sandbox`",
           "only what dagent's state files record is removed",
           ("test_sandbox_worktree.py::test_clean_leftovers_keeps_a_users_worktree_named_like_a_sandbox",)),
    Attack("5", "a test starts a helper with `setsid`, in a new session or group, or daemonises",
           "every descendant is killed and reaped at the end of each run, timeout or interrupt",
           ("test_reliability_processes.py::test_run_pytest_leaves_no_escaped_helper_or_daemon",
            "test_reliability_processes.py::test_worker_leaves_no_escaped_helper_or_daemon",
            "test_reliability_processes.py::test_run_pytest_timeout_kills_a_helper_in_its_own_session",
            "test_reliability_processes.py::test_worker_timeout_kills_a_helper_in_its_own_session",
            "test_reliability_processes.py::test_closing_the_worker_mid_run_kills_a_helper_in_its_own_session")),
    Attack("6", "a second Ctrl-C inside the grace period, the test deaf to SIGTERM",
           "the kill completes (SIGKILL), then dagent exits 130",
           ("test_reliability_processes.py::test_a_second_ctrl_c_in_the_grace_period_still_kills_a_test_deaf_to_sigterm",)),
    Attack("7", "`dagent undo` after the user amends or squashes a commit carrying dagent's trailer, or after a "
                "push to a URL", "undo acts only on commit ids dagent recorded and never on anything pushed",
           ("test_reliability_git.py::test_each_commit_is_recorded_with_its_branch_in_the_git_dir",
            "test_reliability_git.py::test_undo_refuses_an_amended_dagent_commit_that_keeps_the_trailer",
            "test_reliability_git.py::test_undo_refuses_a_user_squash_commit_that_carries_the_trailer",
            "test_reliability_git.py::test_undo_refuses_a_branch_dagent_pushed_to_a_url",
            "test_reliability_git.py::test_undo_refuses_a_branch_whose_upstream_is_a_url_it_cannot_compare",
            "test_reliability_git.py::test_undo_refuses_a_commit_its_upstream_tracking_ref_contains",
            "test_reliability_git.py::test_a_push_git_rejected_does_not_count_as_pushed",
            "test_reliability_git.py::test_undo_explains_an_unreadable_record")),
    Attack("8", "the user's linked worktree is on a disk unmounted for a moment while dagent runs",
           "no user worktree is pruned (sandbox, `clean`, `--commit`)",
           ("test_reliability_sandbox.py::test_no_user_worktree_is_pruned",
            "test_reliability_git.py::test_commit_keeps_a_user_worktree_whose_directory_is_missing_for_a_moment",
            "test_reliability_git.py::test_a_vanished_temp_worktree_is_dropped_by_its_own_admin_entry_only")),
    Attack("9", "a unified diff cut mid-hunk; an empty diff", "a parse error naming the file and hunk; nothing applied",
           ("test_reliability_ops.py::test_diff_cut_mid_hunk_is_refused", "test_reliability_ops.py::test_empty_diff_is_refused")),
    Attack("10", "SIGHUP (the terminal closes) during a run; SIGTERM/SIGHUP during `--commit`",
           "handled like SIGTERM: no test process, sandbox, temp worktree or branch left",
           ("test_reliability_processes.py::test_sighup_to_dagent_inside_run_command_leaves_no_test_process",
            "test_reliability_processes.py::test_sighup_to_dagent_during_a_worker_run_leaves_no_test_process",
            "test_reliability_processes.py::test_worker_children_get_the_default_sighup_even_when_dagent_ignores_it",
            "test_reliability_processes.py::test_run_command_restores_the_handlers_and_leaves_an_ignored_sighup_ignored",
            "test_reliability_git.py::test_a_signal_during_commit_leaves_no_worktree_temp_dir_or_branch",
            "test_reliability_git.py::test_an_error_after_the_branch_is_made_removes_that_branch",
            "test_reliability_git.py::test_commit_gives_back_the_signal_handlers_it_found_and_keeps_an_ignored_one")),
    Attack("11", "a populated submodule; edits to assume-unchanged and skip-worktree files; a sparse checkout",
           "the sandbox holds exactly the user's tree",
           ("test_reliability_sandbox.py::test_a_submodules_contents_are_in_the_sandbox",
            "test_reliability_sandbox.py::test_assume_unchanged_and_skip_worktree_edits_are_snapshotted",
            "test_reliability_sandbox.py::test_a_sparse_checkout_keeps_files_absent_from_disk")),
    Attack("12", "`--budget` while the model scores, fills or writes (`fix --rank model`, `edit`)",
           "the command ends within the budget plus start-up",
           ("test_reliability_budget.py::test_a_budget_holds_while_the_model_ranks_and_fills",
            "test_reliability_budget.py::test_a_budget_holds_for_an_edit_the_model_must_write")),
    Attack("13", "`--timeout nan` (inf, 0, -1); an empty op stream; Ctrl-C, SIGTERM or SIGHUP to `dagent test`",
           "a usage error; one clear error on every path; `interrupted` and exit 130 with nothing left",
           ("test_reliability_cli.py::test_a_duration_that_is_not_one_is_a_usage_error",
            "test_reliability_ops.py::test_empty_stream_is_one_clear_error_on_every_path",
            "test_reliability_cli.py::test_an_interrupted_test_run_says_so_and_leaves_nothing")),
    Attack("14", "a test writes through an absolute path into the user's checkout and home (`--isolate`)",
           "under bwrap the writes fail and nothing of the user's changes; without bwrap a clear error",
           ("test_reliability_isolation.py::test_isolated_tests_cannot_write_the_users_checkout_or_home",
            "test_reliability_isolation.py::test_without_isolation_the_attack_reaches_the_users_files",
            "test_reliability_isolation.py::test_fix_with_isolation_fixes_through_the_warm_worker",
            "test_reliability_isolation.py::test_isolation_without_bwrap_is_a_clear_error")),
    Attack("15", "SIGTERM to `dagent bench fix --jobs 2` (found while benchmarking)",
           "its pool workers stop too, removing their sandboxes; none runs on unseen",
           ("test_reliability_cli.py::test_a_killed_bench_takes_its_pool_workers_and_their_sandboxes_with_it",)),
]


def run_suite() -> dict[str, str]:
    """Each test node id (relative to tests/) → its outcome in one pytest run of every attack's tests."""
    from dagent.sandbox.results import parse_junit

    files = sorted({f"tests/{t.split('::')[0]}" for a in ATTACKS for t in a.tests})
    with tempfile.TemporaryDirectory() as tmp:
        junit = Path(tmp) / "junit.xml"
        subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={junit}", *files],
                       cwd=ROOT, check=False)  # fmt: skip
        outcomes, _errors = parse_junit(junit, ROOT / "tests")
    return {o.test_id: o.outcome for o in outcomes}


def observed(attack: Attack, outcomes: dict[str, str]) -> tuple[bool, str]:
    ran = {test_id: outcome for test_id, outcome in outcomes.items()
           if any(test_id == t or test_id.startswith(t + "[") for t in attack.tests)}  # fmt: skip
    missing = [t for t in attack.tests if not any(i == t or i.startswith(t + "[") for i in ran)]
    bad = sorted(i for i, o in ran.items() if o not in ("passed", "skipped"))
    skipped = sorted(i for i, o in ran.items() if o == "skipped")
    if missing or bad:
        return False, "FAILED: " + ", ".join([*bad, *(f"{m} (did not run)" for m in missing)])
    note = f" ({len(skipped)} skipped: bwrap not installed)" if skipped else ""
    return True, f"held: {len(ran)} test(s) passed{note}"


def table(outcomes: dict[str, str]) -> str:
    rows = [(a, *observed(a, outcomes)) for a in ATTACKS]
    held = sum(ok for _a, ok, _text in rows)
    lines = [
        "# Reliability: the attacks dagent is run against",
        "",
        "Written by `python scripts/reliability_table.py` from one run of the reliability suite",
        "(`tests/test_reliability_*.py` and the `dagent clean` test in `tests/test_sandbox_worktree.py`), which",
        "`.ci/run` also runs on every change. Each row is one attack of the adversarial pass (issue 13); it holds",
        "when all its tests pass. Each test failed on the code before its fix.",
        "",
        f"**{held} of {len(rows)} held.**",
        "",
        "| # | attack | expected | observed | tests |",
        "|---|---|---|---|---|",
    ]
    for attack, _ok, text in rows:
        tests = "<br>".join(f"`{t}`" for t in attack.tests)
        lines.append(f"| {attack.number} | {attack.attack} | {attack.expected} | {text} | {tests} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "reliability.md"), help="where to write ('-': stdout)")
    args = parser.parse_args()
    text = table(run_suite())
    if args.out == "-":
        sys.stdout.write(text)
    else:
        Path(args.out).write_text(text)
        print(text.splitlines()[7])


if __name__ == "__main__":
    main()
