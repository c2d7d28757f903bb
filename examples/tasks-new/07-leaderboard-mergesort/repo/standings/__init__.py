from .board import Entry, Leaderboard, merge_sort, rank

__all__ = ["Entry", "Leaderboard", "merge_sort", "rank"]
