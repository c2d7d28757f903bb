from editor.history import History, Insert


def test_undo_and_redo():
    h = History("world")
    h.do(Insert(0, "hello "))
    h.do(Insert(11, "!"))
    assert h.text == "hello world!"
    assert h.undo() and h.undo()
    assert h.text == "world"
    assert h.redo()
    assert h.text == "hello world"


def test_new_edit_clears_redo():
    h = History("ab")
    h.do(Insert(1, "X"))
    h.undo()
    h.do(Insert(2, "Y"))
    assert not h.can_redo
    assert not h.redo()
    assert h.text == "abY"


def test_nothing_to_undo():
    h = History()
    assert not h.undo()
    assert not h.redo()
