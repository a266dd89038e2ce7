"""The complaint category taxonomy (投诉举报分类), as data officers can edit.

The shipped file is ``tianping/complaints/data/taxonomy.yaml``; an officer's file
``<home>/complaints/taxonomy.yaml`` replaces it as a whole (installed with
``tianping complaints taxonomy import FILE``, which validates it first). The file format is described
at the top of the shipped file.

Each category names its competent department (a member-unit name suffix such as ``商务局``; the value
``市场监督管理局`` means the bureau itself) for routing, GB/T 4754 industry sections (routing
fallback), keywords (keyword classifier and explanations) and a 12345 ``hotline_class``.
``department``, ``industry_sections`` and ``hotline_class`` may be left out on a sub-category: it
then inherits its parent's.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from tianping.core.errors import FieldError, NotFound, ValidationFailed
from tianping.core.settings import get_settings

__all__ = [
    "BUREAU_DEPARTMENT",
    "HOTLINE_CLASSES",
    "Category",
    "Taxonomy",
    "dump_taxonomy",
    "install_taxonomy",
    "load_taxonomy",
    "parse_taxonomy",
    "parse_taxonomy_text",
    "reload_taxonomy",
    "taxonomy_path",
]

FILE_NAME = "taxonomy.yaml"
MAX_FILE_BYTES = 1024 * 1024
UNCLASSIFIED = "未分类"
BUREAU_DEPARTMENT = "市场监督管理局"
"""``department`` value meaning: handled by the market-supervision bureau itself (no member unit)."""

HOTLINE_CLASSES = ("ordinary", "complex", "safety")
"""Keys of the 12345 time-limit table in ``deadlines.yaml`` (``hotline.classes``)."""

GBT4754_SECTIONS = frozenset("ABCDEFGHIJKLMNOPQRST")
_CODE = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*", re.ASCII)
_TOP_KEYS = ("version", "categories")
_KEYS = ("code", "name", "parent", "department", "industry_sections", "keywords", "hotline_class")
_INHERITED = ("department", "industry_sections", "hotline_class")


@dataclass(frozen=True)
class Category:
    code: str  # e.g. "prepaid.beauty"; parent codes e.g. "prepaid"
    name: str  # 美容美发
    path: str  # 预付式消费/美容美发
    parent: str | None
    department: str  # member-unit name suffix, e.g. "商务局"; "市场监督管理局" = the bureau itself
    industry_sections: tuple[str, ...]  # GB/T 4754 sections (routing fallback)
    keywords: tuple[str, ...]
    hotline_class: str  # key of the 12345 limit table in deadlines.yaml

    @property
    def is_bureau_matter(self) -> bool:
        """Handled by the market-supervision bureau itself, not by a member unit."""
        return self.department == BUREAU_DEPARTMENT


class Taxonomy:
    """Categories in file order; parents before or after children, as written."""

    def __init__(self, categories: list[Category], *, version: int = 1) -> None:
        self.version = version
        self._order = list(categories)
        self._by_code = {c.code: c for c in categories}
        parents = {c.parent for c in categories if c.parent}
        self._leaves = [c for c in categories if c.code not in parents]

    def get(self, code: str) -> Category:
        """The category with this code; :class:`NotFound` with a zh-CN message otherwise."""
        category = self._by_code.get(code)
        if category is None:
            raise NotFound(f"分类代码 {code} 不存在")
        return category

    def find(self, code: str | None) -> Category | None:
        return self._by_code.get(code) if code else None

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def leaves(self) -> list[Category]:
        """Categories without children (what the classifier predicts)."""
        return list(self._leaves)

    def all(self) -> list[Category]:
        return list(self._order)

    def children(self, code: str) -> list[Category]:
        return [c for c in self._order if c.parent == code]

    def label(self, code: str | None) -> str:
        """The category's path (``预付式消费/美容美发``), ``未分类`` for none, the code if unknown."""
        if not code:
            return UNCLASSIFIED
        category = self._by_code.get(code)
        return category.path if category else code

    def to_data(self) -> dict[str, Any]:
        """The taxonomy in the file format, every field written out (nothing left to inheritance)."""
        rows: list[dict[str, Any]] = []
        for c in self._order:
            row: dict[str, Any] = {"code": c.code, "name": c.name}
            if c.parent:
                row["parent"] = c.parent
            row["department"] = c.department
            row["industry_sections"] = list(c.industry_sections)
            row["hotline_class"] = c.hotline_class
            row["keywords"] = list(c.keywords)
            rows.append(row)
        return {"version": self.version, "categories": rows}


# ---------------------------------------------------------------------------------------------------
# Parsing and validation
# ---------------------------------------------------------------------------------------------------


