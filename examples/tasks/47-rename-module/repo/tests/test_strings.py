import importlib

import pytest


def test_strings_module():
    strings = importlib.import_module("reportgen.strings")
    assert strings.format_number(1234567.891, 2) == "1,234,567.89"
    assert strings.truncate("abcdef", 4) == "abc…"


def test_helpers_module_is_gone():
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("reportgen.helpers")


def test_table_imports_from_strings():
    import reportgen.table

    assert reportgen.table.pad_left.__module__ == "reportgen.strings"
