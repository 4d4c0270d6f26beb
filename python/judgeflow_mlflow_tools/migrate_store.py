"""Copies an MLflow SQL store into another database (judgeflow: a local SQLite store into PostgreSQL),
losing nothing: every table, every row, in one transaction, checked by counting.

    python migrate_store.py --source sqlite:////path/mlflow.db --target postgresql+psycopg2://USER@HOST:PORT/DB

1. The source must be an MLflow store. One at an older schema revision is upgraded in a temporary copy
   (never in place); the source file is only read.
2. The target gets MLflow's schema the way MLflow creates it (`_initialize_tables`: the initial
   tables, then every alembic migration up to the head this mlflow ships). A target that already
   has the schema must be at the same revision and hold nothing but what MLflow creates on its own
   (the Default experiment and the default workspace) — otherwise nothing is written.
3. Tables are copied in foreign-key order, in batches, inside one transaction; JSON columns travel as
   their text (SQL NULL stays NULL, JSON null stays JSON null). PostgreSQL sequences are moved past
   the copied ids. Row counts per table are compared before the commit: a difference rolls back.

Progress goes to stderr; the result is one JSON line on stdout:
    {"revision": ..., "tables": {name: rows, ...}, "rows": total}
Exit codes: 0 copied, 2 bad input (not an MLflow store, target not empty, unknown column), 1 failure.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time

import sqlalchemy as sa

BATCH_ROWS = 1000
# Rows MLflow writes into a fresh store by itself; a target holding only these counts as empty.
INITIAL_ROWS = {
    "experiments": ("experiment_id", {0, "0"}),
    "workspaces": ("name", {"default"}),
}


class BadInput(Exception):
    """The source or the target is not what a migration needs (exit 2)."""


def log(message: str) -> None:
    print(f"[migrate-store] {message}", file=sys.stderr, flush=True)


def redact(uri: str) -> str:
    return sa.engine.make_url(uri).render_as_string(hide_password=True)


def mlflow_schema():
    # Imported late: mlflow's import is slow and --help should not pay for it.
    from mlflow.store.db import utils

    return utils


def is_mlflow_store(engine: sa.Engine) -> bool:
    names = set(sa.inspect(engine).get_table_names())
    return {"alembic_version", "experiments", "runs"} <= names


def prepare_source(uri: str, workdir: str) -> sa.Engine:
    """The source engine, at the head revision (an older SQLite store is upgraded in a copy)."""
    utils = mlflow_schema()
    url = sa.engine.make_url(uri)
    if url.get_backend_name() == "sqlite" and (not url.database or not os.path.isfile(url.database)):
        raise BadInput(f"the SQLite store {url.database} does not exist")
    engine = sa.create_engine(uri)
    if not is_mlflow_store(engine):
        raise BadInput(f"{redact(uri)} is not an MLflow store (no experiments/runs/alembic_version tables)")
    head = utils._get_latest_schema_revision()
    current = utils._get_schema_version(engine)
    if current == head:
        return engine
    if url.get_backend_name() != "sqlite":
        raise BadInput(
            f"the source store is at schema revision {current}, this mlflow at {head}: "
            f"run `mlflow db upgrade` on it first"
        )
    copy = os.path.join(workdir, "source.db")
    log(f"the source is at schema revision {current}; upgrading a copy to {head} (the source is not touched)")
    engine.dispose()
    shutil.copyfile(url.database, copy)
    upgraded = sa.create_engine(f"sqlite:///{copy}")
    utils._upgrade_db(upgraded)
    return upgraded


def prepare_target(uri: str) -> sa.Engine:
    """The target engine with MLflow's schema at head, created the way MLflow creates it."""
    utils = mlflow_schema()
    engine = sa.create_engine(uri)
    if utils._is_empty_database(engine):
        log(f"creating MLflow's schema in {redact(uri)}")
        utils._initialize_tables(engine)
    elif not is_mlflow_store(engine):
        raise BadInput(f"the target {redact(uri)} holds tables that are not an MLflow store")
    head = utils._get_latest_schema_revision()
    current = utils._get_schema_version(engine)
    if current != head:
        raise BadInput(f"the target store is at schema revision {current}, this mlflow at {head}")
    return engine


def count(connection: sa.Connection, table: sa.Table) -> int:
    return connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()


def leftover_rows(connection: sa.Connection, tables: list[sa.Table]) -> dict[str, int]:
    """Rows in the target other than those MLflow creates by itself."""
    found: dict[str, int] = {}
    for table in tables:
        rows = count(connection, table)
        if table.name in INITIAL_ROWS and rows > 0:
            column, allowed = INITIAL_ROWS[table.name]
            values = connection.execute(sa.select(table.c[column])).scalars().all()
            rows = sum(1 for value in values if value not in allowed)
        if rows > 0:
            found[table.name] = rows
    return found


