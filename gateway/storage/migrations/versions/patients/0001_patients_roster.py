"""Create the roster's tables, as `PatientRoster` made them with `create_all` before this history."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_patients_roster"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "patient_roster",
        sa.Column("roster_id", sa.String(32), primary_key=True, autoincrement=False),
        sa.Column("dob_hash", sa.String(64), nullable=True),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "patient_identifiers",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "roster_id",
            sa.String(32),
            sa.ForeignKey("patient_roster.roster_id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.UniqueConstraint("roster_id", "kind", "hash", name="patient_identifiers_unique"),
    )
    op.create_index("patient_identifiers_lookup", "patient_identifiers", ["kind", "hash"])


def downgrade() -> None:
    op.drop_table("patient_identifiers")
    op.drop_table("patient_roster")
