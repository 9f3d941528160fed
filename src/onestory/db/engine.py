"""Engine and session factories for SQLite (embedded default) and PostgreSQL (scale-out)."""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from onestory.kit.jsonutil import dumps, loads

log = logging.getLogger(__name__)


AUTOCHECKPOINT_PAGES = 16_000

# SQLite's ``synchronous`` in WAL mode. NORMAL: a commit is durable once it is in the WAL,
# which the OS holds until a checkpoint fsyncs it, so a killed process loses nothing but an OS
# crash or power loss can lose the last transactions (the database stays consistent). FULL:
# every commit fsyncs the WAL, which survives power loss too, at the cost of one fsync per
# write transaction.
SqliteSynchronous = Literal["NORMAL", "FULL"]


def _sqlite_pragmas(
    dbapi_connection: Any, _record: Any, *, synchronous: SqliteSynchronous = "NORMAL"
) -> None:
    if synchronous not in ("NORMAL", "FULL"):  # interpolated into SQL: never anything else
        raise ValueError(f"sqlite synchronous must be NORMAL or FULL, not {synchronous!r}")
    cur = dbapi_connection.cursor()
    # WAL lets readers run while one writer commits.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute(f"PRAGMA synchronous={synchronous}")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA temp_store=MEMORY")
    cur.execute("PRAGMA cache_size=-65536")
    cur.execute("PRAGMA mmap_size=268435456")
    # Checkpoints (copying the WAL back into the database file, with an fsync) are run by a
    # background thread (WalCheckpointer) while a runtime is up, so a committing writer, which
    # holds the write lock, does not do them; this is only the safety net (about 64 MB).
    cur.execute(f"PRAGMA wal_autocheckpoint={AUTOCHECKPOINT_PAGES}")
    cur.close()
    # We issue BEGIN ourselves (see _sqlite_begin) so writers can ask for IMMEDIATE.
    dbapi_connection.isolation_level = None


def _sqlite_begin(conn: Connection) -> None:
    mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
    conn.exec_driver_sql(f"BEGIN {mode}")


@dataclass
class Database:
    """The engine and session factory of one store."""

    engine: Engine
    sessions: sessionmaker[Session]
    # SQLite has one writer. This process's writers (ingest, pipeline workers, endpoints)
    # queue on this lock instead of in SQLite's busy handler, which polls with sleeps of up
    # to 100 ms and so leaves the write lock idle between two writers of the same process.
    write_lock: threading.RLock = field(default_factory=threading.RLock)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @contextmanager
    def transaction(self, *, write: bool = False) -> Iterator[Session]:
        """One unit of work: commit on success, roll back on error. Services never commit;
        the caller (an endpoint dependency, a job runner, a CLI command) does, here.

        ``write=True`` takes SQLite's write lock up front (``BEGIN IMMEDIATE``): a deferred
        transaction that reads first and writes later fails at once with "database is locked"
        when another writer committed in between, instead of waiting its turn.
        """
        if write and self.is_sqlite:
            with self.write_lock, self.sessions() as session, session.begin():
                session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
                yield session
            return
        with self.sessions() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()


def create_database(
    url: str,
    *,
    echo: bool = False,
    pool_size: int = 10,
    sqlite_synchronous: SqliteSynchronous = "NORMAL",
) -> Database:
    """The store at ``url``. ``sqlite_synchronous`` is applied to every SQLite connection
    (see ``SqliteSynchronous``); PostgreSQL keeps its own (durable) commit settings."""
    kwargs: dict[str, Any] = {
        "echo": echo,
        "json_serializer": dumps,
        "json_deserializer": loads,
        "future": True,
        # Errors (and the logs that print them) never carry bound values: a failed insert
        # would otherwise show a customer's message or card number in a traceback.
        "hide_parameters": True,
    }
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        kwargs["pool_size"] = pool_size
        kwargs["max_overflow"] = 20
    else:
        kwargs["pool_size"] = pool_size
        kwargs["max_overflow"] = 20
        kwargs["pool_pre_ping"] = True
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        pragmas = functools.partial(_sqlite_pragmas, synchronous=sqlite_synchronous)
        event.listen(engine, "connect", pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    return Database(engine=engine, sessions=sessionmaker(engine, expire_on_commit=False))


class WalCheckpointer:
    """Copies SQLite's write-ahead log back into the database file every ``every`` seconds,
    from its own thread and connection, without blocking readers or writers (PASSIVE)."""

    def __init__(self, db: Database, every: float = 0.5) -> None:
        self.db = db
        self.every = every
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if not self.db.is_sqlite or self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="wal-checkpoint", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is None:
            return
        self._stop.set()
        self._thread.join(timeout=10)
        self._thread = None

    def checkpoint(self) -> tuple[int, int, int]:
        """(busy, frames in the log, frames checkpointed), as SQLite reports them."""
        raw = self.db.engine.raw_connection()
        try:
            cur = raw.cursor()
            row = cur.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            cur.close()
            return (int(row[0]), int(row[1]), int(row[2]))
        finally:
            raw.close()

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            try:
                self.checkpoint()
            except Exception:  # a failed checkpoint is retried; the safety net remains
                log.warning("WAL checkpoint failed", exc_info=True)
