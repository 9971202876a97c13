"""Backups and restores of a PostgreSQL database: pg_dump's archive when a fitting pg_dump is here, else paa's own
logical copy; both restored by paa in one transaction.

A backup is `paa-backup-<UTC stamp>.dump` (pg_dump's custom format, which `pg_restore` also reads) or
`paa-backup-<UTC stamp>.pgcopy` (paa's logical copy: gzip of a JSON header line, then each table as a JSON line
naming it, its columns, rows and size, followed by its rows in PostgreSQL's COPY text format), with the same
manifest as a SQLite backup. Either is one snapshot: pg_dump's own, or a REPEATABLE READ read-only transaction.

pg_dump must be of the server's major version or newer (an older one refuses the server); paa looks on PATH and in
/usr/lib/postgresql/*/bin. The password never reaches a command line: pg_dump reads it from a 0600 password file
named by PGPASSFILE, in a private temporary folder removed afterwards.

A restore reads the backup's rows (pg_restore turns an archive into COPY data without a server), then, in one
transaction on the live database: takes the migration lock and an exclusive lock on every table (other processes
wait, readers included), writes the current data to `paa-before-restore-<stamp>.pgcopy` from inside that
transaction, empties the tables (an older backup: drops them and builds its schema with the migrations), loads the
backup's rows in foreign-key order, migrates an older one forward, keeps the id sequences going up, and commits.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import URL

from paa.db.sealed import SEALED_COLUMNS
from paa.errors import InvalidInput, StorageError

DUMP_SUFFIX = ".dump"  # pg_dump --format=custom
COPY_SUFFIX = ".pgcopy"  # paa's logical copy
COPY_FORMAT = "paa-pg-copy"
COPY_VERSION = 1
TOOL_FOLDERS = "/usr/lib/postgresql/*/bin"
_VERSION = re.compile(r"\(PostgreSQL\)\s+(\d+)")
_COPY_LINE = re.compile(r'^COPY (?:"?[\w$]+"?\.)?"?([\w$]+)"? \((.*)\) FROM stdin;$')
_SEALED_PREFIX = "enc:v1:"
_TIMEOUT = 6 * 3600  # seconds; a dump of a big database takes long, a hung one should not hang forever


@dataclass(frozen=True)
class Tool:
    """A PostgreSQL client program found here, with its major version."""

    path: Path
    major: int


@dataclass(frozen=True)
class Dumped:
    """What a PostgreSQL backup wrote: its revision and key ids, and how (pg_dump, or the logical copy and why)."""

    revision: str | None
    key_ids: tuple[str, ...]
    method: str  # "pg_dump" or "logical"
    note: str | None = None


def server_major(engine: Engine) -> int:
    """The server's major version (16 for 16.4); a server that cannot be reached is a one-line StorageError."""
    from sqlalchemy.exc import OperationalError

    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SHOW server_version_num")).scalar_one()) // 10000
    except OperationalError as exc:
        where = engine.url.render_as_string(hide_password=True)
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else "no answer"
        raise StorageError(f"cannot reach the database {where} to back it up: {reason}") from None


def find_tool(name: str, at_least: int = 0) -> tuple[Tool | None, list[Tool]]:
    """The newest `name` (pg_dump, pg_restore) on PATH or in /usr/lib/postgresql/*/bin of major >= `at_least`, and
    every one found (to say why none fits)."""
    import glob

    candidates: list[str] = []
    on_path = shutil.which(name)
    if on_path:
        candidates.append(on_path)
    candidates += sorted(glob.glob(f"{TOOL_FOLDERS}/{name}"))
    found: list[Tool] = []
    seen: set[str] = set()
    for candidate in candidates:
        real = os.path.realpath(candidate)
        if real in seen:
            continue
        seen.add(real)
        major = _major(candidate)
        if major is not None:
            found.append(Tool(Path(candidate), major))
    fitting = [tool for tool in found if tool.major >= at_least]
    return (max(fitting, key=lambda tool: tool.major) if fitting else None), found


