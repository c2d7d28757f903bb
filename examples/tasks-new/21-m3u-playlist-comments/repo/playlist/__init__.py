from .m3u import PlaylistError, dumps, loads
from .model import Playlist, Track, format_duration

__all__ = ["Playlist", "PlaylistError", "Track", "dumps", "format_duration", "loads"]
