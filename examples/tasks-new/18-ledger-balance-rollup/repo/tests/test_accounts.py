from decimal import Decimal

import pytest

from ledgerkit import (
    AccountTree, AliasMap, Amount, MixedAmount, ParseError, account_ancestors, account_depth, account_leaf,
    account_lineage, account_matches, account_parent, account_type, clip_account, common_ancestor, is_subaccount,
    validate_account_name,
)

D = Decimal


@pytest.mark.parametrize("name", ["Assets", "Assets:Bank:Checking", "Expenses:Food & Drink", "Equity:Retained Earnings"])
def test_valid_account_names(name):
    assert validate_account_name(name) == name


@pytest.mark.parametrize("name", ["", " Assets", "Assets:", ":Assets", "Assets::Bank", "Assets:Bank  X",
                                  "Assets\tBank", "Assets: Bank"])
def test_invalid_account_names(name):
    with pytest.raises(ParseError):
        validate_account_name(name)


@pytest.mark.parametrize("name, depth, parent, leaf", [
    ("Assets", 1, None, "Assets"),
    ("Assets:Bank", 2, "Assets", "Bank"),
    ("Assets:Bank:Checking", 3, "Assets:Bank", "Checking"),
])
def test_account_parts(name, depth, parent, leaf):
    assert account_depth(name) == depth
    assert account_parent(name) == parent
    assert account_leaf(name) == leaf


def test_ancestors_and_lineage():
    assert account_ancestors("A:B:C") == ["A", "A:B"]
    assert account_ancestors("A") == []
    assert account_lineage("A:B:C") == ["A", "A:B", "A:B:C"]


@pytest.mark.parametrize("name, parent, strict, expected", [
    ("Assets:Bank", "Assets", False, True),
    ("Assets", "Assets", False, True),
    ("Assets", "Assets", True, False),
    ("Assets:Bank", "Assets", True, True),
    ("AssetsX:Bank", "Assets", False, False),
    ("Assets", "Assets:Bank", False, False),
    ("Expenses:Food:Dining", "Expenses:Food", True, True),
])
def test_is_subaccount(name, parent, strict, expected):
    assert is_subaccount(name, parent, strict) is expected


@pytest.mark.parametrize("name, depth, expected", [
    ("A:B:C", 1, "A"), ("A:B:C", 2, "A:B"), ("A:B:C", 3, "A:B:C"), ("A:B:C", 9, "A:B:C"), ("A", 1, "A"),
])
def test_clip_account(name, depth, expected):
    assert clip_account(name, depth) == expected


def test_clip_account_rejects_zero():
    with pytest.raises(ValueError):
        clip_account("A:B", 0)


@pytest.mark.parametrize("names, expected", [
    (["A:B:C", "A:B:D"], "A:B"),
    (["A:B", "A:C"], "A"),
    (["A:B", "X:B"], None),
    (["A:B:C"], "A:B:C"),
    ([], None),
    (["A:B", "A:B:C"], "A:B"),
])
def test_common_ancestor(names, expected):
    assert common_ancestor(names) == expected


@pytest.mark.parametrize("name, expected", [
    ("Assets:Bank", "asset"), ("liabilities:Card", "liability"), ("Equity", "equity"), ("Income:Salary", "income"),
    ("Revenue:Sales", "income"), ("Expenses:Rent", "expense"), ("Budget:Food", None),
])
def test_account_type(name, expected):
    assert account_type(name) == expected


@pytest.mark.parametrize("name, pattern, expected", [
    ("Expenses:Food:Dining", "Expenses:Food", True),
    ("Expenses:Food", "expenses:food", True),
    ("Expenses:Foodstuff", "Expenses:Food", False),
    ("Expenses:Food:Dining", "*:Dining", True),
    ("Expenses:Food:Dining", "Exp*Food", False),
    ("Expenses:Food:Dining", "Exp*Food*", True),
    ("Assets:Bank:Checking", "/bank/", True),
    ("Assets:Cash", "/^liab/", False),
    ("Liabilities:Card", "/^liab/", True),
])
def test_account_matches(name, pattern, expected):
    assert account_matches(name, pattern) is expected


def test_alias_plain_prefix():
    aliases = AliasMap()
    aliases.add("chk", "Assets:Bank:Checking")
    assert aliases.resolve("chk") == "Assets:Bank:Checking"
    assert aliases.resolve("chk:Joint") == "Assets:Bank:Checking:Joint"
    assert aliases.resolve("chkx") == "chkx"
    assert len(aliases) == 1


