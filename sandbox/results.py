"""Run pytest in a subprocess and read what happened to each test.

Outcomes come from pytest's junit XML, mapped back to pytest node ids relative to the project dir
(`tests/test_x.py::TestC::test_m[1-2]`). `collect_coverage` runs the suite under coverage.py with one
dynamic context per test node id, which is what spectrum-based fault localisation (Ochiai) needs.
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
import warnings
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Mapping, Sequence

from dagent.errors import SandboxError
from dagent.sandbox.runner import CommandResult, cap_text, run_command

Outcome = Literal["passed", "failed", "error", "skipped"]
_MESSAGE_CHARS = 300
TIMED_OUT = "timed out after"  # in a hung test's message (the alarm's and faulthandler's)
_DETAILS_CHARS = 6000
_EXIT_NO_TESTS = 5
# pytest exit codes 2 (interrupted, e.g. by collection errors), 3 (internal error), 4 (usage error).
_EXIT_BROKEN = (2, 3, 4)


@dataclass
class TestOutcome:
    __test__ = False  # not a pytest test class, despite the name

    test_id: str  # pytest node id relative to the project dir
    outcome: Outcome
    message: str = ""  # one line: the assertion, the error, the skip reason
    details: str = ""  # the traceback pytest printed, capped
    duration_s: float = 0.0  # setup + call + teardown, from junit's `time`

    @property
    def timed_out(self) -> bool:
        """Stopped by the per-test timeout (a hang): its duration is the timeout, not the test's."""
        return self.outcome != "passed" and TIMED_OUT in self.message


@dataclass
class TestRun:
    __test__ = False

    outcomes: list[TestOutcome]
    returncode: int
    timed_out: bool
    duration_s: float
    output: str  # pytest's own output (stdout and stderr), capped
    collection_errors: list[str] = field(default_factory=list)
    # a run cut by its whole-run timeout: the tests that had finished by then, and the one it was in
    finished_before_cut: list[TestOutcome] = field(default_factory=list)
    running_when_cut: str | None = None

    def ids_with(self, *outcomes: Outcome) -> list[str]:
        return [o.test_id for o in self.outcomes if o.outcome in outcomes]

    def failed_ids(self) -> list[str]:
        """Tests that failed or errored (in a fixture, in setup or teardown)."""
        return self.ids_with("failed", "error")

    def passed_ids(self) -> list[str]:
        return self.ids_with("passed")

    def outcome_map(self) -> dict[str, Outcome]:
        """`test id → outcome`: what two runs must agree on to count as the same."""
        return {o.test_id: o.outcome for o in self.outcomes}

    def outcome_of(self, test_id: str) -> TestOutcome | None:
        return next((o for o in self.outcomes if o.test_id == test_id), None)

    @property
    def ok(self) -> bool:
        """All green: at least one test passed, none failed or errored, nothing broke, no timeout."""
        return (
            self.returncode == 0
            and not self.timed_out
            and not self.collection_errors
            and not self.failed_ids()
            and bool(self.passed_ids())
        )

    def counts(self) -> dict[str, int]:
        counts = {"passed": 0, "failed": 0, "error": 0, "skipped": 0}
        for o in self.outcomes:
            counts[o.outcome] += 1
        return counts

    def summary(self) -> str:
        """`3 passed, 1 failed in 0.84s`, plus collection errors, a timeout, or "no tests ran"."""
        parts = [f"{n} {name}" for name, n in self.counts().items() if n]
        if self.collection_errors:
            parts.append(f"{len(self.collection_errors)} collection error(s)")
        if not self.outcomes and not self.collection_errors:
            parts.append("no tests ran")
        if self.timed_out:
            parts.append("TIMED OUT")
        return f"{', '.join(parts)} in {self.duration_s:.2f}s"


# ---------------------------------------------------------------- running


def project_path(project_dir: str | Path) -> Path:
    project = Path(project_dir).resolve()
    if not project.is_dir():
        raise SandboxError(f"cannot run tests in {project}: not a directory")
    return project


