"""Statement imports: the staging area, the import batches, remembered column mappings and
categorisation rules (collections ``import_rows``, ``imports``, ``import_mappings``,
``category_rules``).

An import never writes half a file into ``expenses``. The job writes the batch's expenses into
``import_rows`` first (in chunks, with progress), then moves them into ``expenses`` with one
``$merge`` on ``_id`` (``whenMatched: keepExisting``), then clears the staging rows. The ids are
derived from the batch and the file line (:func:`expense_id`), so running the whole job again after a
crash at any step inserts each row at most once. Every imported expense carries its batch's
``importId``: that is what an undo removes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import bson
import polars as pl

from dashboard.data.owned import owned_by
from dashboard.store import Store

__all__ = [
    "BATCHES",
    "MAPPINGS",
    "RULES",
    "STAGING",
    "accounts",
    "batch",
    "batches_for",
    "clear_stage",
    "expense_id",
    "existing_expenses",
    "imported_count",
    "mapping_for",
    "merge_stage",
    "record_batch",
    "rules_for",
    "save_mapping",
    "save_rules",
    "set_categories",
    "stage",
    "undo",
    "user_expenses",
]

STAGING = "import_rows"
BATCHES = "imports"
MAPPINGS = "import_mappings"
RULES = "category_rules"
EXPENSES = "expenses"

#: Columns of :func:`existing_expenses` (what duplicate detection compares with).
EXISTING_SCHEMA: dict[str, pl.DataType] = {
    "date": pl.Datetime("ms", "UTC"),
    "amount": pl.Float64(),
    "description": pl.String(),
    "external_id": pl.String(),
}


def expense_id(import_id: bson.ObjectId, line: int) -> bson.ObjectId:
    """The expense id of a file line in an import batch: the same on every attempt."""
    digest = hashlib.sha256(f"{import_id}:{line}".encode()).digest()
    return bson.ObjectId(digest[:12])


def existing_expenses(
    store: Store,
    user_id: bson.ObjectId,
    *,
    start: datetime,
    end: datetime,
    external_ids: Sequence[str] = (),
    exclude_import: bson.ObjectId | None = None,
) -> pl.DataFrame:
    """The user's expenses dated in [start, end] or carrying one of ``external_ids`` (a bank id
    matches whatever its date), soft-deleted ones too (deleting an expense must not make the next
    import bring it back), minus those of batch ``exclude_import``."""
    when: list[dict[str, Any]] = [{"date": {"$gte": start, "$lte": end}}]
    if external_ids:
        when.append({"externalId": {"$in": list(external_ids)}})
    query: dict[str, Any] = {**owned_by(user_id), "$or": when}
    if exclude_import is not None:
        query["importId"] = {"$ne": exclude_import}
    docs = store.find(
        EXPENSES, query, projection={"date": 1, "amount": 1, "description": 1, "externalId": 1}
    )
    rows = [
        {
            "date": d.get("date") if isinstance(d.get("date"), datetime) else None,
            "amount": float(d["amount"]) if isinstance(d.get("amount"), int | float) else None,
            "description": d.get("description") if isinstance(d.get("description"), str) else None,
            "external_id": d.get("externalId") if isinstance(d.get("externalId"), str) else None,
        }
        for d in docs
    ]
    return pl.DataFrame(rows, schema=EXISTING_SCHEMA)


def stage(store: Store, documents: Sequence[Mapping[str, Any]]) -> None:
    """Write expense documents of a batch into the staging area (not yet visible anywhere)."""
    if documents:
        store.insert_many(STAGING, documents)


def clear_stage(store: Store, import_id: bson.ObjectId) -> int:
    """Remove a batch's staging rows (after the merge, or left by an attempt that died)."""
    return store.delete_many(STAGING, {"importId": {"$eq": import_id}})


def merge_stage(store: Store, import_id: bson.ObjectId) -> None:
    """Move a batch's staged expenses into ``expenses`` in one command; rows already there
    (an earlier attempt) are kept as they are."""
    store.aggregate(
        STAGING,
        [
            {"$match": {"importId": {"$eq": import_id}}},
            {
                "$merge": {
                    "into": EXPENSES,
                    "on": "_id",
                    "whenMatched": "keepExisting",
                    "whenNotMatched": "insert",
                }
            },
        ],
    )


def imported_count(store: Store, user_id: bson.ObjectId, import_id: bson.ObjectId) -> int:
    """How many expenses of the batch are in ``expenses``."""
    return store.count_documents(EXPENSES, {**owned_by(user_id), "importId": {"$eq": import_id}})


