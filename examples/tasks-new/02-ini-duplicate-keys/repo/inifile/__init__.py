from inifile.parser import Config, ParseError, DuplicateError, parse, parse_file
from inifile.writer import dump

__all__ = ["Config", "ParseError", "DuplicateError", "parse", "parse_file", "dump"]