def pythonpath_env(project: Path, env: Mapping[str, str] | None, *extra: Path) -> dict[str, str]:
    """Put the project (and a src/ layout) first on sys.path, ahead of any editable install.

    Without this, a package installed in editable mode from the user's tree would be imported from
    there, and the tests would run the user's code instead of the sandbox's.
    """
    paths = [str(p) for p in extra] + [str(project)]
    if (project / "src").is_dir():
        paths.append(str(project / "src"))
    inherited = (env or {}).get("PYTHONPATH", os.environ.get("PYTHONPATH", ""))
    merged = dict(env or {})
    merged["PYTHONPATH"] = os.pathsep.join(paths + ([inherited] if inherited else []))
    return merged


def pytest_args(junit: Path, test_ids: Sequence[str] | None, extra_args: Sequence[str]) -> list[str]:
    return ["-m", "pytest", "-p", "no:cacheprovider", f"--junitxml={junit}", "-q", "--color=no",
            *extra_args, *(test_ids or [])]  # fmt: skip


def run_pytest(
    project_dir: str | Path,
    test_ids: Sequence[str] | None = None,
    timeout_s: float = 300,
    extra_args: Sequence[str] = (),
    python: str = sys.executable,
    env: Mapping[str, str] | None = None,
    test_timeout_s: float | None = None,
    call_timeouts: Mapping[str, float] | None = None,
) -> TestRun:
    """Run pytest in `project_dir` (all tests, or only `test_ids`) and parse each test's outcome.

    On timeout the process group is killed and the run comes back with `timed_out=True` and no
    outcomes. `extra_args` go to pytest as they are (e.g. `["-k", "parser", "-x"]`). With
    `test_timeout_s`, each test phase past that time fails with the stack where it was stuck
    (`timed out after Ns`); `timeout_s` stays the guard for the whole run.
    """
    project = project_path(project_dir)
    with tempfile.TemporaryDirectory(prefix="dagent-pytest-") as tmp_dir:
        tmp = Path(tmp_dir)
        junit = tmp / "junit.xml"
        plugin = timeout_args(tmp, test_timeout_s, call_timeouts)
        argv = [python, *pytest_args(junit, test_ids, [*plugin, *extra_args])]
        result = run_command(argv, project, timeout_s, env=pythonpath_env(project, env, tmp))
        _require_module(result, junit, "pytest", python)
        return read_test_run(result, junit, project, tmp if plugin else None)


def _require_module(result: CommandResult, junit: Path, module: str, python: str) -> None:
    if not junit.is_file() and f"No module named {module}" in result.output:
        raise SandboxError(f"{module} is not installed for {python}; run `{python} -m pip install {module}`")


def read_test_run(result: CommandResult, junit: Path, project: Path, hang_dir: Path | None = None) -> TestRun:
    outcomes: list[TestOutcome] = []
    errors: list[str] = []
    if junit.is_file():
        outcomes, errors = parse_junit(junit, project)
    elif hang_dir is not None:
        outcomes = _hard_timeout(hang_dir, project)
    run = TestRun(outcomes, result.returncode, result.timed_out, result.duration_s, result.output, errors)
    if result.timed_out and not junit.is_file() and hang_dir is not None:
        run.finished_before_cut, run.running_when_cut = _progress(hang_dir, project)
    if outcomes and not junit.is_file():
        return run  # pytest was stopped by the per-test timeout's last resort: the hung test is named
    if not result.timed_out and not errors and (result.returncode in _EXIT_BROKEN or not junit.is_file()):
        run.collection_errors.append(cap_text(result.output.strip() or "pytest wrote no output", _DETAILS_CHARS))
    return run


# ---------------------------------------------------------------- junit XML → node ids


