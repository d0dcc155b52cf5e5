"""The segmentation rule language: who belongs in a rule-driven group or tag.

A rule is plain YAML data, read by `parse`, checked against the account's fields by
`check` (and across rules by `find_cycles`), and evaluated per subscriber by `evaluate`
or, for scans, by the closure `compile_rule` returns. `to_data` writes it back. The
package does no I/O and reads no clock: `now` is always passed in.

```yaml
rule:
  all:
    - {status: active}
    - {field: tier, in: [gold, platinum]}
    - {field: total_sales, gte: 1000}
    - {field: subscribed_at, within_days: 30}
    - not: {in_group: Churned}
```

How values compare (each defined once, in the module named):

- Text (`text`): case-insensitive by Unicode casefolding, surrounding whitespace
  trimmed, inner whitespace kept: `"  Gold "` equals `gold`, `"new  york"` does not
  equal `new york`. Group, tag and dropdown option names match the same way.
- Numbers (`numeric`): compared by value. On a number field a numeric string such as
  `"12.5"` counts as the number 12.5; `"n/a"` is not a number.
- Dates (`dates`): `YYYY-MM-DD` or `YYYY-MM-DD HH:MM:SS` (ISO forms with `T`, fractions
  and zones too; timestamps without zone are UTC). A rule date means its whole day, so
  `before: 2024-03-01` is before that day, `after:` from the next day, and `between`
  includes both bound days. `within_days: N` holds on or after `now - N days` (for a
  plain date: on or after that day), future dates included.
- Not set: a missing key, null, a blank string or an empty object. `is_empty` holds
  for such a value and `is_set` does not. Every other positive comparison is false for
  it, including `gt`, `before` and `within_days`. A value that cannot be read as the
  comparison needs (`"n/a"` on a number field, a malformed date) compares the same way,
  though `is_set` still sees that something was written.
- Negative operators are exact negations: `not_equals`, `not_in`, `not_contains` and
  `is_empty` hold exactly when `equals`, `in`, `contains` and `is_set` do not. So a
  subscriber with no tier matches `{field: tier, not_equals: gold}`: it is not gold.
  Write `all: [{field: tier, is_set: true}, {field: tier, not_equals: gold}]` to
  require a tier.
- How a field compares (text, number or date) follows its type in the `Catalog`;
  without one, the operator and then the rule value decide (see
  `catalog.comparison_kind`).
- Statuses use one vocabulary across ESPs (`status`); a subscriber's status must be
  translated with `status.from_provider` before it reaches a rule.
"""

from reconciler.rules.ast import (
    All,
    Any,
    FieldPredicate,
    HasTag,
    InGroup,
    Not,
    Rule,
    StatusPredicate,
)
from reconciler.rules.catalog import Catalog, FieldSpec
from reconciler.rules.check import check
from reconciler.rules.compiler import Matcher, compile_rule
from reconciler.rules.cycles import find_cycles
from reconciler.rules.evaluate import evaluate
from reconciler.rules.parse import DataPath, Locate, parse
from reconciler.rules.status import Status
from reconciler.rules.view import SubscriberView
from reconciler.rules.yaml_form import to_data

__all__ = [
    "All",
    "Any",
    "Catalog",
    "DataPath",
    "FieldPredicate",
    "FieldSpec",
    "HasTag",
    "InGroup",
    "Locate",
    "Matcher",
    "Not",
    "Rule",
    "Status",
    "StatusPredicate",
    "SubscriberView",
    "check",
    "compile_rule",
    "evaluate",
    "find_cycles",
    "parse",
    "to_data",
]
