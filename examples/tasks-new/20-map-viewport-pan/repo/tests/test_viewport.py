import pytest

from mapview import Bounds, Viewport, ViewportError


def approx_pt(p):
    return pytest.approx(p, abs=1e-9)


@pytest.fixture
def vp():
    return Viewport(800, 600, center=(10.0, 20.0), zoom=2.0)


# -- Bounds ------------------------------------------------------------------------------------

def test_bounds_size_and_center():
    b = Bounds(0, 10, 4, 30)
    assert (b.width, b.height) == (4, 20)
    assert b.center == (2, 20)


def test_bounds_inverted():
    with pytest.raises(ViewportError):
        Bounds(5, 0, 1, 1)


def test_bounds_contains_edges():
    b = Bounds(0, 0, 10, 10)
    assert b.contains(0, 0) and b.contains(10, 10) and b.contains(5, 3)
    assert not b.contains(10.5, 5)
    assert not b.contains(5, -0.1)


@pytest.mark.parametrize(
    "other, expected",
    [(Bounds(5, 5, 15, 15), True), (Bounds(10, 10, 12, 12), True), (Bounds(11, 0, 12, 10), False),
     (Bounds(0, -5, 10, -1), False), (Bounds(-5, -5, 20, 20), True)],
)
def test_bounds_intersects(other, expected):
    assert Bounds(0, 0, 10, 10).intersects(other) is expected
    assert other.intersects(Bounds(0, 0, 10, 10)) is expected


def test_bounds_around():
    assert Bounds.around([(1, 5), (-2, 3), (4, -1)]) == Bounds(-2, -1, 4, 5)


def test_bounds_around_empty():
    with pytest.raises(ViewportError):
        Bounds.around([])


# -- construction ------------------------------------------------------------------------------

def test_bad_screen_size():
    with pytest.raises(ViewportError):
        Viewport(0, 100)


@pytest.mark.parametrize("zoom", [0, -1.0, float("nan"), float("inf")])
def test_bad_zoom(zoom):
    with pytest.raises(ViewportError):
        Viewport(100, 100, zoom=zoom)


def test_zoom_is_clamped():
    assert Viewport(100, 100, zoom=1e6).zoom == Viewport.MAX_ZOOM
    assert Viewport(100, 100, zoom=1e-9).zoom == Viewport.MIN_ZOOM


def test_repr(vp):
    assert repr(vp) == "Viewport(800x600, center=(10, 20), zoom=2)"


# -- transforms --------------------------------------------------------------------------------

def test_center_maps_to_screen_middle(vp):
    assert vp.to_screen(10, 20) == (400, 300)


def test_to_screen_y_is_flipped(vp):
    # a point above the centre in the world is nearer the top of the screen
    assert vp.to_screen(10, 30) == (400, 280)
    assert vp.to_screen(15, 10) == (410, 320)


def test_to_world_of_screen_middle(vp):
    assert vp.to_world(400, 300) == approx_pt((10, 20))


def test_to_world_top_left_corner(vp):
    assert vp.to_world(0, 0) == approx_pt((-190, 170))


@pytest.mark.parametrize("pt", [(0, 0), (10, 20), (-50.5, 3.25), (123, -77)])
def test_round_trip_world_screen_world(vp, pt):
    assert vp.to_world(*vp.to_screen(*pt)) == approx_pt(pt)


def test_visible_bounds(vp):
    assert vp.visible() == Bounds(-190, -130, 210, 170)


def test_is_visible(vp):
    assert vp.is_visible(200, 160)
    assert not vp.is_visible(211, 20)


# -- navigation --------------------------------------------------------------------------------

def test_pan_right_shows_left(vp):
    vp.pan(100, 0)
    assert (vp.cx, vp.cy) == approx_pt((-40, 20))


def test_pan_down_shows_up(vp):
    vp.pan(0, 50)
    assert (vp.cx, vp.cy) == approx_pt((10, 45))


def test_pan_content_follows_pointer(vp):
    before = vp.to_screen(30, 40)
    vp.pan(-25, 60)
    after = vp.to_screen(30, 40)
    assert after == approx_pt((before[0] - 25, before[1] + 60))


def test_pan_there_and_back(vp):
    vp.pan(37, -12)
    vp.pan(-37, 12)
    assert (vp.cx, vp.cy) == approx_pt((10, 20))


def test_center_on(vp):
    vp.center_on(-3, 4)
    assert vp.to_screen(-3, 4) == (400, 300)


def test_zoom_at_center_keeps_center(vp):
    vp.zoom_at(400, 300, 2.0)
    assert vp.zoom == 4.0
    assert (vp.cx, vp.cy) == approx_pt((10, 20))


@pytest.mark.parametrize("pixel", [(0, 0), (700, 150), (250, 550)])
def test_zoom_at_keeps_point_under_cursor(vp, pixel):
    under = vp.to_world(*pixel)
    vp.zoom_at(*pixel, 3.0)
    assert vp.to_screen(*under) == approx_pt(pixel)


def test_zoom_at_corner_moves_center(vp):
    vp.zoom_at(0, 0, 2.0)
    assert (vp.cx, vp.cy) == approx_pt((-90, 95))


def test_zoom_at_bad_factor(vp):
    with pytest.raises(ViewportError):
        vp.zoom_at(0, 0, 0)


def test_fit_wide_bounds():
    vp = Viewport(400, 300)
    vp.fit(Bounds(0, 0, 100, 10))
    assert vp.zoom == 4.0
    assert (vp.cx, vp.cy) == (50, 5)


def test_fit_with_padding():
    vp = Viewport(400, 300)
    vp.fit(Bounds(-10, -10, 10, 10), padding=50)
    assert vp.zoom == 10.0
    assert vp.visible().contains(-10, 10)


def test_fit_single_point_keeps_zoom():
    vp = Viewport(400, 300, zoom=3.0)
    vp.fit(Bounds(5, 5, 5, 5))
    assert vp.zoom == 3.0
    assert (vp.cx, vp.cy) == (5, 5)


def test_fit_padding_too_large():
    with pytest.raises(ViewportError):
        Viewport(100, 100).fit(Bounds(0, 0, 1, 1), padding=50)


def test_project_drops_offscreen(vp):
    assert vp.project([(10, 20), (10, 30), (1000, 0), (-190, 170)]) == [(400, 300), (400, 280), (0, 0)]


def test_project_floors_fractions():
    vp = Viewport(10, 10, zoom=1.0)
    assert vp.project([(0.6, -0.6), (-5.1, 0)]) == [(5, 5)]