class _NodeIds:
    """Map junit (classname, name) back to pytest node ids relative to the project dir.

    pytest writes classname as the test file's path with `/` turned into `.` and `.py` dropped,
    followed by the class names; the path is relative to pytest's rootdir, which can be an ancestor
    of the project dir (an ini file higher up). So try each ancestor up to the repo root.
    """

    def __init__(self, project: Path) -> None:
        self.project = project
        self.bases = [project, *_ancestors_to_repo_root(project)]
        self._found: dict[str, str | None] = {}  # a big suite asks for the same files many times

    def node_id(self, classname: str, name: str) -> str:
        parts = classname.split(".") if classname else []
        for cut in range(len(parts), 0, -1):
            path = self._find("/".join(parts[:cut]) + ".py")
            if path is not None:
                return "::".join([path, *parts[cut:], name])
        return "::".join(["/".join(parts) + ".py", name]) if parts else name

    def module_path(self, dotted: str) -> str:
        """A collection error names the module as a dotted path; find its file."""
        return self._find(dotted.replace(".", "/") + ".py") or dotted

    def _find(self, rel: str) -> str | None:
        if rel not in self._found:
            base = next((b for b in self.bases if (b / rel).is_file()), None)
            self._found[rel] = None if base is None else os.path.relpath(base / rel, self.project).replace(os.sep, "/")
        return self._found[rel]


def _ancestors_to_repo_root(path: Path) -> list[Path]:
    """Ancestors of `path` up to and including the first one holding .git (or all, if none does)."""
    found: list[Path] = []
    if (path / ".git").exists():
        return found
    for parent in path.parents:
        found.append(parent)
        if (parent / ".git").exists():
            break
    return found


def _first_line(text: str) -> str:
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    return line[:_MESSAGE_CHARS]


def _case_outcome(case: ET.Element) -> tuple[Outcome, ET.Element | None]:
    """failure beats error (a failed test whose teardown also errored is a failure)."""
    for tag, outcome in (("failure", "failed"), ("error", "error"), ("skipped", "skipped")):
        child = case.find(tag)
        if child is not None:
            return outcome, child  # type: ignore[return-value]
    return "passed", None


def _is_collection_failure(case: ET.Element) -> bool:
    error = case.find("error")
    return not case.get("classname") and error is not None and "collection failure" in error.get("message", "")


def _seconds(text: str | None) -> float:
    try:
        return max(float(text or 0), 0.0)
    except ValueError:
        return 0.0


def parse_junit(junit: Path, project: Path) -> tuple[list[TestOutcome], list[str]]:
    """Outcomes per test and collection errors (`path: traceback`) from a pytest junit XML file."""
    try:
        root = ET.parse(junit).getroot()
    except ET.ParseError as err:
        return [], [f"could not read pytest's junit report: {err}"]
    ids = _NodeIds(project)
    outcomes: list[TestOutcome] = []
    errors: list[str] = []
    for case in root.iter("testcase"):
        classname, name = case.get("classname", ""), case.get("name", "")
        if _is_collection_failure(case):
            text = case.find("error").text or ""  # type: ignore[union-attr]
            errors.append(f"{ids.module_path(name)}: {cap_text(text.strip(), _DETAILS_CHARS)}")
            continue
        outcome, child = _case_outcome(case)
        test_id = ids.node_id(classname, name) if classname else ids.module_path(name)
        message = _first_line(child.get("message", "") or (child.text or "")) if child is not None else ""
        details = cap_text((child.text or "").strip(), _DETAILS_CHARS) if child is not None else ""
        outcomes.append(TestOutcome(test_id, outcome, message, details, _seconds(case.get("time"))))
    return outcomes, errors


# ---------------------------------------------------------------- per-test timeouts

