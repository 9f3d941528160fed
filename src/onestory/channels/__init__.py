"""OneStory channels."""