def _text(value: object) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _str_list(value: object, where: str, errors: list[FieldError]) -> tuple[str, ...] | None:
    if not isinstance(value, list) or not all(isinstance(v, str | int) for v in value):
        errors.append(FieldError(where, "必须是文本列表"))
        return None
    items = tuple(str(v).strip() for v in value)
    if any(not v for v in items):
        errors.append(FieldError(where, "列表中不能有空项"))
        return None
    return items


def parse_taxonomy(data: object) -> Taxonomy:
    """Validate decoded YAML/JSON ``data`` and build a :class:`Taxonomy`.

    Checks: known keys only, codes well formed and unique, parents exist, no cycles, name and
    department non-empty (after inheritance), sections are GB/T 4754 letters, hotline_class known,
    keywords unique within a category. Raises :class:`ValidationFailed` whose ``errors`` name the
    field path, e.g. ``categories[3].parent``.
    """
    if not isinstance(data, dict):
        raise ValidationFailed("分类文件无效：顶层必须是对象（含 version 和 categories）")
    errors: list[FieldError] = []
    unknown = sorted(str(k) for k in data if k not in _TOP_KEYS)
    if unknown:
        errors.append(FieldError(unknown[0], f"未知字段 {', '.join(unknown)}（只允许 version、categories）"))
    version = data.get("version", 1)
    if type(version) is not int or version < 1:
        errors.append(FieldError("version", "version 必须是正整数"))
        version = 1
    raw = data.get("categories")
    if not isinstance(raw, list) or not raw:
        errors.append(FieldError("categories", "categories 必须是非空列表"))
        raw = []

    rows: list[dict[str, Any]] = []
    index_of: dict[str, int] = {}
    for i, item in enumerate(raw):
        where = f"categories[{i}]"
        if not isinstance(item, dict):
            errors.append(FieldError(where, "每个分类必须是对象"))
            continue
        bad = sorted(str(k) for k in item if k not in _KEYS)
        if bad:
            errors.append(FieldError(f"{where}.{bad[0]}", f"未知字段 {', '.join(bad)}"))
        code = _text(item.get("code"))
        if code is None or not _CODE.fullmatch(code):
            errors.append(
                FieldError(f"{where}.code", "code 必须是小写字母、数字、_ 组成的代码，层级用 . 分隔")
            )
            continue
        if code in index_of:
            errors.append(
                FieldError(f"{where}.code", f"分类代码 {code} 重复（与 categories[{index_of[code]}]）")
            )
            continue
        index_of[code] = i
        name = _text(item.get("name"))
        if name is None:
            errors.append(FieldError(f"{where}.name", "name 不能为空"))
        if "/" in (name or ""):
            errors.append(FieldError(f"{where}.name", "name 中不能有 /"))
        row: dict[str, Any] = {"code": code, "name": name or code, "where": where}
        parent = item.get("parent")
        if parent is not None and _text(parent) is None:
            errors.append(FieldError(f"{where}.parent", "parent 必须是分类代码"))
        row["parent"] = _text(parent)
        if "department" in item:
            department = _text(item.get("department"))
            if department is None:
                errors.append(
                    FieldError(f"{where}.department", "department 不能为空（填写主管部门，如 商务局）")
                )
            row["department"] = department
        if "industry_sections" in item:
            sections = _str_list(item["industry_sections"], f"{where}.industry_sections", errors)
            if sections is not None:
                wrong = [s for s in sections if s not in GBT4754_SECTIONS]
                if wrong:
                    errors.append(
                        FieldError(
                            f"{where}.industry_sections",
                            f"{', '.join(wrong)} 不是 GB/T 4754 门类字母（A–T）",
                        )
                    )
            row["industry_sections"] = sections
        if "hotline_class" in item:
            hotline_class = _text(item.get("hotline_class"))
            if hotline_class not in HOTLINE_CLASSES:
                errors.append(
                    FieldError(
                        f"{where}.hotline_class",
                        f"hotline_class 必须是 {', '.join(HOTLINE_CLASSES)} 之一",
                    )
                )
            row["hotline_class"] = hotline_class
        keywords = _str_list(item.get("keywords", []), f"{where}.keywords", errors) or ()
        duplicated = sorted({k for k in keywords if keywords.count(k) > 1})
        if duplicated:
            errors.append(FieldError(f"{where}.keywords", f"关键词重复：{', '.join(duplicated)}"))
        row["keywords"] = keywords
        rows.append(row)

    by_code = {r["code"]: r for r in rows}
    for row in rows:
        parent = row["parent"]
        if parent is not None and parent not in by_code:
            errors.append(FieldError(f"{row['where']}.parent", f"父分类 {parent} 不存在"))
            row["parent"] = None
            row["broken"] = True
    # Cycles: follow parents; a chain longer than the table or returning to itself is a cycle.
    for row in rows:
        seen = {row["code"]}
        current = row["parent"]
        while current is not None:
            if current in seen:
                errors.append(FieldError(f"{row['where']}.parent", f"分类 {row['code']} 的上级形成循环"))
                row["broken"] = True
                break
            seen.add(current)
            current = by_code[current]["parent"]

    categories: list[Category] = []
    if not any(r.get("broken") for r in rows):
        for row in rows:
            chain = [row]
            while chain[-1]["parent"] is not None:
                chain.append(by_code[chain[-1]["parent"]])
            resolved: dict[str, Any] = {}
            for key in _INHERITED:
                resolved[key] = next((r[key] for r in chain if r.get(key) is not None), None)
            if resolved["department"] is None:
                errors.append(
                    FieldError(f"{row['where']}.department", "缺少 department（本级和上级都未填写）")
                )
            if resolved["hotline_class"] is None:
                errors.append(
                    FieldError(f"{row['where']}.hotline_class", "缺少 hotline_class（本级和上级都未填写）")
                )
            categories.append(
                Category(
                    code=row["code"],
                    name=row["name"],
                    path="/".join(r["name"] for r in reversed(chain)),
                    parent=row["parent"],
                    department=resolved["department"] or "",
                    industry_sections=tuple(resolved["industry_sections"] or ()),
                    keywords=tuple(row["keywords"]),
                    hotline_class=resolved["hotline_class"] or "",
                )
            )

    if errors:
        first = f"{errors[0].field}: {errors[0].message}" if errors else "格式不正确"
        more = f"（共 {len(errors)} 处错误）" if len(errors) > 1 else ""
        raise ValidationFailed(f"分类文件无效：{first}{more}", errors=errors)
    return Taxonomy(categories, version=version)


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate mapping keys (a silently lost category is worse)."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    mapping: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node)
        if key in mapping:
            raise ValidationFailed(f"分类文件无效：第 {key_node.start_mark.line + 1} 行的键 {key} 重复")
        mapping[key] = loader.construct_object(value_node, deep=True)
    return mapping


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def parse_taxonomy_text(raw: bytes | str) -> Taxonomy:
    """Parse a YAML (or JSON, a subset) document; :class:`ValidationFailed` on any problem."""
    if isinstance(raw, bytes):
        if len(raw) > MAX_FILE_BYTES:
            raise ValidationFailed(f"分类文件无效：文件大于 {MAX_FILE_BYTES // 1024} KB")
        try:
            raw = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationFailed("分类文件无效：不是 UTF-8 编码的文本") from None
    try:
        data = yaml.load(raw, Loader=_UniqueKeyLoader)  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"（第 {mark.line + 1} 行）" if mark is not None else ""
        raise ValidationFailed(f"分类文件无效：不是合法的 YAML{where}") from None
    return parse_taxonomy(data)