def test_alias_longest_prefix_wins():
    aliases = AliasMap()
    aliases.add("ex", "Expenses")
    aliases.add("ex:f", "Expenses:Food")
    assert aliases.resolve("ex:f:Dining") == "Expenses:Food:Dining"
    assert aliases.resolve("ex:Rent") == "Expenses:Rent"


def test_alias_regex():
    aliases = AliasMap()
    aliases.add("/^Exp:/", "Expenses:")
    assert aliases.resolve("Exp:Food") == "Expenses:Food"
    assert aliases.resolve("Assets:Exp:X") == "Assets:Exp:X"


def test_alias_bad_regex():
    with pytest.raises(ParseError):
        AliasMap().add("/([/", "X")


def test_alias_bad_names():
    with pytest.raises(ParseError):
        AliasMap().add("a b  c", "X")


def _tree():
    t = AccountTree()
    t.add("Assets:Bank:Checking", Amount(D(100), "$"))
    t.add("Assets:Bank:Savings", Amount(D(50), "$"))
    t.add("Assets:Cash", Amount(D(5), "$"))
    t.add("Assets:Cash", Amount(D(2), "EUR"))
    t.add("Expenses:Food", Amount(D(30), "$"))
    t.add("Expenses", Amount(D(1), "$"))
    return t


@pytest.mark.parametrize("name, dollars", [
    ("Assets", 155), ("Assets:Bank", 150), ("Assets:Bank:Checking", 100), ("Assets:Cash", 5),
    ("Expenses", 31), ("Expenses:Food", 30), ("Nope", 0), ("Assets:Bank:Nope", 0),
])
def test_tree_rollup(name, dollars):
    assert _tree().total(name).quantity("$") == dollars


def test_tree_grand_total_and_commodities():
    t = _tree()
    assert t.total() == MixedAmount({"$": 186, "EUR": 2})
    assert t.total("Assets").commodities() == ["$", "EUR"]


def test_tree_walk_order():
    assert _tree().names() == ["Assets", "Assets:Bank", "Assets:Bank:Checking", "Assets:Bank:Savings",
                               "Assets:Cash", "Expenses", "Expenses:Food"]


def test_tree_leaves():
    assert [n.name for n in _tree().leaves()] == ["Assets:Bank:Checking", "Assets:Bank:Savings", "Assets:Cash",
                                                   "Expenses:Food"]


def test_tree_node_properties():
    t = _tree()
    node = t.node("Assets:Bank", create=False)
    assert node.leaf == "Bank" and node.depth == 2 and node.parent.name == "Assets"
    assert t.node("Nope", create=False) is None
    assert t.root.depth == 0 and t.root.leaf == ""
    assert t.node("Assets:Cash").postings == 2


def test_tree_rolls_up_again_after_adding():
    t = _tree()
    assert t.total("Assets").quantity("$") == 155
    t.add("Assets:Bank:Checking", Amount(D(10), "$"))
    assert t.total("Assets").quantity("$") == 165


def test_tree_total_is_a_copy():
    t = _tree()
    t.total("Assets").add(Amount(D(1000), "$"))
    assert t.total("Assets").quantity("$") == 155


@pytest.mark.parametrize("depth, names, bank", [
    (1, ["Assets", "Expenses"], None),
    (2, ["Assets", "Assets:Bank", "Assets:Cash", "Expenses", "Expenses:Food"], 150),
    (3, ["Assets", "Assets:Bank", "Assets:Bank:Checking", "Assets:Bank:Savings", "Assets:Cash", "Expenses",
         "Expenses:Food"], 150),
])
def test_tree_clipped(depth, names, bank):
    c = _tree().clipped(depth)
    assert c.names() == names
    assert c.total("Assets").quantity("$") == 155
    assert c.total() == _tree().total()
    if bank is not None:
        assert c.total("Assets:Bank").quantity("$") == bank


def test_tree_clipped_merges_own_amounts():
    c = _tree().clipped(1)
    assert c.node("Assets").own.quantity("$") == 155
    assert c.node("Assets").postings == 4


def test_tree_pruned_drops_zero_subtrees():
    t = _tree()
    t.add("Liabilities:Card", Amount(D(20), "$"))
    t.add("Liabilities:Card", Amount(D(-20), "$"))
    assert "Liabilities" in t.names()
    assert "Liabilities" not in t.pruned().names()
    assert t.pruned().total() == t.total()
