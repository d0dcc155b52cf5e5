"""Import then plan gives no changes, on many randomly built sandbox accounts.

Each example builds a fresh account through the sandbox's own API, imports it with
`espform import --sandbox`, and plans the written file against the same account. It
also checks that nothing was left out beyond what the config truly cannot hold: every
object is declared, or commented out for a reason found by the conversion rules (not
by the final check, which would mean the rules missed something).
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from import_support import (
    AWKWARD,
    audience_body,
    espform,
    left_out,
    mailchimp_api,
    mailerlite_api,
    observed,
)

from reconciler.config import load_config
from reconciler.config.mailchimp_documents import DEFAULT_MERGE_FIELDS
from reconciler.importer.document import printable
from reconciler.model import Address, Field, MergeField

PROPERTY = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
NAMES = st.one_of(
    st.sampled_from(AWKWARD),
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=12),
)
LATE = "found when checking"
ML_LABELS = {
    "name": "Name",
    "last_name": "Last name",
    "company": "Company",
    "country": "Country",
    "city": "City",
    "phone": "Phone",
    "state": "State",
    "z_i_p": "Zip",
}
MC_DEFAULT_NAMES = {"First Name", "Last Name", "Address", "Phone Number", "Birthday"}


def created(response: httpx.Response) -> Any:
    """The body of a successful create; None when the sandbox refused (a clash, a
    name it does not take), which just leaves that object out of the account."""
    return response.json() if response.status_code in (200, 201) else None


def import_and_plan(db: Path, provider: str) -> tuple[Path, dict[str, str]]:
    out = db.parent / "conf" / "espform.yaml"
    out.parent.mkdir()
    imported = espform("import", "--provider", provider, "--sandbox", db, "--out", out)
    assert imported.exit_code == 0, imported.output
    reasons = left_out(imported)
    assert not [r for r in reasons.values() if LATE in r], imported.stderr
    planned = espform("plan", "-c", out, "--detailed-exitcode")
    assert planned.exit_code == 0, planned.output + "\n" + out.read_text()
    assert "No changes." in planned.stdout
    return out, reasons


def assert_covered(out: Path, reasons: dict[str, str], skip: set[str]) -> None:
    """Every object of the account is declared, or reported as commented out (itself or
    an object it belongs to)."""
    declared = {str(r.address) for r in load_config(out).desired}
    for resource in observed(out):
        address = resource.address
        if str(address) in skip or address.kind == "interest":
            continue
        chain: list[Address] = []
        at: Address | None = address
        while at is not None:
            chain.append(at)
            at = at.parent
        assert str(address) in declared or any(printable(str(a)) in reasons for a in chain), (
            f"{address} is neither declared nor reported as left out:\n{out.read_text()}"
        )


NOT_DECLARED = re.compile(r"a condition tests (merge field|tag|interest category) '?(.*?)'?, which")


def assert_claims_hold(out: Path, reasons: dict[str, str]) -> None:
    """A segment left out for naming something undeclared really names something that
    the file does not declare (and that the config cannot assume, like FNAME)."""
    desired = load_config(out).desired
    for address, reason in reasons.items():
        claim = NOT_DECLARED.search(reason)
        if claim is None:
            continue
        kind, name = claim.groups()
        audience = Address.parse(address).parent
        assert audience is not None
        kind = kind.replace(" ", "_")
        assert not any(
            r.address.kind == kind and r.key == name and r.address.parent == audience
            for r in desired
        ), reason
        assert name not in DEFAULT_MERGE_FIELDS, reason


# --- MailerLite --------------------------------------------------------------------------------


@PROPERTY
@given(data=st.data())
def test_mailerlite_import_plans_no_changes(data: st.DataObject) -> None:
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "account.db"
        with mailerlite_api(db) as api:
            for name in data.draw(st.lists(NAMES, max_size=6), label="groups"):
                created(api.post("/api/groups", json={"name": name}))
            field_types = st.sampled_from(["text", "number", "date"])
            for name, kind in data.draw(st.lists(st.tuples(NAMES, field_types), max_size=4)):
                created(api.post("/api/fields", json={"name": name, "type": kind}))
            if data.draw(st.booleans(), label="relabel a built-in field"):
                builtin = data.draw(st.sampled_from(range(1, 9)), label="built-in id")
                api.put(f"/api/fields/{builtin}", json={"name": data.draw(NAMES)})
            for name in data.draw(st.lists(NAMES, max_size=3), label="segments"):
                created(api.post("/_sandbox/segments", json={"name": name, "emails": []}))
        out, reasons = import_and_plan(db, "mailerlite")
        account = observed(out)
        names = [r.key for r in account if r.kind == "group"]
        # A group is commented out only when its name is shared or cannot be written.
        for name in {name for name in names if names.count(name) == 1}:
            reason = reasons.get(printable(str(Address.of("mailerlite", "group", name))), "")
            assert not reason or "cannot be written" in reason, reason
        # Built-in fields with MailerLite's own labels are left out on purpose.
        defaults = {
            str(r.address)
            for r in account
            if isinstance(r, Field) and r.builtin and ML_LABELS.get(r.key) == r.name
        }
        assert_covered(out, reasons, skip=defaults)


# --- Mailchimp ---------------------------------------------------------------------------------

MERGE_TYPES = ["text", "number", "address", "phone", "date", "url", "imageurl", "radio"]
MERGE_TYPES += ["dropdown", "birthday", "zip"]
TAGS = st.one_of(st.none(), st.from_regex(r"[A-Z][A-Z0-9_]{0,9}", fullmatch=True))
CHOICES = st.lists(st.sampled_from(["Dog", "Cat", "yes", "1", "a: b", "", "Dog"]), max_size=4)


def merge_field_body(data: st.DataObject) -> dict[str, Any]:
    kind = data.draw(st.sampled_from(MERGE_TYPES), label="merge type")
    body: dict[str, Any] = {"name": data.draw(NAMES), "type": kind}
    if (tag := data.draw(TAGS, label="merge tag")) is not None:
        body["tag"] = tag
    options: dict[str, Any] = {}
    if kind in ("radio", "dropdown"):
        options["choices"] = data.draw(CHOICES, label="choices")
    elif kind == "date":
        options["date_format"] = data.draw(st.sampled_from(["MM/DD/YYYY", "DD/MM/YYYY"]))
    elif kind == "phone":
        options["phone_format"] = data.draw(st.sampled_from(["US", "International", "none"]))
    elif kind == "text":
        options["size"] = data.draw(st.integers(1, 255))
    if options:
        body["options"] = options
    extra = st.fixed_dictionaries(
        {},
        optional={
            "required": st.booleans(),
            "public": st.booleans(),
            "default_value": st.sampled_from(["", "Dog", "x"]),
            "help_text": NAMES,
            "display_order": st.integers(-1, 40),
        },
    )
    body.update(data.draw(extra, label="merge settings"))
    return body


def build_audience(api: httpx.Client, data: st.DataObject) -> None:
    overrides = data.draw(
        st.fixed_dictionaries(
            {},
            optional={
                "permission_reminder": NAMES.filter(str.strip),
                "double_optin": st.booleans(),
                "notify_on_subscribe": st.sampled_from(["", "ops@example.com", "not-an-email"]),
                "visibility": st.sampled_from(["pub", "prv"]),
            },
        ),
        label="audience settings",
    )
    audience = created(api.post("/lists", json=audience_body(data.draw(NAMES), **overrides)))
    if audience is None:
        return
    base = f"/lists/{audience['id']}"
    if data.draw(st.booleans(), label="rename FNAME"):
        api.patch(f"{base}/merge-fields/1", json={"name": data.draw(NAMES)})
    for _ in range(data.draw(st.integers(0, 4), label="merge fields")):
        created(api.post(f"{base}/merge-fields", json=merge_field_body(data)))
    for title in data.draw(st.lists(NAMES, max_size=2), label="categories"):
        kind = data.draw(st.sampled_from(["checkboxes", "dropdown", "radio", "hidden"]))
        category = created(
            api.post(f"{base}/interest-categories", json={"title": title, "type": kind})
        )
        if category is None:
            continue
        for name in data.draw(st.lists(NAMES, max_size=3), label="interests"):
            body: dict[str, Any] = {"name": name}
            if data.draw(st.integers(0, 9), label="explicit display order") == 0:
                body["display_order"] = data.draw(st.integers(1, 5))
            created(api.post(f"{base}/interest-categories/{category['id']}/interests", json=body))
    for name in data.draw(st.lists(NAMES, max_size=3), label="tags"):
        created(api.post(f"{base}/segments", json={"name": name, "static_segment": []}))
    for name in data.draw(st.lists(NAMES, max_size=2), label="saved segments"):
        conditions = [
            c for _ in range(data.draw(st.integers(1, 3))) if (c := condition(api, base, data))
        ]
        if conditions:
            match = data.draw(st.sampled_from(["any", "all"]))
            options = {"match": match, "conditions": conditions}
            created(api.post(f"{base}/segments", json={"name": name, "options": options}))


def condition(api: httpx.Client, base: str, data: st.DataObject) -> dict[str, Any] | None:
    """A condition on something the audience has, or None when it has nothing of that kind."""
    kind = data.draw(st.sampled_from(["tag", "interests", "merge", "email", "rating"]))
    if kind == "email":
        return {
            "condition_type": "EmailAddress",
            "field": "merge0",
            "op": "contains",
            "value": data.draw(NAMES),
        }
    if kind == "rating":
        return {
            "condition_type": "MemberRating",
            "field": "rating",
            "op": "greater",
            "value": data.draw(st.integers(1, 5)),
        }
    if kind == "tag":
        tags = [s for s in api.get(f"{base}/segments").json()["segments"] if s["type"] == "static"]
        if not tags:
            return None
        tag = data.draw(st.sampled_from(tags))
        op = data.draw(st.sampled_from(["static_is", "static_not"]))
        return {
            "condition_type": "StaticSegment",
            "field": "static_segment",
            "op": op,
            "value": tag["id"],
        }
    if kind == "interests":
        categories = api.get(f"{base}/interest-categories").json()["categories"]
        if not categories:
            return None
        category = data.draw(st.sampled_from(categories))
        path = f"{base}/interest-categories/{category['id']}/interests"
        interests = [i["id"] for i in api.get(path).json()["interests"]]
        if not interests:
            return None
        chosen = data.draw(
            st.lists(st.sampled_from(interests), min_size=1, max_size=3, unique=True)
        )
        op = data.draw(
            st.sampled_from(["interestcontains", "interestcontainsall", "interestnotcontains"])
        )
        return {
            "condition_type": "Interests",
            "field": f"interests-{category['id']}",
            "op": op,
            "value": chosen,
        }
    fields = [
        f
        for f in api.get(f"{base}/merge-fields").json()["merge_fields"]
        if f["type"] in ("text", "radio", "dropdown")
    ]
    if not fields:
        return None
    field = data.draw(st.sampled_from(fields))
    condition_type = "TextMerge" if field["type"] == "text" else "SelectMerge"
    op = data.draw(st.sampled_from(["is", "not", "contains", "blank"]))
    return {
        "condition_type": condition_type,
        "field": field["tag"],
        "op": op,
        "value": data.draw(NAMES),
    }


@PROPERTY
@given(data=st.data())
def test_mailchimp_import_plans_no_changes(data: st.DataObject) -> None:
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "account.db"
        with mailchimp_api(db) as api:
            for _ in range(data.draw(st.integers(1, 2), label="audiences")):
                build_audience(api, data)
        out, reasons = import_and_plan(db, "mailchimp")
        assert_claims_hold(out, reasons)
        # Only FNAME is ever changed here; the other default fields are left out on purpose.
        defaults = {
            str(r.address)
            for r in observed(out)
            if isinstance(r, MergeField) and r.builtin and r.name in MC_DEFAULT_NAMES
        }
        assert_covered(out, reasons, skip=defaults)
