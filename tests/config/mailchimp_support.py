"""Building blocks of the Mailchimp config tests: a valid audience to vary."""

from __future__ import annotations

HEAD = """\
provider:
  type: mailchimp
  api_key: ${env:MAILCHIMP_API_KEY}
"""

#: The settings Mailchimp needs to create an audience (after HEAD: lines 4 to 9).
AUDIENCE = """\
audiences:
  Shop:
    contact: {company: Pet Manager, address1: 1 Main St, city: Portland, country: US}
    permission_reminder: You bought from our shop.
    campaign_defaults: {from_name: Shop, from_email: shop@example.com, subject: "", language: en}
    email_type_option: true
"""

#: HEAD + AUDIENCE; the next line written after it is line 10, at indent 4 inside Shop.
BASE = HEAD + AUDIENCE


def segment(*conditions: str, match: str = "any") -> str:
    """A `segments:` block of Shop with one segment "S"; after BASE, condition 1 is on line 14
    and its mapping starts at column 13."""
    lines = ["    segments:", "      S:", f"        match: {match}", "        conditions:"]
    lines += [f"          - {c}" for c in conditions]
    return "\n".join(lines) + "\n"