def transfer_tables(source: sa.Engine, target_table: sa.Table) -> tuple[sa.Table, sa.Table]:
    """Twin table objects for reading the source and writing the target, column by column.

    Types come from the target's schema so the source dialect converts its values (SQLite's 0/1 to
    booleans, its date strings to dates); JSON columns are read and written as text; generated columns
    are left to the target.
    """
    source_columns = {column["name"] for column in sa.inspect(source).get_columns(target_table.name)}
    target_columns = [column.name for column in target_table.columns]
    unknown = source_columns - set(target_columns)
    if unknown:
        raise BadInput(f"table {target_table.name}: the source has columns the target lacks: {sorted(unknown)}")

    def typed(column: sa.Column) -> sa.types.TypeEngine:
        return sa.Text() if isinstance(column.type, sa.JSON) else column.type

    # Generated columns (spans.duration_ns) are computed by the target itself and refuse values.
    shared = [
        column for column in target_table.columns if column.name in source_columns and column.computed is None
    ]
    reader = sa.Table(target_table.name, sa.MetaData(), *[sa.Column(c.name, typed(c)) for c in shared])
    writer = sa.Table(target_table.name, sa.MetaData(), *[sa.Column(c.name, typed(c)) for c in shared])
    return reader, writer


def copy_table(source: sa.Engine, target: sa.Connection, table: sa.Table) -> int:
    reader, writer = transfer_tables(source, table)
    order = [reader.c[column.name] for column in table.primary_key.columns if column.name in reader.c]
    copied = 0
    with source.connect() as connection:
        result = connection.execution_options(stream_results=True).execute(sa.select(reader).order_by(*order))
        while True:
            rows = result.mappings().fetchmany(BATCH_ROWS)
            if not rows:
                break
            try:
                target.execute(sa.insert(writer), [dict(row) for row in rows])
            except sa.exc.DBAPIError as error:
                first = {key: rows[0][key] for key in table.primary_key.columns.keys()}
                raise RuntimeError(
                    f"table {table.name}: rows {copied + 1}-{copied + len(rows)} (from {first}) were refused: "
                    f"{str(error.orig).strip()}"
                ) from error
            copied += len(rows)
    return copied


def fix_sequences(connection: sa.Connection, tables: list[sa.Table]) -> None:
    """PostgreSQL hands out serial ids from sequences that the copy did not advance."""
    if connection.dialect.name != "postgresql":
        return
    for table in tables:
        for column in table.columns:
            sequence = connection.execute(
                sa.text("SELECT pg_get_serial_sequence(:table, :column)"),
                {"table": table.name, "column": column.name},
            ).scalar()
            if sequence is None:
                continue
            highest = connection.execute(sa.select(sa.func.max(table.c[column.name]))).scalar()
            connection.execute(
                sa.text("SELECT setval(:sequence, :value, :called)"),
                {"sequence": sequence, "value": highest if highest is not None else 1, "called": highest is not None},
            )


def migrate(source_uri: str, target_uri: str) -> dict:
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="judgeflow-migrate-") as workdir:
        source = prepare_source(source_uri, workdir)
        target = prepare_target(target_uri)
        metadata = sa.MetaData()
        metadata.reflect(target)
        tables = [table for table in metadata.sorted_tables if not table.name.startswith("alembic_")]
        source_tables = set(sa.inspect(source).get_table_names())
        missing = [table.name for table in tables if table.name not in source_tables]
        if missing:
            raise BadInput(f"the source lacks tables the schema has: {missing}")
        report: dict[str, int] = {}
        with target.begin() as connection:
            leftovers = leftover_rows(connection, tables)
            if leftovers:
                listed = ", ".join(f"{name} ({rows} rows)" for name, rows in leftovers.items())
                raise BadInput(f"the target {redact(target_uri)} already holds data: {listed}; nothing was copied")
            for table in reversed(tables):
                connection.execute(sa.delete(table))
            for table in tables:
                copied = copy_table(source, connection, table)
                report[table.name] = copied
                if copied:
                    log(f"{table.name}: {copied} rows")
            fix_sequences(connection, tables)
            with source.connect() as source_connection:
                for table in tables:
                    expected = count(source_connection, table)
                    found = count(connection, table)
                    if expected != found or report[table.name] != expected:
                        raise RuntimeError(
                            f"table {table.name}: {expected} rows in the source, {found} in the target; rolled back"
                        )
        source.dispose()
        target.dispose()
    revision = mlflow_schema()._get_latest_schema_revision()
    log(f"copied {sum(report.values())} rows in {time.monotonic() - started:.1f} s")
    return {"revision": revision, "tables": report, "rows": sum(report.values())}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", required=True, help="SQLAlchemy URI of the MLflow store to copy")
    parser.add_argument(
        "--target",
        required=True,
        help="SQLAlchemy URI of the database to copy it into; '-' reads it from stdin (keeps a password off the command line)",
    )
    args = parser.parse_args()
    target = sys.stdin.readline().strip() if args.target == "-" else args.target
    try:
        result = migrate(args.source, target)
    except BadInput as error:
        print(f"migrate-store: {error}", file=sys.stderr)
        return 2
    except Exception as error:  # noqa: BLE001 — the message is the report; the CLI maps the code
        print(f"migrate-store: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
