"""Profiles: the customer API — list and read profiles, the story timeline, edit a profile,
merge and unmerge. The rules live in the story core (``onestory.customers``); this package
holds only the routes. Uses the core runtime and the customers service."""
