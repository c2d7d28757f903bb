from dataclasses import dataclass

import pytest

from textkit.template import Template, TemplateError


@dataclass
class User:
    name: str
    email: str


def test_variables_and_attributes():
    t = Template("Hi {{ user.name }} <{{user.email}}>, you have {{ count }} messages")
    out = t.render({"user": User("Ada", "ada@example.org"), "count": 3})
    assert out == "Hi Ada <ada@example.org>, you have 3 messages"


def test_nested_dicts():
    assert Template("{{ a.b.c }}").render({"a": {"b": {"c": 42}}}) == "42"


def test_filters_chain():
    t = Template("{{ title|strip|upper }} costs {{ price|fixed:2 }}")
    assert t.render({"title": "  lamp ", "price": 9.5}) == "LAMP costs 9.50"


def test_default_filter():
    t = Template("Name: {{ nick|default:anonymous }}")
    assert t.render({"nick": ""}) == "Name: anonymous"
    assert t.render({"nick": "zed"}) == "Name: zed"


def test_none_renders_empty():
    assert Template("[{{ x }}]").render({"x": None}) == "[]"


def test_variables():
    t = Template("{{ a }} {{ b.c|upper }} {{ a }}")
    assert t.variables() == {"a", "b"}


@pytest.mark.parametrize(
    "source, context, message",
    [
        ("{{ missing }}", {}, "undefined variable 'missing'"),
        ("{{ u.phone }}", {"u": User("a", "b")}, "no 'phone' on User"),
        ("{{ x|shout }}", {"x": 1}, "unknown filter 'shout'"),
    ],
)
def test_errors(source, context, message):
    with pytest.raises(TemplateError, match=message):
        Template(source).render(context)
