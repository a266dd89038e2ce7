"""Registry of market entities (经营主体名录): enterprises, individual businesses, platforms, shops on
platforms, livestream rooms, markets and prepaid-card businesses.

Other packages use only what is exported here and refer to entities by id. Importing this package
registers the tables on ``Base.metadata``.
"""

from tianping.registry import models as models
from tianping.registry.columns import FIELDS as IMPORT_COLUMNS
from tianping.registry.columns import parse_mapping_json
from tianping.registry.hooks import (
    EntityPanel,
    EntityPanelProvider,
    PanelRow,
    collect_panels,
    panel_providers,
    register_panel_provider,
    unregister_panel_provider,
)
from tianping.registry.importer import write_template
from tianping.registry.models import (
    ALIAS_KIND_LABELS,
    ENTITY_KIND_LABELS,
    ENTITY_STATUS_LABELS,
    INDUSTRY_SECTIONS,
    AliasKind,
    EntityAlias,
    EntityKind,
    EntityStatus,
    MarketEntity,
)
from tianping.registry.repository import scope_filter
from tianping.registry.schemas import (
    MAX_ID,
    AliasIn,
    AliasOut,
    EntityIn,
    EntityOut,
    EntityPage,
    EntityQuery,
    EntityUpdate,
    ImportReport,
)
from tianping.registry.search import SearchHit, search_names
from tianping.registry.service import (
    create,
    get,
    import_file,
    import_records,
    list_entities,
    platform_choices,
    reindex,
    reveal_pii,
    search_entities,
    to_out,
    update,
)

__all__ = [
    "ALIAS_KIND_LABELS",
    "ENTITY_KIND_LABELS",
    "ENTITY_STATUS_LABELS",
    "IMPORT_COLUMNS",
    "INDUSTRY_SECTIONS",
    "MAX_ID",
    "AliasIn",
    "AliasKind",
    "AliasOut",
    "EntityAlias",
    "EntityIn",
    "EntityKind",
    "EntityOut",
    "EntityPage",
    "EntityPanel",
    "EntityPanelProvider",
    "EntityQuery",
    "EntityStatus",
    "EntityUpdate",
    "ImportReport",
    "MarketEntity",
    "PanelRow",
    "SearchHit",
    "collect_panels",
    "create",
    "get",
    "import_file",
    "import_records",
    "list_entities",
    "models",
    "panel_providers",
    "parse_mapping_json",
    "platform_choices",
    "register_panel_provider",
    "reindex",
    "reveal_pii",
    "scope_filter",
    "search_entities",
    "search_names",
    "to_out",
    "unregister_panel_provider",
    "update",
    "write_template",
]
