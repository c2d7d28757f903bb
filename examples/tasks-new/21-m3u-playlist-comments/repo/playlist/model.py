"""Tracks and playlists: durations, filtering, de-duplication."""

from __future__ import annotations

from dataclasses import dataclass, field, replace


@dataclass(frozen=True)
class Track:
    location: str
    title: str = ""
    artist: str = ""
    seconds: int = -1  # -1: unknown (a stream, or no #EXTINF)
    attrs: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def display(self) -> str:
        if self.title and self.artist:
            return f"{self.artist} - {self.title}"
        if self.title:
            return self.title
        return self.location.rstrip("/").rsplit("/", 1)[-1]

    @property
    def is_stream(self) -> bool:
        return self.location.startswith(("http://", "https://"))


def format_duration(seconds: int) -> str:
    """123 -> '2:03', 3723 -> '1:02:03'; unknown (negative) -> '--:--'."""
    if seconds < 0:
        return "--:--"
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class Playlist:
    def __init__(self, tracks=(), title: str = "") -> None:
        self.tracks: list[Track] = list(tracks)
        self.title = title
        self.comments: list[str] = []

    def __len__(self) -> int:
        return len(self.tracks)

    def __iter__(self):
        return iter(self.tracks)

    def __getitem__(self, i):
        return self.tracks[i]

    def append(self, track: Track) -> None:
        self.tracks.append(track)

    def total_seconds(self) -> int:
        """The sum of known durations; tracks of unknown length count as 0."""
        return sum(t.seconds for t in self.tracks if t.seconds >= 0)

    def has_unknown(self) -> bool:
        return any(t.seconds < 0 for t in self.tracks)

    def summary(self) -> str:
        total = format_duration(self.total_seconds())
        plus = "+" if self.has_unknown() else ""
        n = len(self.tracks)
        return f"{n} track{'s' if n != 1 else ''}, {total}{plus}"

    def by_artist(self, artist: str) -> Playlist:
        wanted = artist.casefold()
        return Playlist([t for t in self.tracks if t.artist.casefold() == wanted], self.title)

    def deduplicated(self) -> Playlist:
        """Drop later repeats of the same location, keeping the first occurrence's order."""
        seen: set[str] = set()
        kept = []
        for t in self.tracks:
            if t.location in seen:
                continue
            seen.add(t.location)
            kept.append(t)
        return Playlist(kept, self.title)

    def relocated(self, old_prefix: str, new_prefix: str) -> Playlist:
        """Rewrite locations that start with old_prefix (e.g. after moving a music folder)."""
        out = []
        for t in self.tracks:
            if t.location.startswith(old_prefix):
                t = replace(t, location=new_prefix + t.location[len(old_prefix):])
            out.append(t)
        return Playlist(out, self.title)
