import pytest

from textkit.csvish import RecordError, join_record, split_record


def test_plain_fields_are_stripped():
    assert split_record(" a, b ,c") == ["a", "b", "c"]


def test_empty_fields():
    assert split_record(",x,") == ["", "x", ""]
    assert split_record("") == [""]


def test_quoted_fields_keep_separators_and_spaces():
    assert split_record('"a, b", " c ",d') == ["a, b", " c ", "d"]


def test_doubled_quotes_are_literal():
    assert split_record('"say ""hi""",2') == ['say "hi"', "2"]


def test_custom_separator():
    assert split_record("1;2;'3'", sep=";") == ["1", "2", "'3'"]
    assert split_record("a::b", sep="::") == ["a", "b"]


@pytest.mark.parametrize("line", ['"open', '"closed" trailing,x'])
def test_malformed_records(line):
    with pytest.raises(RecordError):
        split_record(line)


@pytest.mark.parametrize(
    "fields", [["a", "b"], ["with,comma", 'quote"d', " padded "], ["", ""]]
)
def test_join_round_trips(fields):
    assert split_record(join_record(fields)) == fields
