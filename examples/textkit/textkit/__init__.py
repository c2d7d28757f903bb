"""textkit: small, dependency-free text utilities."""

from textkit.csvish import split_record
from textkit.ini import IniError, parse_ini
from textkit.slug import slugify
from textkit.template import Template, TemplateError
from textkit.wrap import wrap

__all__ = ["IniError", "Template", "TemplateError", "parse_ini", "slugify", "split_record", "wrap"]
