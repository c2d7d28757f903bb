"""Read and write extended M3U playlists.

    #EXTM3U
    #PLAYLIST:Road trip
    #EXTINF:215 tvg-id="a1",Artist - Title
    music/artist/title.mp3

Lines starting with '#' that are not one of the directives above are comments: they are kept in
Playlist.comments and describe no track. Blank lines are ignored.
An #EXTINF line describes the next location line.
"""

from __future__ import annotations

import re

from .model import Playlist, Track

_EXTINF = re.compile(r"^#EXTINF:\s*(-?\d+)((?:\s+[\w-]+=\"[^\"]*\")*)\s*,(.*)$")
_ATTR = re.compile(r"([\w-]+)=\"([^\"]*)\"")


class PlaylistError(ValueError):
    def __init__(self, lineno: int, message: str) -> None:
        super().__init__(f"line {lineno}: {message}")
        self.lineno = lineno


def _parse_extinf(line: str, lineno: int) -> dict:
    m = _EXTINF.match(line)
    if not m:
        raise PlaylistError(lineno, f"malformed #EXTINF: {line!r}")
    seconds = int(m[1])
    attrs = dict(_ATTR.findall(m[2]))
    name = m[3].strip()
    artist, sep, title = name.partition(" - ")
    if not sep:
        artist, title = "", name
    return {"seconds": seconds if seconds >= 0 else -1, "attrs": attrs,
            "artist": artist.strip(), "title": title.strip()}


def loads(text: str, strict: bool = False) -> Playlist:
    """Parse M3U text. With strict=True the #EXTM3U header is required."""
    playlist = Playlist()
    pending: dict | None = None
    pending_line = 0
    saw_header = False
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        if line == "#EXTM3U":
            if lineno != 1 and playlist.tracks:
                raise PlaylistError(lineno, "#EXTM3U after the first track")
            saw_header = True
            continue
        if line.startswith("#PLAYLIST:"):
            playlist.title = line[len("#PLAYLIST:"):].strip()
            continue
        if line.startswith("#EXTINF:"):
            if pending is not None:
                raise PlaylistError(lineno, f"#EXTINF from line {pending_line} has no location")
            pending = _parse_extinf(line, lineno)
            pending_line = lineno
            continue
        if line.startswith("#"):
            playlist.comments.append(line[1:].strip())
            continue
        if strict and not saw_header:
            raise PlaylistError(lineno, "missing #EXTM3U header")
        info = pending or {}
        playlist.append(Track(location=line, **info))
        pending = None
    if pending is not None:
        raise PlaylistError(pending_line, "#EXTINF at end of file has no location")
    return playlist


def _extinf(track: Track) -> str:
    attrs = "".join(f' {k}="{v}"' for k, v in track.attrs.items())
    name = f"{track.artist} - {track.title}" if track.artist else track.title
    return f"#EXTINF:{track.seconds}{attrs},{name}"


def dumps(playlist: Playlist) -> str:
    lines = ["#EXTM3U"]
    if playlist.title:
        lines.append(f"#PLAYLIST:{playlist.title}")
    for t in playlist:
        if t.title or t.artist or t.seconds >= 0 or t.attrs:
            lines.append(_extinf(t))
        lines.append(t.location)
    return "\n".join(lines) + "\n"
