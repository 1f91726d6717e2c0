"""The migrations build the schema the models describe: an index or column added to a model
without its migration (or the other way round) would be in the tests' databases, which are
built by the migrations, and missing where it was meant to help, or the reverse."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from consult.extensions import db


def test_migrated_database_has_what_the_models_declare(app):
    with db.engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), db.metadata)
    if db.engine.dialect.name == "sqlite":
        # SQLite reports a foreign key without the name a batch migration gave it; the
        # constraint itself is there (PostgreSQL compares them by name and finds all).
        differences = [d for d in differences
                       if not (isinstance(d, tuple) and d[0] in ("add_fk", "remove_fk"))]
    assert differences == []


def test_the_home_and_topic_list_indexes_are_there(app):
    indexes = {ix["name"]: ix["column_names"] for ix in db.inspect(db.engine).get_indexes("topics")}
    assert indexes["ix_topics_stage_comment_until"] == ["stage", "comment_until"]
    assert indexes["ix_topics_stage_submitted"] == ["stage", "submitted_at", "id"]
    assert indexes["ix_topics_cosign_count"] == ["cosign_count", "id"]
