"""ledgerkit: a small plain-text accounting ledger library."""

from ledgerkit.core import *  # noqa: F401,F403
from ledgerkit.core import __all__  # noqa: F401
