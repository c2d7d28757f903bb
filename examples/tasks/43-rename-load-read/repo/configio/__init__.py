"""configio: read layered configuration files."""

from configio.files import ConfigFileError, load
from configio.merge import deep_merge, load_all

__all__ = ["ConfigFileError", "deep_merge", "load", "load_all"]
