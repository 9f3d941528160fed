"""The pipeline: stages, the runner (publish, recover, batches, sweep) and the unit of work
(``uow``). Uses the story core, models, bus, live and db; no domain."""