def _major(program: str) -> int | None:
    try:
        done = subprocess.run([program, "--version"], capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    match = _VERSION.search(done.stdout)
    return int(match.group(1)) if match else None


def libpq_target(url: URL) -> str:
    """The database as a libpq connection URL without its password (safe on a command line)."""
    return url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)


@contextmanager
def libpq_environment(url: URL) -> Iterator[dict[str, str]]:
    """The environment for a libpq program: the password in a 0600 PGPASSFILE of a private temporary folder
    (removed after), never in an argument or PGPASSWORD (which `ps e` shows)."""
    environ = {key: value for key, value in os.environ.items() if key not in ("PGPASSWORD", "PGPASSFILE")}
    password = url.password
    if password is None:
        yield environ
        return
    folder = tempfile.mkdtemp(prefix="paa-pg-")  # 0700
    passfile = Path(folder) / "pgpass"
    try:
        descriptor = os.open(passfile, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        escaped = str(password).replace("\\", "\\\\").replace(":", "\\:")
        with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
            stream.write(f"*:*:*:*:{escaped}\n")
        yield {**environ, "PGPASSFILE": str(passfile)}
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _run(argv: list[str], environ: dict[str, str], what: str) -> None:
    try:
        done = subprocess.run(
            argv, env=environ, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=_TIMEOUT, check=False
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise StorageError(f"{what} did not run: {exc}") from None
    if done.returncode != 0:
        lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
        raise StorageError(f"{what} failed: {lines[-1] if lines else f'exit code {done.returncode}'}")


# -- backing up --


def choose_pg_dump(engine: Engine) -> tuple[Tool | None, str | None]:
    """The pg_dump to use for this server, or None and a sentence saying why there is none."""
    major = server_major(engine)
    tool, found = find_tool("pg_dump", major)
    if tool is not None:
        return tool, None
    seen = ", ".join(f"{found_tool.path} ({found_tool.major})" for found_tool in found) or "none"
    return None, (
        f"no pg_dump of PostgreSQL {major} or newer here (found: {seen}), so this is paa's logical copy; "
        f"install postgresql-client-{major} for pg_dump's archive"
    )


def suffix_for(tool: Tool | None) -> str:
    return DUMP_SUFFIX if tool is not None else COPY_SUFFIX


def dump(engine: Engine, partial: Path, tool: Tool | None, note: str | None = None) -> Dumped:
    """Write a backup of the PostgreSQL database to `partial`: pg_dump's archive with `tool`, else the logical copy."""
    if tool is None:
        with engine.connect() as conn:
            conn = conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
            with conn.begin():
                revision, key_ids = describe(conn)
                with open(partial, "wb") as raw:
                    write_copy(conn, raw, revision)
        return Dumped(revision, key_ids, "logical", note)
    with engine.connect() as conn:
        revision, key_ids = describe(conn)
    url = engine.url
    with libpq_environment(url) as environ:
        argv = [str(tool.path), "--format=custom", "--no-owner", "--no-privileges", f"--file={partial}"]
        _run([*argv, f"--dbname={libpq_target(url)}"], environ, "pg_dump")
    return Dumped(revision, key_ids, "pg_dump")


def describe(conn: Connection) -> tuple[str | None, tuple[str, ...]]:
    """The schema revision and the ids of the data keys that sealed values, read on `conn`."""
    tables = set(_tables(conn))
    revision = (
        conn.execute(text("SELECT version_num FROM alembic_version")).scalar() if "alembic_version" in tables else None
    )
    found: set[str] = set()
    for table, column in SEALED_COLUMNS:
        if table not in tables or column not in _columns(conn, table):
            continue  # a table or column an older schema does not have yet
        rows = conn.execute(
            text(f'SELECT DISTINCT split_part("{column}", \':\', 3) FROM "{table}" WHERE "{column}" LIKE :sealed'),
            {"sealed": f"{_SEALED_PREFIX}%"},
        )
        found.update(row[0] for row in rows if row[0])
    return revision, tuple(sorted(found))


def _tables(conn: Connection) -> list[str]:
    rows = conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1"))
    return [row[0] for row in rows]


def _columns(conn: Connection, table: str) -> list[str]:
    rows = conn.execute(
        text(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema()"
            " AND table_name = :table AND is_generated = 'NEVER' ORDER BY ordinal_position"
        ),
        {"table": table},
    )
    return [row[0] for row in rows]


def _quoted(names: list[str]) -> str:
    return ", ".join(f'"{name}"' for name in names)


def write_copy(conn: Connection, raw: IO[bytes], revision: str | None) -> None:
    """Write every table of the database, as `conn`'s transaction sees it, in paa's logical copy format."""
    driver: Any = conn.connection.driver_connection
    tables = _tables(conn)
    with gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=6, mtime=0) as stream:
        header = {"format": COPY_FORMAT, "version": COPY_VERSION, "revision": revision, "tables": tables}
        stream.write(json.dumps(header).encode() + b"\n")
        for table in tables:
            columns = _columns(conn, table)
            with tempfile.TemporaryFile() as spool:
                rows = 0
                with driver.cursor().copy(f'COPY "{table}" ({_quoted(columns)}) TO STDOUT') as copy:
                    for chunk in copy:
                        spool.write(chunk)
                        rows += bytes(chunk).count(b"\n")
                size = spool.tell()
                spool.seek(0)
                line = {"table": table, "columns": columns, "rows": rows, "size": size}
                stream.write(json.dumps(line).encode() + b"\n")
                shutil.copyfileobj(spool, stream)


# -- restoring --


@dataclass(frozen=True)
class Block:
    """One table's rows in a logical copy: where its COPY data lies in the uncompressed stream."""

    table: str
    columns: tuple[str, ...]
    rows: int
    offset: int
    size: int


def read_copy_index(path: Path) -> tuple[dict[str, Any], list[Block]]:
    """The header and the tables of a logical copy (checked: format, version, sizes)."""
    blocks: list[Block] = []
    try:
        with gzip.open(path, "rb") as stream:
            header = json.loads(stream.readline())
            if not isinstance(header, dict) or header.get("format") != COPY_FORMAT:
                raise ValueError("not paa's logical copy of PostgreSQL")
            if int(header.get("version", 0)) > COPY_VERSION:
                raise InvalidInput(f"{path} is a copy of a newer paa", hint="upgrade paa to restore it", field="file")
            while line := stream.readline():
                entry = json.loads(line)
                offset = stream.tell()
                block = Block(entry["table"], tuple(entry["columns"]), int(entry["rows"]), offset, int(entry["size"]))
                stream.seek(offset + block.size)
                if stream.tell() != offset + block.size:
                    raise ValueError(f"table {block.table} is cut short")
                blocks.append(block)
    except (OSError, EOFError, ValueError, KeyError, TypeError, gzip.BadGzipFile) as exc:
        raise InvalidInput(f"{path} is not a paa backup of PostgreSQL: {exc}", field="file") from None
    return header, blocks


def _block_data(path: Path, block: Block) -> Iterator[bytes]:
    with gzip.open(path, "rb") as stream:
        stream.seek(block.offset)
        left = block.size
        while left > 0:
            chunk = stream.read(min(left, 1 << 20))
            if not chunk:
                raise StorageError(f"{path}: table {block.table} is cut short")
            left -= len(chunk)
            yield chunk


def archive_to_copy(archive: Path, staging: Path) -> None:
    """Turn a pg_dump archive into a logical copy (pg_restore reads the archive without a server)."""
    tool, found = find_tool("pg_restore")
    if tool is None:
        raise StorageError(
            f"{archive.name} is pg_dump's archive, and there is no pg_restore here to read it",
            hint="install postgresql-client (of the server's major version or newer); nothing was changed",
        )
    listing = staging.with_suffix(".sql")
    try:
        candidates = sorted(found, key=lambda found_tool: -found_tool.major)
        problem = ""
        for candidate in candidates:  # the newest first: an older pg_restore refuses a newer archive
            try:
                argv = [str(candidate.path), "--data-only", f"--file={listing}", str(archive)]
                _run(argv, dict(os.environ), "pg_restore")
                break
            except StorageError as exc:
                problem = str(exc)
        else:
            raise InvalidInput(f"{archive} is not a pg_dump archive paa can read ({problem})", field="file")
        _sql_to_copy(listing, staging)
    finally:
        with suppress(FileNotFoundError):
            listing.unlink()


def _sql_to_copy(listing: Path, staging: Path) -> None:
    blocks: list[tuple[str, list[str], Path, int]] = []
    revision = None
    with tempfile.TemporaryDirectory(prefix="paa-restore-") as folder:
        with open(listing, "rb") as sql:
            for raw_line in sql:
                match = _COPY_LINE.match(raw_line.decode("utf-8").rstrip("\n"))
                if not match:
                    continue
                table = match.group(1)
                columns = [name.strip().strip('"') for name in match.group(2).split(",")]
                part = Path(folder) / f"{len(blocks)}.copy"
                rows = 0
                with open(part, "wb") as out:
                    for data in sql:
                        if data == b"\\.\n":
                            break
                        out.write(data)
                        rows += 1
                        if table == "alembic_version":
                            revision = data.decode().rstrip("\n")
                blocks.append((table, columns, part, rows))
        with open(staging, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=1, mtime=0) as stream:
            header = {"format": COPY_FORMAT, "version": COPY_VERSION, "revision": revision, "tables": []}
            stream.write(json.dumps(header).encode() + b"\n")
            for table, columns, part, rows in blocks:
                line = {"table": table, "columns": columns, "rows": rows, "size": part.stat().st_size}
                stream.write(json.dumps(line).encode() + b"\n")
                with open(part, "rb") as data_file:
                    shutil.copyfileobj(data_file, stream)


def staged_revision(staging: Path) -> tuple[str | None, list[Block], tuple[str, ...]]:
    """The revision in a staged copy (from its alembic_version rows), its tables, and the ids of its data keys."""
    _header, blocks = read_copy_index(staging)
    revision = None
    key_ids: set[str] = set()
    sealed = {table for table, _column in SEALED_COLUMNS}
    for block in blocks:
        if block.table == "alembic_version":
            revision = b"".join(_block_data(staging, block)).decode().strip() or None
        elif block.table in sealed:
            for chunk in _block_data(staging, block):
                key_ids.update(match.decode() for match in re.findall(rb"enc:v1:([\w-]+):", chunk))
    return revision, blocks, tuple(sorted(key_ids))


def live_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            table: int(conn.execute(text(f'SELECT count(*) FROM "{table}"')).scalar_one()) for table in _tables(conn)
        }


