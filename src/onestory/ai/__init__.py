"""AI: understanding messages (classification, extraction) and the models behind it."""
