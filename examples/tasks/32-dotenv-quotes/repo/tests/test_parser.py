import pytest

from envfile.parser import DotenvError, parse_dotenv


def test_plain_values_and_comments():
    text = "# settings\nHOST=localhost\nexport PORT = 8080  # web\n\n"
    assert parse_dotenv(text) == {"HOST": "localhost", "PORT": "8080"}


def test_double_quotes():
    assert parse_dotenv('NAME="Jane Doe"\nMSG="a\\nb"') == {"NAME": "Jane Doe", "MSG": "a\nb"}


def test_single_quotes_are_literal():
    assert parse_dotenv("PATTERN='${HOME} # not a comment'") == {"PATTERN": "${HOME} # not a comment"}


def test_references():
    text = "USER=ann\nHOME_DIR=/home/${USER}\nSHELL_PATH=${SHELL}"
    assert parse_dotenv(text, {"SHELL": "/bin/sh"}) == {"USER": "ann", "HOME_DIR": "/home/ann", "SHELL_PATH": "/bin/sh"}


def test_bad_line():
    with pytest.raises(DotenvError, match="line 2"):
        parse_dotenv("A=1\nnot a pair")