def _fk_order(conn: Connection, tables: list[str]) -> list[str]:
    """The tables with every table after the ones its foreign keys point at (a table's references to itself aside)."""
    rows = conn.execute(
        text(
            "SELECT c.conrelid::regclass::text, c.confrelid::regclass::text FROM pg_constraint c"
            " JOIN pg_namespace n ON n.oid = c.connamespace WHERE c.contype = 'f' AND n.nspname = current_schema()"
        )
    ).all()
    needs: dict[str, set[str]] = {table: set() for table in tables}
    for child, parent in rows:
        child, parent = child.strip('"'), parent.strip('"')
        if child in needs and parent in needs and child != parent:
            needs[child].add(parent)
    ordered: list[str] = []
    while needs:
        ready = sorted(table for table, parents in needs.items() if not parents - set(ordered))
        if not ready:  # a cycle: the rest in name order (paa's schema has none)
            ready = sorted(needs)
        for table in ready:
            ordered.append(table)
            del needs[table]
    return ordered


def _migrate(conn: Connection, target: str) -> None:
    from alembic import command
    from alembic.config import Config

    from paa.db.migrate import MIGRATIONS_DIR

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = conn
    command.upgrade(config, target)


def replace(
    engine: Engine, staging: Path, revision: str, kept: Path, now: datetime
) -> tuple[str | None, tuple[str, ...]]:
    """Replace the live database's rows with the staged copy's, writing the current data to `kept` first, in one
    transaction; return the replaced data's revision and key ids (for `kept`'s manifest)."""
    from paa.db.migrate import MIGRATION_LOCK_KEY
    from paa.db.revisions import HEAD
    from paa.db.sealed import DIALECT_ATTRIBUTE, DataKeys

    _header, blocks = read_copy_index(staging)
    provider = getattr(engine.dialect, DIALECT_ATTRIBUTE, None)
    if isinstance(provider, DataKeys) and revision != HEAD:
        provider.keyset()  # loaded now: the migrations need it, and loading it later would wait on our own locks
    engine.dispose()  # this process's pooled connections hold no locks or snapshots across the swap
    with engine.connect() as conn, conn.begin():
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        tables = _tables(conn)
        conn.execute(text(f"LOCK TABLE {_quoted(tables)} IN ACCESS EXCLUSIVE MODE"))
        live_revision, live_keys = describe(conn)
        with open(kept, "wb") as raw:
            write_copy(conn, raw, live_revision)  # inside the lock: exactly the data being replaced
        sequences = _sequences(conn, tables)
        ours = [table for table in tables if table != "alembic_version"]
        if revision == HEAD and live_revision == HEAD:
            conn.execute(text(f"TRUNCATE {_quoted(ours)}"))
        else:
            conn.execute(text(f"DROP TABLE {_quoted(tables)} CASCADE"))
            _migrate(conn, revision)
        tables_now = _tables(conn)
        by_table = {block.table: block for block in blocks}
        driver: Any = conn.connection.driver_connection
        for table in _fk_order(conn, [table for table in tables_now if table != "alembic_version"]):
            block = by_table.get(table)
            if block is None or not block.size:
                continue
            with driver.cursor().copy(f'COPY "{table}" ({_quoted(list(block.columns))}) FROM STDIN') as copy:
                for chunk in _block_data(staging, block):
                    copy.write(chunk)
        if revision != HEAD:
            _migrate(conn, "head")
        _restart_sequences(conn, sequences)
        _announce(conn, now)
    return live_revision, live_keys


