"""SQLAlchemy Core tables of the roster and the consent registry.

They use their own `patient_` table names; their Alembic history (`versions/patients`, version
table `patients_alembic_version`, see gateway.storage.migrate) makes them, and the triggers that
keep `patient_consent_events` append-only.
No column holds a name, date of birth, MRN or address in clear: only keyed hashes, and for
consents a masked display form of the address (``m***@gmail.com``).
"""

from __future__ import annotations

import sqlalchemy as sa

from gateway.storage.migrate import StoreSchema

metadata = sa.MetaData()

roster = sa.Table(
    "patient_roster",
    metadata,
    sa.Column("roster_id", sa.String(32), primary_key=True, autoincrement=False),
    sa.Column("dob_hash", sa.String(64), nullable=True),
    sa.Column("created", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
)

# kind: "name" (first|last|dob, so a name alone never identifies), "mrn", "email".
identifiers = sa.Table(
    "patient_identifiers",
    metadata,
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
    sa.Index("patient_identifiers_lookup", "kind", "hash"),
)

# The facts of a consent that never change; everything else lives in its events.
consents = sa.Table(
    "patient_consents",
    metadata,
    sa.Column("consent_id", sa.String(32), primary_key=True, autoincrement=False),
    sa.Column("address_hash", sa.String(64), nullable=False, index=True),
    sa.Column("address_masked", sa.String(320), nullable=False),
    sa.Column("roster_id", sa.String(32), nullable=False, index=True),
    sa.Column("created", sa.DateTime(timezone=True), nullable=False),
)

# Append-only (triggers refuse UPDATE and DELETE): kind is granted, amended, revoked or used.
consent_events = sa.Table(
    "patient_consent_events",
    metadata,
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
    sa.Column("payload", sa.Text(), nullable=False),  # JSON, PHI-free
)

SCHEMA = StoreSchema(
    name="patients",
    metadata=metadata,
    # The roster's lock, which also serialises roster imports across processes.
    lock_key=0x70686970617472,
    # Before these migrations the roster made its two tables and the consent registry its
    # two (with the triggers) on first use, so a database may stand at either.
    baselines=("0001_patients_roster", "0002_patients_consents"),
)
