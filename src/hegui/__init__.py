"""hegui (合规): compliance toolkit for generative-AI services under China's AI rules."""

__version__ = "0.1.0.dev0"
