"""Backups of the whole SQLite database: a consistent copy taken while other processes write, with a manifest.

A backup is two files: `paa-backup-<UTC stamp>.db`, a self-contained SQLite file (no -wal beside it), and
`<that name>.json`, its manifest: paa's version, the schema revision, when it was taken, whether it holds sealed
(encrypted) values and with which data keys, and the file's SHA-256. Both are 0600. The copy is made with SQLite's
online backup API in one step, so it is the database as it stood at one instant: every write committed before the
copy began is in it, and none half-way. Sealed columns stay sealed in the copy: restoring it needs the data key
(data.key or the OS keyring entry), which a backup never contains.

On PostgreSQL the backup is pg_dump's archive (`.dump`) or paa's logical copy (`.pgcopy`), with the same manifest:
see paa.core.dataio.pg.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from collections.abc import Iterator
from contextlib import closing, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from paa.config import Paths
from paa.db.engine import BUSY_TIMEOUT_MS
from paa.db.sealed import SEALED_COLUMNS
from paa.errors import Conflict, InvalidInput, NotFound, StorageError
from paa.files import PRIVATE, write_private_json

MANIFEST_FORMAT = "paa-backup"
MANIFEST_VERSION = 1
BACKUP_PREFIX = "paa-backup-"  # the backups `backup.keep` prunes; other files in backups/ are left alone
RESTORE_PREFIX = "paa-before-restore-"  # the copy a restore keeps of the database it replaces (never pruned)
SEALED_PREFIX = "enc:v1:"
_CHUNK = 1 << 20
BACKUP_SUFFIXES = (".db", ".dump", ".pgcopy")  # a SQLite file, pg_dump's archive, paa's logical copy of PostgreSQL
DAILY = timedelta(days=1)


@dataclass(frozen=True)
class BackupInfo:
    """One backup file and what its manifest says; `sha256` is None for a copy without a manifest."""

    path: Path
    created_at: datetime | None
    paa_version: str | None
    revision: str | None
    encrypted: bool | None
    key_ids: tuple[str, ...] = ()
    sha256: str | None = None
    size: int = 0
    content: str | None = None  # "sqlite", "pg_dump" (custom-format archive) or "pg_copy" (paa's logical copy)

    @property
    def kind(self) -> str:
        """backup (paa backup), before-restore (kept by paa restore), migration (before a schema upgrade), other."""
        name = self.path.name
        if name.startswith(BACKUP_PREFIX):
            return "backup"
        if name.startswith(RESTORE_PREFIX):
            return "before-restore"
        if self.sha256 is None and name.startswith("paa-") and name.endswith(".db"):
            return "migration"
        return "other"

    def to_json(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "kind": self.kind,
            "created_at": self.created_at.isoformat() if self.created_at else None,
            "paa_version": self.paa_version,
            "revision": self.revision,
            "encrypted": self.encrypted,
            "key_ids": list(self.key_ids),
            "sha256": self.sha256,
            "size": self.size,
            "content": self.content,
        }


@dataclass(frozen=True)
class BackupResult:
    """What `paa backup` did: the backup written, the older backups retention removed, and a note on how (on
    PostgreSQL without a fitting pg_dump, why the backup is paa's logical copy)."""

    backup: BackupInfo
    removed: tuple[Path, ...] = field(default_factory=tuple)
    note: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {**self.backup.to_json(), "removed": [str(path) for path in self.removed], "note": self.note}


def sqlite_file(engine: Engine) -> Path:
    """The database file behind `engine`; an in-memory database (or another engine) is refused."""
    if engine.dialect.name != "sqlite":
        raise StorageError(f"paa copies SQLite files this way; this database is {engine.dialect.name}")
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise StorageError("cannot back up an in-memory database")
    return Path(database)


def manifest_path(backup: Path) -> Path:
    return backup.with_name(backup.name + ".json")


def backup_database(
    engine: Engine,
    paths: Paths,
    now: datetime,
    *,
    target: Path | None = None,
    keep: int = 0,
    prefix: str = BACKUP_PREFIX,
) -> BackupResult:
    """Copy the database to `target` (default: a new file named `prefix` + a UTC stamp in the backups folder) with
    its manifest.

    `keep` > 0 then removes the oldest `paa-backup-*` files of the backups folder beyond that many; a backup written
    elsewhere is never pruned.
    """
    from paa import __version__

    postgres = engine.dialect.name == "postgresql"
    note = None
    if postgres:
        from paa.core.dataio import pg

        tool, note = pg.choose_pg_dump(engine)
        suffix, content = pg.suffix_for(tool), ("pg_dump" if tool is not None else "pg_copy")
    else:
        source = sqlite_file(engine)
        suffix, content = ".db", "sqlite"
    destination = _destination(paths, now, target, prefix, suffix)
    partial = destination.with_name(f".{destination.name}.{os.getpid()}.partial")
    try:
        _create_private(partial)
        if postgres:
            dumped = pg.dump(engine, partial, tool, note)
            revision, key_ids = dumped.revision, dumped.key_ids
        else:
            revision, key_ids = _copy(source, partial)
        digest, size = file_digest(partial)
        os.replace(partial, destination)
    except BaseException:
        with suppress(OSError):
            partial.unlink()
        with suppress(OSError):
            if destination.stat().st_size == 0:
                destination.unlink()  # the name reserved for it
        raise
    created = now.astimezone(UTC)
    info = BackupInfo(destination, created, __version__, revision, bool(key_ids), key_ids, digest, size, content)
    write_private_json(manifest_path(destination), _manifest(info), sort_keys=False)
    removed = prune(paths, keep) if keep > 0 and destination.parent == paths.backup_dir else ()
    return BackupResult(info, tuple(removed), note)


def _destination(paths: Paths, now: datetime, target: Path | None, prefix: str, suffix: str = ".db") -> Path:
    """A new file for the backup, reserved (created empty, 0600) so two backups in one second get two names."""
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    if target is not None and not target.is_dir():
        if target.exists():
            raise Conflict(f"{target} already exists", hint="name a new file, or a folder to write the backup into")
        if not target.parent.is_dir():
            raise NotFound(f"no folder {target.parent} to write the backup into", field="file")
        _create_private(target)
        return target
    folder = target if target is not None else paths.backup_dir
    if target is None:
        try:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"cannot make the backups folder {folder}: {exc.strerror}") from None
    return reserve(folder, f"{prefix}{stamp}", suffix)


