"""Validating import rows and planning what an import will change (nothing is written here).

The plan is made in memory with batched lookups: each row is cleaned field by field (per-row errors
carry the spreadsheet row number, the column header and a zh-CN reason), duplicate keys within the file
are reported, rows are matched to existing entities (USCC first, then external id), platform references
are resolved (to an entity already registered or to a platform row of the same file), scope is checked,
and each matched row is reduced to the fields that actually change.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from tianping.core.authz import Actor
from tianping.core.errors import RowError
from tianping.registry import validators as rules
from tianping.registry.columns import FIELDS
from tianping.registry.grams import normalize_name
from tianping.registry.models import (
    ON_PLATFORM_KINDS,
    AliasKind,
    EntityKind,
    EntityStatus,
)
from tianping.registry.repository import StoredEntity, covers, find_by_keys

__all__ = ["ImportPlan", "PlannedRow", "plan_import"]

_LIST_SEP = re.compile(r"[;；]")
# Scalar fields stored as they are cleaned (kind and platform are handled separately).
SCALAR_FIELDS = (
    "name",
    "uscc",
    "external_id",
    "registered_address",
    "division_code",
    "industry_section",
    "status",
    "established_on",
    "legal_representative",
    "contact_phone",
    "operator_id_card",
)
# Low-cardinality columns: cleaned once per distinct value.
_MEMO_FIELDS = frozenset({"division_code", "industry_section", "status", "kind"})
# Fields whose cleaned values may already be in the memo (the duplicate check cleans the keys first).
_KNOWN_FIELDS = _MEMO_FIELDS | {"uscc", "external_id"}


def _text(limit: int, label: str) -> Callable[[str], str]:
    def clean(value: str) -> str:
        text = value.strip()
        if len(text) > limit:
            raise ValueError(f"{label}不能超过 {limit} 个字")
        return text

    return clean


_CLEANERS: dict[str, Callable[[str], Any]] = {
    "name": rules.clean_name,
    "uscc": rules.clean_uscc,
    "external_id": rules.clean_external_id,
    "registered_address": _text(300, "注册地址"),
    "division_code": rules.clean_division_code,
    "industry_section": rules.clean_section,
    "status": lambda v: rules.parse_status(v).value,
    "established_on": rules.parse_date,
    "legal_representative": _text(100, "法定代表人"),
    "contact_phone": rules.clean_phone,
    "operator_id_card": rules.clean_id_card,
    "kind": rules.parse_kind,
}


@dataclass(slots=True)
class PlannedRow:
    number: int
    kind: EntityKind
    values: dict[str, Any]  # cleaned scalar fields given (non-empty) in this row
    platform_ref: str | None
    aliases: list[tuple[str, AliasKind]] | None
    tags: list[str] | None
    existing: StoredEntity | None = None
    platform_id: int | None = None  # resolved: an existing entity's id …
    platform_row: PlannedRow | None = None  # … or a platform row of this file
    changes: dict[str, Any] = field(default_factory=dict)
    aliases_changed: bool = False

    def key(self) -> str:
        return self.values.get("uscc") or self.values["external_id"]


@dataclass
class ImportPlan:
    creates: list[PlannedRow] = field(default_factory=list)
    updates: list[PlannedRow] = field(default_factory=list)
    unchanged: int = 0
    total: int = 0
    errors: list[RowError] = field(default_factory=list)


def _split_list(cell: str) -> list[str]:
    return [part.strip() for part in _LIST_SEP.split(cell) if part.strip()]


Memo = dict[tuple[str, str], tuple[Any, str | None]]


def _parse_rows(
    records: Sequence[tuple[int, Mapping[str, str]]],
    headers: Mapping[str, str],
    errors: list[RowError],
    memo: Memo,
) -> list[PlannedRow]:
    """Clean every cell; ``memo`` holds results already known ((field, cell) -> (value, error))."""
    parsed: list[PlannedRow] = []

    def clean(key: str, raw: str) -> tuple[Any, str | None]:
        if key in _KNOWN_FIELDS:
            known = memo.get((key, raw))
            if known is not None:
                return known
        try:
            result: tuple[Any, str | None] = (_CLEANERS[key](raw), None)
        except ValueError as exc:
            result = (None, str(exc))
        if key in _MEMO_FIELDS:
            memo[key, raw] = result
        return result

    for number, record in records:
        row_errors: list[RowError] = []
        values: dict[str, Any] = {}
        kind: EntityKind | None = None
        for key, raw in record.items():
            if not raw or key not in _CLEANERS:
                continue
            value, problem = clean(key, raw)
            if problem is not None:
                row_errors.append(RowError(number, headers[key], problem))
            elif key == "kind":
                kind = value
            else:
                values[key] = value
        if not record.get("name"):
            row_errors.append(RowError(number, headers["name"], "名称不能为空"))
        if not record.get("kind"):
            row_errors.append(RowError(number, headers["kind"], "类型不能为空"))
        if not record.get("uscc") and not record.get("external_id"):
            column = headers.get("uscc") or headers["external_id"]
            row_errors.append(RowError(number, column, "统一社会信用代码与外部编号至少填写一项"))
        aliases: list[tuple[str, AliasKind]] | None = None
        if record.get("aliases"):
            aliases = []
            for part in _split_list(record["aliases"]):
                try:
                    alias = rules.parse_alias(part)
                except ValueError as exc:
                    row_errors.append(RowError(number, headers["aliases"], str(exc)))
                    continue
                if all(normalize_name(a) != normalize_name(alias[0]) for a, _ in aliases):
                    aliases.append(alias)
        tags: list[str] | None = None
        if record.get("tags"):
            try:
                tags = rules.clean_tags(_split_list(record["tags"]))
            except ValueError as exc:
                row_errors.append(RowError(number, headers["tags"], str(exc)))
        if kind is not None and kind != EntityKind.INDIVIDUAL_BUSINESS and values.get("operator_id_card"):
            row_errors.append(
                RowError(number, headers["operator_id_card"], "仅个体工商户可以填写经营者身份证号")
            )
        platform_ref = record.get("platform") or None
        if kind is not None and platform_ref and kind not in ON_PLATFORM_KINDS:
            row_errors.append(
                RowError(number, headers["platform"], "仅平台内经营者和直播间/主播可以填写所属平台")
            )
        if row_errors or kind is None:
            errors.extend(row_errors)
            continue
        parsed.append(PlannedRow(number, kind, values, platform_ref, aliases, tags))
    return parsed


def _check_duplicates(
    records: Sequence[tuple[int, Mapping[str, str]]],
    headers: Mapping[str, str],
    errors: list[RowError],
    memo: Memo,
) -> set[int]:
    """Rows repeating a credit code or external id of an earlier row (whatever else is wrong with them)."""
    first: dict[tuple[str, str], int] = {}
    duplicates: set[int] = set()
    for number, record in records:
        for key, label in (("uscc", "统一社会信用代码"), ("external_id", "外部编号")):
            raw = record.get(key)
            if not raw:
                continue
            try:
                value = _CLEANERS[key](raw)
            except ValueError as exc:
                memo[key, raw] = (None, str(exc))
                continue
            memo[key, raw] = (value, None)
            seen = first.setdefault((key, value), number)
            if seen != number:
                errors.append(RowError(number, headers[key], f"与第 {seen} 行的{label}重复"))
                duplicates.add(number)
    return duplicates


def _match_existing(
    session: Session, rows: list[PlannedRow], headers: Mapping[str, str], actor: Actor, errors: list[RowError]
) -> list[PlannedRow]:
    by_uscc, by_ext = find_by_keys(
        session,
        usccs=[r.values["uscc"] for r in rows if "uscc" in r.values],
        external_ids=[r.values["external_id"] for r in rows if "external_id" in r.values],
    )
    kept: list[PlannedRow] = []
    for row in rows:
        uscc, ext = row.values.get("uscc"), row.values.get("external_id")
        by_code = by_uscc.get(uscc) if uscc else None
        by_id = by_ext.get(ext) if ext else None
        if by_code is not None and by_id is not None and by_code.id != by_id.id:
            errors.append(
                RowError(
                    row.number,
                    headers["external_id"],
                    "外部编号已属于另一主体（与统一社会信用代码对应的主体不同）",
                )
            )
            continue
        existing = by_code or by_id
        if existing is not None and by_code is None and uscc and existing.uscc and existing.uscc != uscc:
            errors.append(
                RowError(row.number, headers["uscc"], "该外部编号对应的主体已登记了不同的统一社会信用代码")
            )
            continue
        if existing is not None and not covers(
            actor,
            entity_id=existing.id,
            platform_id=existing.platform_id,
            division_code=existing.division_code,
            industry_section=existing.industry_section,
        ):
            column = headers.get("uscc") if by_code is not None else headers["external_id"]
            errors.append(
                RowError(row.number, column or "", "该代码已被您管辖范围以外的主体使用，不能通过导入修改")
            )
            continue
        row.existing = existing
        kept.append(row)
    return kept


def _resolve_platforms(
    session: Session, rows: list[PlannedRow], headers: Mapping[str, str], errors: list[RowError]
) -> list[PlannedRow]:
    in_file: dict[str, PlannedRow] = {}
    for row in rows:
        if row.kind == EntityKind.PLATFORM:
            for key in ("uscc", "external_id"):
                if row.values.get(key):
                    in_file.setdefault(row.values[key], row)
    refs = {r.platform_ref for r in rows if r.platform_ref and r.platform_ref not in in_file}
    upper = {ref.upper() for ref in refs}
    by_uscc, by_ext = find_by_keys(session, usccs=upper, external_ids=refs) if refs else ({}, {})
    kept: list[PlannedRow] = []
    for row in rows:
        ref = row.platform_ref
        if ref is not None:
            if ref in in_file or ref.upper() in in_file:
                platform_row = in_file.get(ref) or in_file[ref.upper()]
                if platform_row.existing is not None:
                    row.platform_id = platform_row.existing.id
                else:
                    row.platform_row = platform_row
            else:
                target = by_uscc.get(ref.upper()) or by_ext.get(ref)
                if target is None:
                    errors.append(
                        RowError(
                            row.number,
                            headers["platform"],
                            f"未找到所属平台：{ref}（请填写平台的统一社会信用代码或外部编号）",
                        )
                    )
                    continue
                if target.kind != EntityKind.PLATFORM.value:
                    errors.append(RowError(row.number, headers["platform"], f"所属平台“{ref}”不是平台类主体"))
                    continue
                row.platform_id = target.id
        elif row.kind in ON_PLATFORM_KINDS:
            existing_pid = row.existing.platform_id if row.existing is not None else None
            if existing_pid is None:
                errors.append(
                    RowError(
                        row.number,
                        headers.get("platform", FIELDS["platform"]),
                        "平台内经营者和直播间/主播必须填写所属平台",
                    )
                )
                continue
            row.platform_id = existing_pid
        kept.append(row)
    return kept


def _diff(row: PlannedRow) -> None:
    """Reduce a matched row to the fields that change; empty cells never clear stored values."""
    entity = row.existing
    assert entity is not None
    changes: dict[str, Any] = {}
    if row.kind.value != entity.kind:
        changes["kind"] = row.kind.value
    for key, value in row.values.items():
        if getattr(entity, key) != value:
            changes[key] = value
    if "name" in changes:
        changes["normalized_name"] = normalize_name(changes["name"])
    if "division_code" in changes:
        changes["district_code"] = rules.district_of(changes["division_code"])
    if row.platform_row is not None:
        changes["platform_id"] = row.platform_row  # resolved to an id once the platform row is created
    elif row.kind in ON_PLATFORM_KINDS and row.platform_id != entity.platform_id:
        changes["platform_id"] = row.platform_id
    elif row.kind not in ON_PLATFORM_KINDS and entity.platform_id is not None:
        changes["platform_id"] = None
    if (
        row.kind != EntityKind.INDIVIDUAL_BUSINESS
        and entity.operator_id_card
        and "operator_id_card" not in row.values
    ):
        changes["operator_id_card"] = None
    if row.tags is not None and row.tags != list(entity.tags or []):
        changes["tags"] = row.tags
    if row.aliases is not None:
        current = [(a.alias, AliasKind(a.kind)) for a in entity.aliases]  # StoredAlias
        row.aliases_changed = sorted(current) != sorted(row.aliases)
    row.changes = changes


def _effective(row: PlannedRow, key: str) -> Any:
    if key in row.values:
        return row.values[key]
    return getattr(row.existing, key) if row.existing is not None else None


def plan_import(
    session: Session,
    *,
    records: Sequence[tuple[int, Mapping[str, str]]],
    headers: Mapping[str, str],
    actor: Actor,
) -> ImportPlan:
    """Validate ``(row number, {field: cell})`` records and work out the creates and updates."""
    plan = ImportPlan(total=len(records))
    memo: Memo = {}
    duplicates = _check_duplicates(records, headers, plan.errors, memo)
    rows = [row for row in _parse_rows(records, headers, plan.errors, memo) if row.number not in duplicates]
    rows = _match_existing(session, rows, headers, actor, plan.errors)
    rows = _resolve_platforms(session, rows, headers, plan.errors)
    for row in rows:
        platform_id = row.platform_id if row.platform_row is None else None
        if not covers(
            actor,
            entity_id=row.existing.id if row.existing is not None else None,
            platform_id=platform_id,
            division_code=_effective(row, "division_code"),
            industry_section=_effective(row, "industry_section"),
        ):
            column = headers.get("division_code") or headers["name"]
            plan.errors.append(RowError(row.number, column, "超出您的管辖范围（区划、行业或平台），不能导入"))
            continue
        if row.existing is None:
            row.values.setdefault("status", EntityStatus.ACTIVE.value)
            plan.creates.append(row)
            continue
        _diff(row)
        if row.changes or row.aliases_changed:
            plan.updates.append(row)
        else:
            plan.unchanged += 1
    plan.errors.sort(key=lambda e: e.row)
    return plan
