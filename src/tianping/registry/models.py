"""Market entities (经营主体), their aliases and the fuzzy-name search index.

The search index is two plain tables that work the same on SQLite and PostgreSQL:

* ``registry_search_gram`` — postings ``(gram, entity_id)``: one row per distinct character bigram
  or skip-bigram of an entity's normalised name and aliases (see :mod:`tianping.registry.grams`);
* ``registry_search_gram_df`` — document frequency of every gram, read at query time to pull the
  rarest grams first.

They are maintained by the service layer (create, update, alias change, import) and can be rebuilt
with ``tianping registry reindex``.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tianping.core.db import Base, UTCDateTime


class EntityKind(StrEnum):
    ENTERPRISE = "enterprise"
    INDIVIDUAL_BUSINESS = "individual_business"
    PLATFORM = "platform"
    PLATFORM_SHOP = "platform_shop"
    LIVESTREAM = "livestream"
    MARKET = "market"
    PREPAID_BUSINESS = "prepaid_business"

    @property
    def label(self) -> str:
        return ENTITY_KIND_LABELS[self]


ENTITY_KIND_LABELS: dict[EntityKind, str] = {
    EntityKind.ENTERPRISE: "企业",
    EntityKind.INDIVIDUAL_BUSINESS: "个体工商户",
    EntityKind.PLATFORM: "平台",
    EntityKind.PLATFORM_SHOP: "平台内经营者",
    EntityKind.LIVESTREAM: "直播间/主播",
    EntityKind.MARKET: "市场（如批发市场）",
    EntityKind.PREPAID_BUSINESS: "预付式经营者",
}

# Kinds that operate on a platform: they must name it (platform_id), and only they may.
ON_PLATFORM_KINDS: frozenset[EntityKind] = frozenset({EntityKind.PLATFORM_SHOP, EntityKind.LIVESTREAM})


class EntityStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    DEREGISTERED = "deregistered"
    REVOKED = "revoked"

    @property
    def label(self) -> str:
        return ENTITY_STATUS_LABELS[self]


ENTITY_STATUS_LABELS: dict[EntityStatus, str] = {
    EntityStatus.ACTIVE: "存续（在业）",
    EntityStatus.SUSPENDED: "停业",
    EntityStatus.DEREGISTERED: "注销",
    EntityStatus.REVOKED: "吊销",
}


class AliasKind(StrEnum):
    BRAND = "brand"
    SHORT = "short"
    FORMER = "former"

    @property
    def label(self) -> str:
        return ALIAS_KIND_LABELS[self]


ALIAS_KIND_LABELS: dict[AliasKind, str] = {
    AliasKind.BRAND: "品牌名",
    AliasKind.SHORT: "简称",
    AliasKind.FORMER: "曾用名",
}

# GB/T 4754-2017《国民经济行业分类》门类.
INDUSTRY_SECTIONS: dict[str, str] = {
    "A": "农、林、牧、渔业",
    "B": "采矿业",
    "C": "制造业",
    "D": "电力、热力、燃气及水生产和供应业",
    "E": "建筑业",
    "F": "批发和零售业",
    "G": "交通运输、仓储和邮政业",
    "H": "住宿和餐饮业",
    "I": "信息传输、软件和信息技术服务业",
    "J": "金融业",
    "K": "房地产业",
    "L": "租赁和商务服务业",
    "M": "科学研究和技术服务业",
    "N": "水利、环境和公共设施管理业",
    "O": "居民服务、修理和其他服务业",
    "P": "教育",
    "Q": "卫生和社会工作",
    "R": "文化、体育和娱乐业",
    "S": "公共管理、社会保障和社会组织",
    "T": "国际组织",
}


class MarketEntity(Base):
    """A 经营主体: enterprise, individual business, platform, shop on a platform, livestream room…"""

    __tablename__ = "registry_entity"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    name: Mapped[str] = mapped_column(String(200))
    normalized_name: Mapped[str] = mapped_column(String(200), index=True)
    uscc: Mapped[str | None] = mapped_column(String(18), unique=True)
    external_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    platform_id: Mapped[int | None] = mapped_column(ForeignKey("registry_entity.id"), index=True)
    registered_address: Mapped[str | None] = mapped_column(String(300))
    division_code: Mapped[str | None] = mapped_column(String(12), index=True)
    district_code: Mapped[str | None] = mapped_column(String(6), index=True)
    industry_section: Mapped[str | None] = mapped_column(String(1), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True, default=EntityStatus.ACTIVE.value)
    established_on: Mapped[date | None] = mapped_column(Date)
    # Personal data: masked for display unless revealed (each reveal is audited).
    legal_representative: Mapped[str | None] = mapped_column(String(100))
    contact_phone: Mapped[str | None] = mapped_column(String(32))
    operator_id_card: Mapped[str | None] = mapped_column(String(18))
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    platform: Mapped[MarketEntity | None] = relationship(remote_side=[id], lazy="raise")
    aliases: Mapped[list[EntityAlias]] = relationship(
        back_populates="entity",
        lazy="raise",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="EntityAlias.id",
    )

    @property
    def entity_kind(self) -> EntityKind:
        return EntityKind(self.kind)

    @property
    def entity_status(self) -> EntityStatus:
        return EntityStatus(self.status)


class EntityAlias(Base):
    """Another name an entity is known by: a brand (示例外卖), a short name or a former name."""

    __tablename__ = "registry_entity_alias"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("registry_entity.id", ondelete="CASCADE"), index=True)
    alias: Mapped[str] = mapped_column(String(200))
    normalized_alias: Mapped[str] = mapped_column(String(200), index=True)
    kind: Mapped[str] = mapped_column(String(16), default=AliasKind.BRAND.value)

    entity: Mapped[MarketEntity] = relationship(back_populates="aliases", lazy="raise")


class SearchGram(Base):
    """Posting of the name index: the entity's name or an alias contains this gram.

    Clustered by ``(gram, entity_id)`` (a WITHOUT ROWID table on SQLite), so the postings of one gram
    are one contiguous range. No foreign key: the service keeps it in step with the entities.
    """

    __tablename__ = "registry_search_gram"
    __table_args__ = ({"sqlite_with_rowid": False},)

    gram: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    entity_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)


class SearchGramDf(Base):
    """Document frequency of a gram: how many entities' names/aliases contain it."""

    __tablename__ = "registry_search_gram_df"
    __table_args__ = ({"sqlite_with_rowid": False},)

    gram: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    df: Mapped[int] = mapped_column(Integer, default=0)
