"""A synthetic customer base for sandbox accounts and benchmarks: data only, no I/O.

`people(count, seed)` yields the same subscribers, value for value, for the same count,
seed and `as_of` date, on any machine: everything is drawn from one `random.Random(seed)`
in a fixed order, one person after the other, so the first k people of a larger run are
the people of a run of k. Dates are counted back from `as_of` (a fixed day, not today)
for the same reason: a seed taken next month must give the same account.

Shares are chosen so that segmentation rules select realistic slices: most subscribers
are active, a tenth are gold tier, region and the sales figures are missing for some,
sales are skewed (many small customers, a few large ones), a fifth are partners.

The people are provider-neutral; `mailerlite_*` and `mailchimp_*` map them onto each
flavor's statuses and fields (the MailerLite field keys are those of
`examples/quickstart/espform.yaml`; the Mailchimp merge fields extend the pet-care example).
"""

from __future__ import annotations

import bisect
import itertools
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Generic, NamedTuple, TypeVar

T = TypeVar("T")

#: The day dates are counted back from, unless another is given.
AS_OF = date(2025, 6, 30)
#: Signup dates spread over this many days before `as_of`.
HISTORY_DAYS = 730


class Shares(Generic[T]):
    """Values with weights, drawn with one `random()` call (bisect on cumulative sums)."""

    def __init__(self, pairs: Sequence[tuple[T, float]]) -> None:
        self.values = [value for value, _ in pairs]
        self.weights = {value: weight for value, weight in pairs}
        self._cumulative = list(itertools.accumulate(weight for _, weight in pairs))
        self._total = self._cumulative[-1]

    def draw(self, rng: random.Random) -> T:
        return self.values[bisect.bisect_right(self._cumulative, rng.random() * self._total)]

    def share(self, value: T) -> float:
        return self.weights[value] / self._total


#: Neutral statuses; each flavor maps them to its own words below.
STATUS = Shares(
    [("active", 0.82), ("unsubscribed", 0.09), ("unconfirmed", 0.05), ("bounced", 0.04)]
)
TIER = Shares([("gold", 0.10), ("silver", 0.25), ("bronze", 0.50), (None, 0.15)])
REGION = Shares(
    [
        ("North America", 0.34),
        ("Europe", 0.27),
        ("Asia Pacific", 0.14),
        ("Latin America", 0.08),
        ("Middle East & Africa", 0.05),
        (None, 0.12),
    ]
)
PARTNER_SHARE = 0.20
PARTNER_STATUS = Shares([("active", 0.70), ("paused", 0.20), ("pending", 0.10)])
CUSTOMER_TYPE = Shares([("Dog owner", 0.55), ("Cat owner", 0.37), ("Breeder", 0.08)])
#: Share of people with sales figures at all (the rest never bought, or were imported
#: without them: the fields are unset).
SALES_SHARE = 0.75

FIRST_NAMES = (
    "Ada", "Ben", "Chloe", "Dev", "Elena", "Farid", "Grace", "Hugo", "Ines", "Jonas",
    "Kira", "Liam", "Maya", "Noah", "Olga", "Pablo", "Quinn", "Rosa", "Sami", "Tara",
)  # fmt: skip
LAST_NAMES = (
    "Adams", "Berg", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia", "Haddad", "Ito",
    "Jensen", "Kowalski", "Lopez", "Moreau", "Novak", "Okafor", "Patel", "Rossi", "Silva",
    "Tanaka", "Weber",
)  # fmt: skip
#: Reserved for documentation (RFC 2606): nothing is ever delivered there.
DOMAINS = ("example.com", "example.net", "example.org")


class Person(NamedTuple):
    """One generated subscriber. None means the value is not set.

    A named tuple rather than a frozen dataclass: it is built a million times, and a
    frozen dataclass's `__init__` alone took a quarter of the generation time.
    """

    number: int
    email: str
    first_name: str
    last_name: str
    status: str
    tier: str | None
    region: str | None
    total_sales: int | None
    total_earned: float | None
    signup_date: date
    last_purchase: date | None
    partner_key: str | None
    partner_status: str | None
    customer_type: str


def people(count: int, seed: int = 0, *, as_of: date = AS_OF) -> Iterator[Person]:
    """`count` people, numbered from 1, the same ones for the same arguments."""
    if count < 0:
        raise ValueError(f"count must be 0 or more, not {count}")
    rng = random.Random(seed)
    for number in range(1, count + 1):
        yield _person(rng, number, as_of)


def _below(rng: random.Random, n: int) -> int:
    """A whole number in [0, n): `random()` is a C call, `randrange` several Python ones,
    which made up a third of the time to generate a million people."""
    return int(rng.random() * n)


