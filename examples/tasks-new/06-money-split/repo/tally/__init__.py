from .money import Money, CurrencyMismatch, allocate, split_even, parse_money, format_money

__all__ = ["Money", "CurrencyMismatch", "allocate", "split_even", "parse_money", "format_money"]
