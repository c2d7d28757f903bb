from .config import Config, ConfigError, coerce, deep_merge, from_env

__all__ = ["Config", "ConfigError", "coerce", "deep_merge", "from_env"]