# A pytest plugin, written to a temp dir like the coverage one. In the main thread SIGALRM raises
# pytest.fail in the frame that is stuck, so pytest prints that stack as the test's traceback; the
# alarm re-fires each second in case the test swallows it. faulthandler is the last resort (a C
# loop that never returns to the interpreter, or no main thread): it dumps every stack and exits.
_TIMEOUT_PLUGIN = '''
import faulthandler
import json
import os
import signal
import threading

import pytest

_GRACE_S = 3.0
_state = {"timeout": None, "dir": None, "stack": None, "rootdir": "", "calls": {}, "now": None, "current": None,
          "progress": None}


def pytest_addoption(parser):
    parser.addoption("--dagent-test-timeout", type=float, default=None)
    parser.addoption("--dagent-hang-dir", default=None)
    parser.addoption("--dagent-call-timeouts", default=None)  # JSON: project-relative node id -> seconds


def pytest_configure(config):
    _state["timeout"] = config.getoption("--dagent-test-timeout")
    _state["dir"] = config.getoption("--dagent-hang-dir")
    _state["rootdir"] = str(config.rootpath)
    calls = config.getoption("--dagent-call-timeouts")
    if calls:
        with open(calls) as f:
            _state["calls"] = json.load(f)
    if _state["timeout"] and _state["dir"]:
        _state["stack"] = open(os.path.join(_state["dir"], "stack"), "w")


def _on_alarm(signum, frame):
    __tracebackhide__ = True
    pytest.fail("timed out after %ss" % _state["now"])


def _note_current(item):
    # one handle for the run, rewritten in place: an open() per test phase cost a second on 700 tests
    if _state["current"] is None:
        _state["current"] = open(os.path.join(_state["dir"], "current"), "w")
    f = _state["current"]
    f.seek(0)
    f.write(json.dumps({"nodeid": item.nodeid, "rootdir": _state["rootdir"], "timeout": _state["now"]}))
    f.truncate()
    f.flush()


def _call_timeout(item):
    """The test's own call-phase timeout, if given (setup and teardown keep the run's: a session
    fixture is set up by whichever test runs first)."""
    file, sep, rest = item.nodeid.partition("::")
    rel = os.path.relpath(os.path.join(_state["rootdir"], file)).replace(os.sep, "/") + sep + rest
    return _state["calls"].get(rel, _state["timeout"])


def _armed(item, call=False):
    timeout = _call_timeout(item) if call and _state["calls"] else _state["timeout"]
    _state["now"] = timeout
    if not timeout:
        yield
        return
    alarm = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if _state["stack"] is not None:
        _note_current(item)
        faulthandler.dump_traceback_later(timeout + _GRACE_S if alarm else timeout, exit=True, file=_state["stack"])
    if alarm:
        previous = signal.signal(signal.SIGALRM, _on_alarm)
        signal.setitimer(signal.ITIMER_REAL, timeout, 1.0)
    try:
        yield
    finally:
        if alarm:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
        if _state["stack"] is not None:
            faulthandler.cancel_dump_traceback_later()


def pytest_runtest_logreport(report):
    # one line per finished phase, flushed: if the whole run is killed, what had finished is known
    if _state["dir"] is None or (report.when != "call" and report.passed):
        return
    if _state["progress"] is None:
        _state["progress"] = open(os.path.join(_state["dir"], "progress"), "a")
    _state["progress"].write(json.dumps({"nodeid": report.nodeid, "when": report.when, "outcome": report.outcome,
                                         "duration": report.duration, "rootdir": _state["rootdir"]}) + "\\n")
    _state["progress"].flush()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item):
    yield from _armed(item)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    yield from _armed(item, call=True)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    yield from _armed(item)
'''
TIMEOUT_PLUGIN_MODULE = "_dagent_timeout"


def timeout_args(plugin_dir: Path, test_timeout_s: float | None, call_timeouts: Mapping[str, float] | None = None,
                 progress: bool = True) -> list[str]:  # fmt: skip
    """Write the per-test timeout plugin into `plugin_dir` (which must be on sys.path) and return
    the pytest arguments that turn it on; none when `test_timeout_s` is None. `call_timeouts` gives
    tests (project-relative node ids) their own limit for the test body; the rest get `test_timeout_s`.
    Without `progress`, the plugin keeps no record of the running test and no last-resort stack dump
    (a file written per test): the run's caller has a deadline of its own and wants no more."""
    if test_timeout_s is None:
        return []
    if test_timeout_s <= 0:
        raise SandboxError(f"a per-test timeout must be positive; got {test_timeout_s}")
    (plugin_dir / f"{TIMEOUT_PLUGIN_MODULE}.py").write_text(_TIMEOUT_PLUGIN)
    args = ["-p", TIMEOUT_PLUGIN_MODULE, f"--dagent-test-timeout={test_timeout_s}"]
    if progress:
        args.append(f"--dagent-hang-dir={plugin_dir}")
    if call_timeouts:
        (plugin_dir / "call_timeouts.json").write_text(json.dumps(dict(call_timeouts)))
        args.append(f"--dagent-call-timeouts={plugin_dir / 'call_timeouts.json'}")
    return args


