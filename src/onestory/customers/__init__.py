"""Customers (story core): identifier normalisation, identity resolution, merges and
unmerges, and the profile and story views every domain reads (``service``). Uses events,
models, db and ai (the public view of redacted payloads); no domain."""
