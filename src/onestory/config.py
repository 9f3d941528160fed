"""Settings, read from ``ONESTORY_*`` environment variables (and ``.env``), split by subsystem.

The main ones are flat (``ONESTORY_DATABASE_URL``, ``ONESTORY_BUS``, ``ONESTORY_REDIS_URL``,
``ONESTORY_DATA_DIR``, ``ONESTORY_LOG_LEVEL``); per-subsystem knobs are nested with a double
underscore (``ONESTORY_INGEST__MAX_BATCH=500``).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from onestory.channels.settings import ChannelSettings
from onestory.conversations.settings import ConversationSettings
from onestory.enrich.settings import AISettings
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
    # others (events/parallel.py). None: one on a machine with two or more CPUs; 0: none.
    prepare_processes: int | None = Field(default=None, ge=0, le=32)
    # Bodies at least this large go to a worker; smaller ones are prepared in-process.
    prepare_min_bytes: int = Field(default=64 * 1024, ge=0)


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

    @model_validator(mode="after")
    def _default_database(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{(self.data_dir / 'onestory.db').as_posix()}"
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
