"""The typed errors dagent raises: each carries a message the user can act on.

The CLI turns any DagentError into that message and exit code 2 (usage or environment error).
"""


class DagentError(Exception):
    """Base of every error dagent reports to the user."""


class ApplyError(DagentError):
    """An op stream could not be applied; nothing was written."""


class PathRefused(ApplyError):
    """An op points outside the repo, into .git/, through a symlink that leaves the repo, or at a binary file."""


class SandboxError(DagentError):
    """The git sandbox could not be created, used or cleaned."""


class ModelLoadError(DagentError):
    """Model weights could not be found or loaded (no network here: weights must be on disk)."""
