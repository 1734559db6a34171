"""Models of the analysis app: the codebook of views and the coding of answers."""

from .codebook import Code
from .coding import Coding, ReplyReview, Suggestion

__all__ = ["Code", "Coding", "ReplyReview", "Suggestion"]
