"""OneStory web UI."""
