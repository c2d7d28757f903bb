from .wrap import center, justify, paginate, truncate, wrap

__all__ = ["center", "justify", "paginate", "truncate", "wrap"]
