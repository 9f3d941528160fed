"""OneStory cases."""
