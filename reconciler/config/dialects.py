"""The config dialects espform knows, selected by `provider.type`.

Adding an ESP means adding its module (document model plus `build`) and one entry here;
the loader itself does not change.
"""

from __future__ import annotations

from reconciler.config import mailchimp, mailerlite
from reconciler.config.document import Dialect

DIALECTS: dict[str, Dialect] = {
    mailerlite.DIALECT.type: mailerlite.DIALECT,
    mailchimp.DIALECT.type: mailchimp.DIALECT,
}