_DUMP_FRAME = re.compile(r'^\s*File "(?P<path>[^"]+)", line (?P<line>\d+) in (?P<func>\S+)')


def _hard_timeout(hang_dir: Path, project: Path) -> list[TestOutcome]:
    """The test faulthandler stopped pytest in, failed, its dumped stack in pytest's short style."""
    try:
        current = json.loads((hang_dir / "current").read_text())
        dump = (hang_dir / "stack").read_text(errors="replace")
    except (OSError, ValueError):
        return []
    if not dump.strip():
        return []
    frames = _dumped_frames(dump, project)
    test_id = _rebase_node_id(current["nodeid"], Path(current["rootdir"]), project)
    message = f"timed out after {current['timeout']}s (stopped by faulthandler: it ignored the alarm)"
    details = cap_text("\n".join([*frames, f"E   {message}"]), _DETAILS_CHARS)
    return [TestOutcome(test_id, "failed", message, details, float(current["timeout"]))]


def _progress(hang_dir: Path, project: Path) -> tuple[list[TestOutcome], str | None]:
    """What a killed run had finished (from the plugin's progress lines) and the test it was in."""
    finished: dict[str, TestOutcome] = {}
    try:
        lines = (hang_dir / "progress").read_text(errors="replace").splitlines()
    except OSError:
        lines = []
    for line in lines:
        try:
            entry = json.loads(line)
        except ValueError:
            continue  # the last line, cut mid-write
        test_id = _rebase_node_id(entry["nodeid"], Path(entry["rootdir"]), project)
        outcome: Outcome = "error" if entry["when"] != "call" and entry["outcome"] == "failed" else entry["outcome"]
        if test_id not in finished or outcome != "passed":
            finished[test_id] = TestOutcome(test_id, outcome, duration_s=float(entry["duration"]))
    try:
        current = json.loads((hang_dir / "current").read_text())
        running = _rebase_node_id(current["nodeid"], Path(current["rootdir"]), project)
    except (OSError, ValueError, KeyError):
        running = None
    return list(finished.values()), running if running not in finished else None


def _dumped_frames(dump: str, project: Path) -> list[str]:
    """`path:line: in func` lines, outermost first, of the thread with the most project frames."""
    threads: list[list[str]] = []
    for text in dump.splitlines():
        if not text.startswith(" "):
            threads.append([])
        elif (match := _DUMP_FRAME.match(text)) and threads:
            path = Path(match["path"])
            shown = os.path.relpath(path, project) if path.is_relative_to(project) else str(path)
            threads[-1].append(f"{shown}:{match['line']}: in {match['func']}")
    best = max(threads, key=lambda t: sum(not f.startswith(("/", "<")) for f in t), default=[])
    return best[::-1]


# ---------------------------------------------------------------- compile check


def compile_check(project_dir: str | Path, paths: Sequence[str | Path]) -> list[str]:
    """Compile each .py file in `paths` (relative to `project_dir` or absolute); return the errors.

    Each error reads `path:line:col: SyntaxError: message`. Missing files (deleted by an edit) and
    files that are not Python are skipped. Nothing is written: no .pyc.
    """
    project = Path(project_dir)
    errors: list[str] = []
    for rel in paths:
        path = project / rel
        if path.suffix != ".py" or not path.is_file():
            continue
        error = _compile_error(path, str(rel))
        if error:
            errors.append(error)
    return errors


def _compile_error(path: Path, shown: str) -> str | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarnings (bad escapes) are not errors
            compile(path.read_bytes(), shown, "exec", dont_inherit=True)
    except SyntaxError as err:
        return f"{shown}:{err.lineno or 0}:{err.offset or 0}: {type(err).__name__}: {err.msg}"
    except (ValueError, UnicodeDecodeError) as err:  # null bytes, undecodable source
        return f"{shown}:0:0: {type(err).__name__}: {err}"
    return None


# ---------------------------------------------------------------- coverage per test

