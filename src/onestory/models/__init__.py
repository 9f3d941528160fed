"""All ORM tables, one module per aggregate, re-exported here (import from here only)."""

from onestory.models.auth import ApiKey
from onestory.models.customers import Customer, CustomerMerge, Identity
from onestory.models.events import Event, Insight, PipelineJob
from onestory.models.jobs import Job
from onestory.models.signals import Signal

__all__ = [
    "ApiKey",
    "Customer",
    "CustomerMerge",
    "Event",
    "Identity",
    "Insight",
    "Job",
    "PipelineJob",
    "Signal",
]
