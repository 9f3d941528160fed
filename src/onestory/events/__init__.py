"""Events (story core): envelope and payload schemas, validation, idempotent recording and
the story queries. Uses customers (identity), models, db, config and ai (the scrubber); no
domain."""
