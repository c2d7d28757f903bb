from life.board import Board


def test_corner_has_three_neighbors():
    assert sorted(Board(3, 3).neighbors(0, 0)) == [(0, 1), (1, 0), (1, 1)]


def test_wide_board_neighbors():
    assert sorted(Board(2, 5).neighbors(0, 3)) == [(0, 2), (0, 4), (1, 2), (1, 3), (1, 4)]


def test_blinker_on_square_board():
    board = Board.parse("...\n###\n...")
    assert str(board.step()) == ".#.\n.#.\n.#."


def test_glider_on_wide_board():
    board = Board.parse("....#..\n.....#.\n...###.\n.......")
    assert str(board.step()) == ".......\n...#.#.\n....##.\n....#.."
