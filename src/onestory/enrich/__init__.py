"""OneStory enrichment."""