def dump_taxonomy(taxonomy: Taxonomy) -> str:
    """The taxonomy as YAML text in the file format (UTF-8 characters, every field explicit)."""
    return yaml.safe_dump(taxonomy.to_data(), allow_unicode=True, sort_keys=False, width=120)


# ---------------------------------------------------------------------------------------------------
# Loading (package data, or the officer's file under <home>)
# ---------------------------------------------------------------------------------------------------


def taxonomy_path() -> Path:
    """Where an installed (officer-edited) taxonomy lives: ``<home>/complaints/taxonomy.yaml``."""
    return Path(get_settings().home) / "complaints" / FILE_NAME


@cache
def _packaged() -> Taxonomy:
    raw = resources.files("tianping.complaints").joinpath("data", FILE_NAME).read_bytes()
    return parse_taxonomy_text(raw)


@cache
def _installed(path: Path, mtime_ns: int, size: int) -> Taxonomy:
    try:
        return parse_taxonomy_text(path.read_bytes())
    except ValidationFailed as exc:
        raise ValidationFailed(f"已安装的{exc.message}（{path}）", errors=exc.errors) from None


def load_taxonomy() -> Taxonomy:
    """The effective taxonomy: ``<home>/complaints/taxonomy.yaml`` if present, else the shipped one.

    Cached; an installed file is re-read when it changes. A broken installed file is a clear
    :class:`ValidationFailed`, never a silent fallback.
    """
    path = taxonomy_path()
    try:
        stat = path.stat()
    except FileNotFoundError:
        return _packaged()
    return _installed(path, stat.st_mtime_ns, stat.st_size)


def reload_taxonomy() -> None:
    _packaged.cache_clear()
    _installed.cache_clear()


def install_taxonomy(raw: bytes) -> tuple[Path, Taxonomy]:
    """Validate ``raw`` and write it atomically to ``<home>/complaints/taxonomy.yaml``."""
    taxonomy = parse_taxonomy_text(raw)
    target = taxonomy_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".taxonomy.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp_name, 0o644)
        os.replace(tmp_name, target)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    reload_taxonomy()
    return target, taxonomy
