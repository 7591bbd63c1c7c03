"""Create the consent registry's tables and the triggers that keep its history append-only,
as `ConsentRegistry` made them before this history."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_patients_consents"
down_revision = "0001_patients_roster"

_SQLITE_APPEND_ONLY = (
    """CREATE TRIGGER IF NOT EXISTS patient_consent_events_no_update
    BEFORE UPDATE ON patient_consent_events
    BEGIN SELECT RAISE(ABORT, 'patient_consent_events is append-only'); END""",
    """CREATE TRIGGER IF NOT EXISTS patient_consent_events_no_delete
    BEFORE DELETE ON patient_consent_events
    BEGIN SELECT RAISE(ABORT, 'patient_consent_events is append-only'); END""",
)

_POSTGRES_APPEND_ONLY = (
    """CREATE OR REPLACE FUNCTION patient_consent_events_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'patient_consent_events is append-only'; END $$""",
    """CREATE OR REPLACE TRIGGER patient_consent_events_append_only
    BEFORE UPDATE OR DELETE ON patient_consent_events
    FOR EACH ROW EXECUTE FUNCTION patient_consent_events_append_only()""",
)


def upgrade() -> None:
    op.create_table(
        "patient_consents",
        sa.Column("consent_id", sa.String(32), primary_key=True, autoincrement=False),
        sa.Column("address_hash", sa.String(64), nullable=False),
        sa.Column("address_masked", sa.String(320), nullable=False),
        sa.Column("roster_id", sa.String(32), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
    )
    for column in ("address_hash", "roster_id"):
        op.create_index(f"ix_patient_consents_{column}", "patient_consents", [column])
    op.create_table(
        "patient_consent_events",
        sa.Column(
            "consent_id",
            sa.String(32),
            sa.ForeignKey("patient_consents.consent_id"),
            primary_key=True,
            autoincrement=False,
        ),
        sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by", sa.String(128), nullable=False),
        sa.Column("recorded", sa.DateTime(timezone=True), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
    )
    postgres = op.get_bind().dialect.name == "postgresql"
    for statement in _POSTGRES_APPEND_ONLY if postgres else _SQLITE_APPEND_ONLY:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS patient_consent_events_append_only() CASCADE")
    op.drop_table("patient_consent_events")
    op.drop_table("patient_consents")