def reserve(folder: Path, stem: str, suffix: str = ".db") -> Path:
    """Create `stem.db` (or `stem-2.db`, ...; another `suffix` if given) empty and 0600 in `folder`, and return it."""
    for attempt in range(1, 1000):
        candidate = folder / (f"{stem}{suffix}" if attempt == 1 else f"{stem}-{attempt}{suffix}")
        try:
            _create_private(candidate)
        except FileExistsError:
            continue
        return candidate
    raise StorageError(
        f"cannot name a backup in {folder}: {stem}{suffix} and 998 more exist", hint="remove old backups"
    )


def _create_private(path: Path) -> None:
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE))  # private before a byte is copied
    except FileExistsError:
        raise
    except OSError as exc:
        raise StorageError(f"cannot write {path}: {exc.strerror}") from None


def _copy(source: Path, destination: Path) -> tuple[str | None, tuple[str, ...]]:
    """Copy `source` into `destination` in one step of the online backup API; return its revision and key ids."""
    try:
        with (
            closing(sqlite3.connect(source, timeout=BUSY_TIMEOUT_MS / 1000)) as src,
            closing(sqlite3.connect(destination)) as dst,
        ):
            src.backup(dst)  # pages=-1: one step, one read snapshot of the source, so the copy is consistent
            dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal to carry along
            return read_revision(dst), sealed_key_ids(dst)
    except sqlite3.Error as exc:
        raise StorageError(f"cannot copy the database: {exc}") from None


def read_revision(conn: sqlite3.Connection) -> str | None:
    """The schema revision stored in an open paa database, or None when it has none."""
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return None
        raise
    return row[0] if row else None


def sealed_key_ids(conn: sqlite3.Connection) -> tuple[str, ...]:
    """The ids of the data keys that sealed values in this database (empty: nothing in it is encrypted)."""
    start = len(SEALED_PREFIX) + 1
    found: set[str] = set()
    for table, column in SEALED_COLUMNS:
        try:
            rows = conn.execute(
                f"SELECT DISTINCT substr({column}, {start}, instr(substr({column}, {start}), ':') - 1)"
                f" FROM {table} WHERE {column} LIKE '{SEALED_PREFIX}%'"
            ).fetchall()
        except sqlite3.OperationalError:
            continue  # a table an older schema does not have yet
        found.update(row[0] for row in rows if row[0])
    return tuple(sorted(found))


