"""The first schema: records (the Record fields of 2026-12), decisions, audit, raw messages.

Revision ID: 0001
Revises:
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bouncewise.store import schema

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# The Record fields this revision stores. Column types come from Record's type hints
# (schema.record_columns); a field added to Record later gets its own revision.
RECORD_FIELDS_0001 = (
    "kind", "file", "index", "recipient", "original_recipient", "status", "replycode", "reason",
    "hardbounce", "action", "diagnosticcode", "smtpcommand", "rhost", "lhost", "addresser", "subject",
    "messageid", "timestamp", "engine", "feedbacktype", "provider", "retry", "category", "who_acts",
    "explanation", "advice", "evidence", "confidence", "error",
)


def upgrade() -> None:
    metadata = sa.MetaData()
    tables = schema.build(metadata, RECORD_FIELDS_0001)
    metadata.create_all(op.get_bind())
    op.bulk_insert(tables["store_meta"], [{"name": "lock", "value": ""}])


def downgrade() -> None:
    for name in ("raw_messages", "audit", "decisions", "records", "store_meta"):
        op.drop_table(name)