def _sequences(conn: Connection, tables: list[str]) -> dict[str, int]:
    """Each table's id sequence and how far it has gone: ids handed out before stay used after the restore."""
    found: dict[str, int] = {}
    for table in tables:
        if "id" not in _columns(conn, table):
            continue
        sequence = conn.execute(text("SELECT pg_get_serial_sequence(:table, 'id')"), {"table": f'"{table}"'}).scalar()
        if sequence:
            found[table] = int(conn.execute(text(f"SELECT last_value FROM {sequence}")).scalar_one())
    return found


def _restart_sequences(conn: Connection, before: dict[str, int]) -> None:
    for table in _tables(conn):
        if "id" not in _columns(conn, table):
            continue
        sequence = conn.execute(text("SELECT pg_get_serial_sequence(:table, 'id')"), {"table": f'"{table}"'}).scalar()
        if not sequence:
            continue
        highest = int(conn.execute(text(f'SELECT coalesce(max(id), 0) FROM "{table}"')).scalar_one())
        value = max(highest, before.get(table, 0))
        if value > 0:
            conn.execute(text("SELECT setval(:sequence, :value)"), {"sequence": sequence, "value": value})


def _announce(conn: Connection, now: datetime) -> None:
    """Tell every user's open clients that all their data changed (as the SQLite restore does)."""
    from paa.core.changes import AREA_OF_TABLE, DATA_CHANGED

    data = json.dumps({"areas": sorted(set(AREA_OF_TABLE.values()))}, separators=(",", ":"))
    conn.execute(
        text(
            "INSERT INTO events (user_id, type, data, created_at)"
            " SELECT id, :type, :data, :stamp FROM users ORDER BY id"
        ),
        {"type": DATA_CHANGED, "data": data, "stamp": now.astimezone(UTC).replace(tzinfo=None)},
    )