def _person(rng: random.Random, number: int, as_of: date) -> Person:
    # The order of draws is part of the output: changing it changes every seeded account.
    first = FIRST_NAMES[_below(rng, len(FIRST_NAMES))]
    last = LAST_NAMES[_below(rng, len(LAST_NAMES))]
    domain = DOMAINS[_below(rng, len(DOMAINS))]
    status = STATUS.draw(rng)
    tier = TIER.draw(rng)
    region = REGION.draw(rng)
    signup = as_of - timedelta(days=_below(rng, HISTORY_DAYS))
    sales: int | None = None
    earned: float | None = None
    last_purchase: date | None = None
    if rng.random() < SALES_SHARE:
        # Log-normal: a median of about 3 sales, a long tail of heavy buyers.
        sales = int(rng.lognormvariate(1.2, 0.9))
        earned = round(sales * rng.lognormvariate(3.2, 0.5), 2) if sales else 0.0
        if sales:
            last_purchase = signup + timedelta(days=_below(rng, (as_of - signup).days + 1))
    is_partner = rng.random() < PARTNER_SHARE
    partner_status = PARTNER_STATUS.draw(rng) if is_partner else None
    return Person(
        number=number,
        email=f"{first}.{last}{number}@{domain}".lower(),
        first_name=first,
        last_name=last,
        status=status,
        tier=tier,
        region=region,
        total_sales=sales,
        total_earned=earned,
        signup_date=signup,
        last_purchase=last_purchase,
        partner_key=f"PK{number:07d}" if is_partner else None,
        partner_status=partner_status,
        customer_type=CUSTOMER_TYPE.draw(rng),
    )


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None


def _set(values: dict[str, Any]) -> dict[str, Any]:
    """Only the values that are set: an absent key is how both ESPs store "no value"."""
    return {key: value for key, value in values.items() if value is not None}


@dataclass(frozen=True)
class FieldSpec:
    """A field the generated data writes to (MailerLite: key; Mailchimp: merge tag)."""

    key: str
    name: str
    type: str
    options: dict[str, Any] = field(default_factory=dict)
    public: bool = True


MAILERLITE_STATUS = {
    "active": "active",
    "unsubscribed": "unsubscribed",
    "unconfirmed": "unconfirmed",
    "bounced": "bounced",
}
#: Keys as MailerLite derives them from the names, so creating a field by name gives
#: the same key; the first five are the quickstart's.
MAILERLITE_FIELDS = (
    FieldSpec("partner_key", "Partner key", "text"),
    FieldSpec("status", "Status", "text"),
    FieldSpec("total_sales", "Total sales", "number"),
    FieldSpec("total_earned", "Total earned", "number"),
    FieldSpec("tier", "Tier", "text"),
    FieldSpec("region", "Region", "text"),
    FieldSpec("signup_date", "Signup date", "date"),
    FieldSpec("last_purchase_date", "Last purchase date", "date"),
)


def mailerlite_fields(person: Person) -> dict[str, Any]:
    """Field values by key (built-in `name` and `last_name` included)."""
    return _set(
        {
            "name": person.first_name,
            "last_name": person.last_name,
            "partner_key": person.partner_key,
            # The quickstart's `status` field is the partner's status in the program,
            # not the subscription status (which is the subscriber's own `status`).
            "status": person.partner_status,
            "total_sales": person.total_sales,
            "total_earned": person.total_earned,
            "tier": person.tier,
            "region": person.region,
            "signup_date": _iso(person.signup_date),
            "last_purchase_date": _iso(person.last_purchase),
        }
    )


MAILCHIMP_STATUS = {
    "active": "subscribed",
    "unsubscribed": "unsubscribed",
    "unconfirmed": "pending",
    "bounced": "cleaned",
}
DEFAULT_AUDIENCE = "Pet Manager Customers"
#: CTYPE and VISITS as the pet-care example declares them, so that planning the example
#: against a seeded audience reports no change to them.
MAILCHIMP_MERGE_FIELDS = (
    FieldSpec(
        "CTYPE",
        "Customer type",
        "dropdown",
        {"choices": list(CUSTOMER_TYPE.values)},
    ),
    FieldSpec("VISITS", "Clinic visits", "number", public=False),
    FieldSpec("TIER", "Tier", "text", {"size": 25}),
    FieldSpec("REGION", "Region", "text", {"size": 25}),
    FieldSpec("LASTVISIT", "Last visit", "date", {"date_format": "MM/DD/YYYY"}),
)
#: A new audience's settings: the pet-care example's, for the same reason.
AUDIENCE_SETTINGS: dict[str, Any] = {
    "contact": {
        "company": "Pet Manager Inc.",
        "address1": "12 Harbor Road",
        "address2": "",
        "city": "Portland",
        "state": "OR",
        "zip": "97201",
        "country": "US",
        "phone": "",
    },
    "permission_reminder": (
        "You are receiving this because you are a customer of a Pet Manager clinic."
    ),
    "campaign_defaults": {
        "from_name": "Pet Manager",
        "from_email": "care@petmanager.example",
        "subject": "",
        "language": "en",
    },
    "email_type_option": False,
    "use_archive_bar": False,
    "double_optin": False,
    "marketing_permissions": False,
    "has_welcome": False,
    "notify_on_subscribe": "",
    "notify_on_unsubscribe": "",
    "visibility": "pub",
}


def mailchimp_merge_fields(person: Person) -> dict[str, Any]:
    """Merge values by tag; a clinic visit is a purchase, so VISITS counts sales."""
    return _set(
        {
            "FNAME": person.first_name,
            "LNAME": person.last_name,
            "CTYPE": person.customer_type,
            "VISITS": person.total_sales,
            "TIER": person.tier,
            "REGION": person.region,
            "LASTVISIT": _iso(person.last_purchase),
        }
    )
