from .rollout import Flag, FlagSet, bucket

__all__ = ["Flag", "FlagSet", "bucket"]
