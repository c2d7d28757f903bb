from minilex.lexer import LexError, Lexer, Token, tokenize

__all__ = ["LexError", "Lexer", "Token", "tokenize"]
