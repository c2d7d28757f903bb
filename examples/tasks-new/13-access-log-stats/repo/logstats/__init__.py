from .access import LogError, Request, Summary, parse_line, summarize

__all__ = ["LogError", "Request", "Summary", "parse_line", "summarize"]