def record_batch(
    store: Store,
    import_id: bson.ObjectId,
    *,
    user_id: bson.ObjectId,
    fields: Mapping[str, Any],
) -> None:
    """Create or update the batch's record (file name, account, job, counts, state)."""
    store.update_many(
        BATCHES,
        {"_id": {"$eq": import_id}, **owned_by(user_id)},
        {"$set": dict(fields), "$setOnInsert": {"createdAt": datetime.now(UTC)}},
        upsert=True,
    )


def batch(store: Store, user_id: bson.ObjectId, import_id: bson.ObjectId) -> dict | None:
    """One of the user's batches, or None."""
    found = store.find(BATCHES, {"_id": {"$eq": import_id}, **owned_by(user_id)}, limit=1)
    return found[0] if found else None


def batches_for(store: Store, user_id: bson.ObjectId, *, limit: int = 20) -> list[dict[str, Any]]:
    """The user's import batches, newest first."""
    return store.find(BATCHES, owned_by(user_id), sort=[("createdAt", -1)], limit=limit)


def undo(store: Store, user_id: bson.ObjectId, import_id: bson.ObjectId) -> int:
    """Remove every expense of the batch (only the user's own) and mark it undone."""
    removed = store.delete_many(EXPENSES, {**owned_by(user_id), "importId": {"$eq": import_id}})
    clear_stage(store, import_id)
    store.update_many(
        BATCHES,
        {"_id": {"$eq": import_id}, **owned_by(user_id)},
        {"$set": {"state": "undone", "undoneAt": datetime.now(UTC), "removed": removed}},
    )
    return removed


def save_mapping(
    store: Store, user_id: bson.ObjectId, account: str, mapping: Mapping[str, Any]
) -> None:
    """Remember the column mapping the user chose for a statement of ``account``."""
    store.update_many(
        MAPPINGS,
        {**owned_by(user_id), "account": {"$eq": account}},
        {"$set": {"mapping": dict(mapping), "updatedAt": datetime.now(UTC)}},
        upsert=True,
    )


def mapping_for(store: Store, user_id: bson.ObjectId, account: str) -> dict[str, Any] | None:
    """The mapping remembered for ``account``, or None."""
    found = store.find(MAPPINGS, {**owned_by(user_id), "account": {"$eq": account}}, limit=1)
    return (
        dict(found[0]["mapping"]) if found and isinstance(found[0].get("mapping"), dict) else None
    )


def accounts(store: Store, user_id: bson.ObjectId) -> list[str]:
    """The account names the user has a remembered mapping for, most recent first."""
    found = store.find(MAPPINGS, owned_by(user_id), sort=[("updatedAt", -1)])
    return [d["account"] for d in found if isinstance(d.get("account"), str)]


def rules_for(store: Store, user_id: bson.ObjectId) -> list[dict[str, str]]:
    """The user's categorisation rules, in the order they are tried."""
    found = store.find(RULES, owned_by(user_id), limit=1)
    rules = found[0].get("rules") if found else None
    return [dict(r) for r in rules] if isinstance(rules, list) else []


def save_rules(store: Store, user_id: bson.ObjectId, rules: Sequence[Mapping[str, str]]) -> None:
    """Replace the user's rules."""
    store.update_many(
        RULES,
        owned_by(user_id),
        {"$set": {"rules": [dict(r) for r in rules], "updatedAt": datetime.now(UTC)}},
        upsert=True,
    )


def user_expenses(store: Store, user_id: bson.ObjectId) -> pl.DataFrame:
    """Id (hex), description and category of the user's live expenses (for re-applying rules)."""
    docs = store.find(
        EXPENSES,
        {**owned_by(user_id), "deletedAt": None},
        projection={"description": 1, "category": 1},
    )
    return pl.DataFrame(
        [
            {
                "id": str(d["_id"]),
                "description": d.get("description")
                if isinstance(d.get("description"), str)
                else None,
                "category": d.get("category") if isinstance(d.get("category"), str) else None,
            }
            for d in docs
        ],
        schema={"id": pl.String, "description": pl.String, "category": pl.String},
    )


def set_categories(
    store: Store, user_id: bson.ObjectId, changes: Mapping[str, Sequence[str]]
) -> int:
    """Set the category of the user's expenses: category → expense ids (hex). Returns the count."""
    changed = 0
    now = datetime.now(UTC)
    for category, ids in changes.items():
        for start in range(0, len(ids), 5_000):
            chunk = [bson.ObjectId(i) for i in ids[start : start + 5_000]]
            changed += store.update_many(
                EXPENSES,
                {**owned_by(user_id), "_id": {"$in": chunk}},
                {"$set": {"category": category, "updatedAt": now}},
            )
    return changed
