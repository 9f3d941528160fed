"""OneStory conversations."""
