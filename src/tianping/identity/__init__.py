"""Identity and access: organisations, users, roles, sessions, API tokens.

Other packages use :func:`tianping.identity.service.build_actor` and the actor it returns; they refer
to users and organisations by id.
"""

from tianping.identity import models as models