# A pytest plugin, written to a temp dir: it works for any interpreter that has coverage and pytest.
_CONTEXT_PLUGIN = '''
import os

import coverage
import pytest


def pytest_configure(config):
    with open(os.environ["DAGENT_COV_ROOTDIR_FILE"], "w") as f:
        f.write(str(config.rootpath))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    cov = coverage.Coverage.current()
    if cov is not None:
        cov.switch_context(item.nodeid)  # setup, call and teardown all count for the test
    yield
    if cov is not None:
        cov.switch_context("")
'''

_RCFILE = """\
[run]
data_file = {data}
source = {source}
omit =
    */site-packages/*
    */.venv/*
"""


@dataclass
class CoverageMap:
    """Which lines each test executed. Paths and test ids are relative to the project dir."""

    lines_by_test: dict[str, dict[str, set[int]]]
    run: TestRun  # the outcomes of the same run: which tests passed and failed

    def tests_by_line(self) -> dict[tuple[str, int], set[str]]:
        """The inverse map, `(path, line) → test ids that executed it`."""
        inverse: dict[tuple[str, int], set[str]] = {}
        for test_id, files in self.lines_by_test.items():
            for path, lines in files.items():
                for line in lines:
                    inverse.setdefault((path, line), set()).add(test_id)
        return inverse


def collect_coverage(
    project_dir: str | Path,
    timeout_s: float = 600,
    test_ids: Sequence[str] | None = None,
    extra_args: Sequence[str] = (),
    python: str = sys.executable,
    test_timeout_s: float | None = None,
) -> CoverageMap:
    """Run pytest under coverage.py, one dynamic context per test node id, and read it back per test.

    Only files inside `project_dir` are measured. Lines run outside any test (imports at collection)
    are not attributed to a test.
    """
    project = project_path(project_dir)
    with tempfile.TemporaryDirectory(prefix="dagent-cov-") as tmp_dir:
        tmp = Path(tmp_dir)
        (tmp / "_dagent_cov_contexts.py").write_text(_CONTEXT_PLUGIN)
        (tmp / "rc").write_text(_RCFILE.format(data=tmp / "data.coverage", source=project))
        env = {"DAGENT_COV_ROOTDIR_FILE": str(tmp / "rootdir")}
        plugin = timeout_args(tmp, test_timeout_s)
        args = ["-p", "_dagent_cov_contexts", *plugin, *extra_args]
        argv = [python, "-m", "coverage", "run", f"--rcfile={tmp / 'rc'}", *pytest_args(tmp / "junit.xml", test_ids, args)]
        result = run_command(argv, project, timeout_s, env=pythonpath_env(project, env, tmp))
        _require_module(result, tmp / "junit.xml", "coverage", python)
        _require_module(result, tmp / "junit.xml", "pytest", python)
        run = read_test_run(result, tmp / "junit.xml", project, tmp if plugin else None)
        lines = _read_contexts(tmp / "data.coverage", tmp / "rootdir", project)
    return CoverageMap(lines, run)


def _read_contexts(data_file: Path, rootdir_file: Path, project: Path) -> dict[str, dict[str, set[int]]]:
    if not data_file.exists() or not rootdir_file.exists():
        return {}
    import coverage  # only here: the rest of the module does not need it

    rootdir = Path(rootdir_file.read_text())
    data = coverage.CoverageData(basename=str(data_file))
    data.read()
    by_test: dict[str, dict[str, set[int]]] = {}
    for measured in data.measured_files():
        path = os.path.relpath(measured, project).replace(os.sep, "/")
        for line, contexts in data.contexts_by_lineno(measured).items():
            for context in contexts:
                if context:
                    test_id = _rebase_node_id(context, rootdir, project)
                    by_test.setdefault(test_id, {}).setdefault(path, set()).add(line)
    return by_test


def _rebase_node_id(node_id: str, rootdir: Path, project: Path) -> str:
    """pytest node ids are relative to its rootdir; make them relative to the project dir."""
    file, sep, rest = node_id.partition("::")
    rel = os.path.relpath(rootdir / file, project).replace(os.sep, "/")
    return rel + sep + rest
