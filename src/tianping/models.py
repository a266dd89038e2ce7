"""Import every domain's models so that Base.metadata is complete (Alembic, tests)."""

from tianping.complaints import models as _complaints  # noqa: F401
from tianping.core import audit as _audit  # noqa: F401
from tianping.evidence import models as _evidence  # noqa: F401
from tianping.identity import models as _identity  # noqa: F401
from tianping.registry import models as _registry  # noqa: F401