def file_digest(path: Path) -> tuple[str, int]:
    """The SHA-256 (hex) and size of a file."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _manifest(info: BackupInfo) -> dict[str, Any]:
    return {
        "format": MANIFEST_FORMAT,
        "version": MANIFEST_VERSION,
        "paa_version": info.paa_version,
        "database": "sqlite" if info.content in (None, "sqlite") else "postgresql",
        "content": info.content,
        "revision": info.revision,
        "created_at": info.created_at.isoformat() if info.created_at else None,
        "encrypted": info.encrypted,
        "key_ids": list(info.key_ids),
        "file": info.path.name,
        "size": info.size,
        "sha256": info.sha256,
    }


def read_backup(path: Path) -> BackupInfo:
    """What a backup file is, from its manifest when it has one (not verified: see `verify_backup`)."""
    import json

    if not path.is_file():
        raise NotFound(f"no backup file {path}", field="file")
    size = path.stat().st_size
    sidecar = manifest_path(path)
    if not sidecar.is_file():
        return BackupInfo(path, _mtime(path), None, None, None, size=size)
    try:
        data = json.loads(sidecar.read_text(encoding="utf-8"))
        if data.get("format") != MANIFEST_FORMAT:
            raise ValueError("not a paa backup manifest")
        if int(data.get("version", 0)) > MANIFEST_VERSION:
            raise InvalidInput(
                f"{sidecar} is a backup manifest of a newer paa (version {data.get('version')})",
                hint="upgrade paa to restore it",
                field="file",
            )
        created = datetime.fromisoformat(data["created_at"]) if data.get("created_at") else None
        return BackupInfo(
            path,
            created,
            data.get("paa_version"),
            data.get("revision"),
            bool(data.get("encrypted")),
            tuple(str(kid) for kid in data.get("key_ids") or ()),
            str(data["sha256"]),
            size,
            str(data["content"]) if data.get("content") else ("sqlite" if data.get("database") == "sqlite" else None),
        )
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InvalidInput(f"{sidecar} is not a valid backup manifest ({exc})", field="file") from None


def verify_backup(path: Path) -> BackupInfo:
    """Read a backup and check its checksum against the manifest; raise InvalidInput when they differ."""
    info = read_backup(path)
    if info.sha256 is None:
        return info
    digest, _ = file_digest(path)
    if digest != info.sha256:
        raise InvalidInput(
            f"{path} does not match its checksum: the file changed or is damaged",
            hint=f"its manifest {manifest_path(path).name} expects sha256 {info.sha256[:16]}...",
            field="file",
        )
    return info


def _mtime(path: Path) -> datetime:
    return datetime.fromtimestamp(path.stat().st_mtime, UTC)


def _backup_files(folder: Path) -> Iterator[Path]:
    if not folder.is_dir():
        return
    for path in folder.iterdir():
        if path.suffix in BACKUP_SUFFIXES and path.is_file() and not path.name.startswith("."):
            yield path


def list_backups(paths: Paths) -> list[BackupInfo]:
    """The backups in the backups folder (paa backup's, restore's and migration copies), oldest first."""
    found = []
    for path in _backup_files(paths.backup_dir):
        try:
            found.append(read_backup(path))
        except (InvalidInput, NotFound):
            found.append(BackupInfo(path, _mtime(path), None, None, None, size=path.stat().st_size))
    return sorted(found, key=_age)


def _age(info: BackupInfo) -> tuple[datetime, int, str]:
    created = info.created_at or datetime.min.replace(tzinfo=UTC)
    return created, info.path.stat().st_mtime_ns if info.path.exists() else 0, info.path.name


def prune(paths: Paths, keep: int) -> list[Path]:
    """Remove the oldest `paa backup` files of the backups folder beyond the newest `keep`; return what went."""
    ours = [info for info in list_backups(paths) if info.kind == "backup"]
    removed = []
    for info in ours[: max(0, len(ours) - keep)]:
        for path in (info.path, manifest_path(info.path)):
            with suppress(FileNotFoundError):
                path.unlink()
        removed.append(info.path)
    return removed


def backup_due(paths: Paths, now: datetime, every: timedelta = DAILY) -> bool:
    """Whether the newest `paa backup` copy in the backups folder is `every` old (or there is none)."""
    taken = [info.created_at for info in list_backups(paths) if info.kind == "backup" and info.created_at]
    return not taken or now - max(taken) >= every
