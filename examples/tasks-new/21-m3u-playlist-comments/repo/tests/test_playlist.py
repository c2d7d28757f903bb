import pytest

from playlist import Playlist, PlaylistError, Track, dumps, format_duration, loads

ROAD_TRIP = """#EXTM3U
#PLAYLIST:Road trip
#EXTINF:215 tvg-id="a1" group-title="Rock",Queen - Bicycle Race
music/queen/bicycle_race.mp3

#EXTINF:-1,Late Night Radio
http://radio.example/stream
#EXTINF:187,Intermission
music/misc/intermission.ogg
music/unknown/track07.flac
"""

COMMENTED = """#EXTM3U
# exported by tapedeck 2.1
#EXTINF:200,Nina Simone - Sinnerman
music/nina/sinnerman.mp3
#   side B
#EXTINF:95,Nina Simone - Ne me quitte pas
# (live version)
music/nina/ne_me_quitte_pas.mp3
"""


# -- model ------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "seconds, text",
    [(0, "0:00"), (5, "0:05"), (123, "2:03"), (3600, "1:00:00"), (3723, "1:02:03"), (-1, "--:--")],
)
def test_format_duration(seconds, text):
    assert format_duration(seconds) == text


def test_track_display():
    assert Track("a/b.mp3", title="T", artist="A").display == "A - T"
    assert Track("a/b.mp3", title="T").display == "T"
    assert Track("music/dir/song.mp3").display == "song.mp3"


def test_track_is_stream():
    assert Track("https://x/y").is_stream
    assert not Track("x/y.mp3").is_stream


def test_track_equality_ignores_attrs():
    assert Track("a.mp3", attrs={"k": "v"}) == Track("a.mp3")


def test_playlist_summary():
    pl = Playlist([Track("a", seconds=61), Track("b", seconds=60)])
    assert pl.summary() == "2 tracks, 2:01"
    pl.append(Track("c"))
    assert pl.summary() == "3 tracks, 2:01+"
    assert Playlist([Track("x", seconds=3)]).summary() == "1 track, 0:03"


def test_by_artist_casefold():
    pl = Playlist([Track("a", artist="ABBA"), Track("b", artist="Queen"), Track("c", artist="abba")])
    assert [t.location for t in pl.by_artist("Abba")] == ["a", "c"]


def test_deduplicated_keeps_first():
    pl = Playlist([Track("a", title="one"), Track("b"), Track("a", title="again"), Track("b")])
    d = pl.deduplicated()
    assert [t.location for t in d] == ["a", "b"]
    assert d[0].title == "one"


def test_relocated():
    pl = Playlist([Track("/old/x.mp3"), Track("/other/y.mp3"), Track("/old/sub/z.mp3")])
    moved = pl.relocated("/old/", "/mnt/music/")
    assert [t.location for t in moved] == ["/mnt/music/x.mp3", "/other/y.mp3", "/mnt/music/sub/z.mp3"]


# -- loads ------------------------------------------------------------------------------------

def test_loads_title_and_count():
    pl = loads(ROAD_TRIP)
    assert pl.title == "Road trip"
    assert len(pl) == 4


def test_loads_extinf_fields():
    t = loads(ROAD_TRIP)[0]
    assert (t.artist, t.title, t.seconds) == ("Queen", "Bicycle Race", 215)
    assert t.attrs == {"tvg-id": "a1", "group-title": "Rock"}


def test_loads_negative_duration_is_unknown():
    t = loads(ROAD_TRIP)[1]
    assert t.seconds == -1 and t.is_stream and t.title == "Late Night Radio" and t.artist == ""


def test_loads_location_without_extinf():
    t = loads(ROAD_TRIP)[3]
    assert t == Track("music/unknown/track07.flac")


def test_loads_summary():
    assert loads(ROAD_TRIP).summary() == "4 tracks, 6:42+"


def test_loads_blank_and_crlf():
    pl = loads("#EXTM3U\r\n\r\n#EXTINF:10,A - B\r\n  x.mp3  \r\n")
    assert [t.location for t in pl] == ["x.mp3"]


def test_loads_without_header():
    assert [t.location for t in loads("a.mp3\nb.mp3\n")] == ["a.mp3", "b.mp3"]


def test_loads_strict_requires_header():
    with pytest.raises(PlaylistError) as e:
        loads("a.mp3\n", strict=True)
    assert e.value.lineno == 1


def test_loads_comments_skipped():
    pl = loads(COMMENTED)
    assert [t.location for t in pl] == ["music/nina/sinnerman.mp3", "music/nina/ne_me_quitte_pas.mp3"]


def test_loads_comments_kept():
    assert loads(COMMENTED).comments == ["exported by tapedeck 2.1", "side B", "(live version)"]


def test_loads_comment_between_extinf_and_location():
    t = loads(COMMENTED)[1]
    assert (t.title, t.seconds) == ("Ne me quitte pas", 95)


def test_loads_commented_summary():
    assert loads(COMMENTED).summary() == "2 tracks, 4:55"


def test_loads_unknown_directive_is_a_comment():
    pl = loads("#EXTM3U\n#EXTGRP:Jazz\nx.mp3\n")
    assert len(pl) == 1 and pl.comments == ["EXTGRP:Jazz"]


def test_loads_no_comments():
    assert loads(ROAD_TRIP).comments == []


def test_loads_malformed_extinf():
    with pytest.raises(PlaylistError) as e:
        loads("#EXTM3U\n#EXTINF:abc,Title\nx.mp3\n")
    assert e.value.lineno == 2


def test_loads_extinf_twice():
    with pytest.raises(PlaylistError, match="line 3: #EXTINF from line 2"):
        loads("#EXTM3U\n#EXTINF:1,A\n#EXTINF:2,B\nx.mp3\n")


def test_loads_dangling_extinf():
    with pytest.raises(PlaylistError) as e:
        loads("#EXTM3U\nx.mp3\n#EXTINF:1,A\n")
    assert e.value.lineno == 3


def test_loads_late_header():
    with pytest.raises(PlaylistError):
        loads("x.mp3\n#EXTM3U\n")


# -- dumps ------------------------------------------------------------------------------------

def test_dumps_basic():
    pl = Playlist([Track("a.mp3", title="Song", artist="Band", seconds=90), Track("b.mp3")], title="Mix")
    assert dumps(pl) == "#EXTM3U\n#PLAYLIST:Mix\n#EXTINF:90,Band - Song\na.mp3\nb.mp3\n"


def test_dumps_attrs():
    pl = Playlist([Track("s", title="T", seconds=-1, attrs={"tvg-id": "7"})])
    assert dumps(pl) == '#EXTM3U\n#EXTINF:-1 tvg-id="7",T\ns\n'


def test_round_trip():
    pl = loads(ROAD_TRIP)
    again = loads(dumps(pl))
    assert again.tracks == pl.tracks and again.title == pl.title
    assert again[0].attrs == pl[0].attrs


def test_round_trip_drops_comments():
    again = loads(dumps(loads(COMMENTED)))
    assert len(again) == 2 and again.comments == []
