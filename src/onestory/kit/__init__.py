"""Domain-free helpers: ids, time, errors, JSON."""
