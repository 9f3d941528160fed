"""Text understanding without a model download: personal data, entities, effort, promises and
conversation summaries. Every function is pure (no database, no clock, no network) and never
raises on any ``str`` input."""

from onestory.ai.extract.dates import DateMention, add_business_days, find_dates
from onestory.ai.extract.effort import (
    ContactContext,
    EffortScore,
    EffortSignal,
    MessageEffort,
    effort_score,
    message_effort,
)
from onestory.ai.extract.entities import (
    Entities,
    MoneyMention,
    ProductCatalogue,
    ProductMention,
    ReferenceMention,
    extract_entities,
    find_money,
    find_references,
)
from onestory.ai.extract.message import (
    EXTRACTOR_NAME,
    EXTRACTOR_VERSION,
    MessageInsights,
    analyse_message,
)
from onestory.ai.extract.pii import (
    PiiSpan,
    RedactionError,
    RedactionPolicy,
    RedactionResult,
    Redactor,
    decrypt_original,
    detect_pii,
    generate_key,
    redact,
)
from onestory.ai.extract.pii_logs import (
    ClientAddressFilter,
    PiiLogFilter,
    install_pii_log_filter,
    scrub_log_text,
)
from onestory.ai.extract.promises import PromiseDraft, extract_promises
from onestory.ai.extract.summary import ConversationSummary, SummaryMessage, summarize

__all__ = [
    "EXTRACTOR_NAME",
    "EXTRACTOR_VERSION",
    "ClientAddressFilter",
    "ContactContext",
    "ConversationSummary",
    "DateMention",
    "EffortScore",
    "EffortSignal",
    "Entities",
    "MessageEffort",
    "MessageInsights",
    "MoneyMention",
    "PiiLogFilter",
    "PiiSpan",
    "ProductCatalogue",
    "ProductMention",
    "PromiseDraft",
    "RedactionError",
    "RedactionPolicy",
    "RedactionResult",
    "Redactor",
    "ReferenceMention",
    "SummaryMessage",
    "add_business_days",
    "analyse_message",
    "decrypt_original",
    "detect_pii",
    "effort_score",
    "extract_entities",
    "extract_promises",
    "find_dates",
    "find_money",
    "find_references",
    "generate_key",
    "install_pii_log_filter",
    "message_effort",
    "redact",
    "scrub_log_text",
    "summarize",
]
