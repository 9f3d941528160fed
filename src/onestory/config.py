"""Settings, read from ``ONESTORY_*`` environment variables (and ``.env``), split by subsystem.

The main ones are flat (``ONESTORY_DATABASE_URL``, ``ONESTORY_BUS``, ``ONESTORY_REDIS_URL``,
``ONESTORY_DATA_DIR``, ``ONESTORY_LOG_LEVEL``); per-subsystem knobs are nested with a double
underscore (``ONESTORY_INGEST__MAX_BATCH=500``).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from limits import parse
from pydantic import BaseModel, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from onestory.ai.settings import AISettings
from onestory.channels.settings import ChannelSettings
from onestory.conversations.settings import ConversationSettings
from onestory.kit.secrets import persisted_secret
from onestory.proactive.settings import ProactiveSettings
from onestory.web.settings import WebSettings


class DatabaseSettings(BaseModel):
    echo: bool = False
    pool_size: int = 10
    # SQLite only (``ONESTORY_DB__SQLITE_SYNCHRONOUS``). NORMAL (default) survives a killed
    # process but an OS crash or power loss can lose the last commits; FULL fsyncs every
    # commit, so those survive too, at the cost of write throughput.
    sqlite_synchronous: Literal["NORMAL", "FULL"] = "NORMAL"

    @field_validator("sqlite_synchronous", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value


class PipelineSettings(BaseModel):
    stream_prefix: str = "onestory"
    # How many events a stage worker takes from the bus at once.
    batch_size: int = 500
    # Run the stage workers inside the API process (the embedded default). Turn off when
    # separate ``onestory worker`` processes consume the Redis streams.
    inprocess_workers: bool = True


class IngestSettings(BaseModel):
    max_batch: int = 1000
    max_payload_bytes: int = 64 * 1024
    max_body_bytes: int = 16 * 1024 * 1024
    # Events may claim to happen a little in the future (clock skew), not more.
    max_future_skew_seconds: int = 300
    default_phone_region: str = "GB"
    # Worker processes that validate and redact large batches while the API process records
    # others (ingest/parallel.py). None: one on a machine with two or more CPUs; 0: none.
    prepare_processes: int | None = Field(default=None, ge=0, le=32)
    # Bodies at least this large go to a worker; smaller ones are prepared in-process.
    prepare_min_bytes: int = Field(default=64 * 1024, ge=0)
    # Start those processes in the background at start-up rather than on the first large
    # batch (the test suite switches it off: it starts hundreds of short-lived apps).
    prepare_warm_up: bool = True


class LimitsSettings(BaseModel):
    """``ONESTORY_LIMITS__*``: rate limits as ``"<count>/<period>"`` (e.g. ``"5/minute"``),
    counted in Redis when ``bus`` is ``redis``, else in process memory."""

    enabled: bool = True
    # Failed sign-ins per account; past it the account is locked (even for the right
    # password) until the window has passed.
    login: str = "5/minute"
    # Failed sign-ins per client address, whatever the accounts tried.
    login_client: str = "20/minute"
    # The public chat widget, per client address: new sessions and email claims.
    widget_session: str = "20/minute"
    widget_identify: str = "10/minute"
    # Widget messages per visitor session and per client address.
    widget_messages: str = "20/minute"
    widget_messages_client: str = "60/minute"
    # A widget message body (JSON) larger than this is refused with 413.
    widget_max_message_bytes: int = Field(default=8 * 1024, ge=256, le=1024 * 1024)
    # Reverse proxies (addresses or networks) whose X-Forwarded-For names the client;
    # without them the direct peer's address is the client.
    trusted_proxies: list[str] = []

    @field_validator(
        "login",
        "login_client",
        "widget_session",
        "widget_identify",
        "widget_messages",
        "widget_messages_client",
    )
    @classmethod
    def _is_a_limit(cls, value: str) -> str:
        try:
            parse(value)
        except ValueError as exc:
            raise ValueError(f"{value!r} is not a rate limit like '5/minute'") from exc
        return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="ONESTORY_",
        env_nested_delimiter="__",
        env_file=".env",
        extra="ignore",
    )

    data_dir: Path = Path("var")
    log_level: str = "INFO"
    env: Literal["development", "production", "test"] = "development"
    secret_key: str = Field(
        default="", description="Signs sessions and webhooks; generated in data_dir when empty"
    )
    base_url: str = "http://127.0.0.1:8000"

    # Empty means a SQLite file under data_dir.
    database_url: str = ""
    bus: Literal["memory", "redis"] = "memory"
    redis_url: str = "redis://127.0.0.1:6379/0"

    db: DatabaseSettings = DatabaseSettings()
    pipeline: PipelineSettings = PipelineSettings()
    ingest: IngestSettings = IngestSettings()
    ai: AISettings = AISettings()
    conversations: ConversationSettings = ConversationSettings()
    channels: ChannelSettings = ChannelSettings()
    proactive: ProactiveSettings = ProactiveSettings()
    web: WebSettings = WebSettings()
    limits: LimitsSettings = LimitsSettings()
    # Which background services this process runs, by name (bootstrap.py lists them: outbox,
    # promise-checker, proactive-deferred, ai-warm-up, ...). Empty: every one (the single-process
    # server); e.g. ONESTORY_BACKGROUND='["outbox"]' for a process that only delivers.
    background: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _default_database(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{(self.data_dir / 'onestory.db').as_posix()}"
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def with_generated_secrets(settings: Settings) -> Settings:
    """``settings`` with the widget and webhook secrets filled in: an explicit setting wins,
    else the one generated once in ``data_dir`` (``widget_secret``, ``webhook_secret``)."""
    channels = settings.channels
    update: dict[str, str] = {}
    if not channels.widget_secret:
        update["widget_secret"] = persisted_secret(settings.data_dir, "widget_secret")
    if not channels.webhook_secret:
        update["webhook_secret"] = persisted_secret(settings.data_dir, "webhook_secret")
    if not update:
        return settings
    return settings.model_copy(update={"channels": channels.model_copy(update=update)})


def load_secret(settings: Settings) -> bytes:
    """The app secret: ``ONESTORY_SECRET_KEY``, else one generated once in ``data_dir``."""
    if settings.secret_key:
        return settings.secret_key.encode()
    return persisted_secret(settings.data_dir, "secret_key", nbytes=48).encode()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
