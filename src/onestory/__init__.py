"""OneStory: every customer has one story."""

__version__ = "0.1.0"
