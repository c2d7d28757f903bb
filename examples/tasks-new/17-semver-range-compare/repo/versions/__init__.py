from .semver import Version, bump, latest_matching, parse, satisfies

__all__ = ["Version", "bump", "latest_matching", "parse", "satisfies"]
