"""Check the `audiences:` of a Mailchimp config and turn them into resources.

Per audience: merge fields (options per type, renamed tags), interest categories and
their ordered interests, tags and saved segments (whose conditions are checked by
`mailchimp_conditions`, and whose rules, like the rules of rule-driven tags, by
`mailchimp_rules`). Every check of an audience runs even when another fails, so that
one run reports every problem of the file.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

from pydantic import BaseModel

from reconciler.config.document import BuildContext
from reconciler.config.mailchimp_conditions import AudienceNames, build_conditions
from reconciler.config.mailchimp_documents import (
    DEFAULT_MERGE_FIELDS,
    EMAIL_TAG,
    AudienceDocument,
    InterestCategoryDocument,
    InterestDocument,
    MergeFieldDocument,
    SegmentDocument,
    TagDocument,
)
from reconciler.config.mailchimp_rules import audience_catalog, segment_rule, tag_rules
from reconciler.config.renames import check_renames
from reconciler.config.webhooks import build_audience_webhooks
from reconciler.model import (
    Address,
    Audience,
    Interest,
    InterestCategory,
    Location,
    MergeField,
    SavedSegment,
    State,
    Tag,
)
from reconciler.rules import Catalog, Rule

PROVIDER = "mailchimp"
Path = tuple[Hashable, ...]

#: Merge field option -> the types it applies to (fact sheet 2.2).
OPTION_TYPES: dict[str, tuple[str, ...]] = {
    "choices": ("radio", "dropdown"),
    "date_format": ("date", "birthday"),
    "phone_format": ("phone",),
    "default_country": ("address",),
    "size": ("text",),
}


#: What the rules of each audience may refer to, by audience address.
Catalogs = dict[Address | None, Catalog]


def build_audiences(
    audiences: Mapping[str, AudienceDocument], ctx: BuildContext, state: State
) -> Catalogs:
    """Add the audiences' resources to `state`; return the catalog of each audience."""
    check_renames(
        ctx,
        "audience",
        {name: doc.renamed_from for name, doc in audiences.items()},
        declared_at=lambda name: ctx.key("audiences", name),
        old_at=lambda name, index: ctx.value("audiences", name, "renamed_from", index),
    )
    catalogs: Catalogs = {}
    for name, doc in audiences.items():
        _Audience(ctx, state, name, ("audiences", name), catalogs).build(doc)
    return catalogs


def plain(model: BaseModel | None) -> dict[str, Any] | None:
    """Only the keys a declaration gives: the others are not managed (see model.py)."""
    if model is None:
        return None
    return model.model_dump(exclude_unset=True, exclude_none=True)


class _Audience:
    """The builder of one audience and everything in it."""

    def __init__(
        self, ctx: BuildContext, state: State, name: str, path: Path, catalogs: Catalogs
    ) -> None:
        self.ctx = ctx
        self.state = state
        self.path = path
        self.catalogs = catalogs
        self.address = Address.of(PROVIDER, "audience", name)
        self.names = AudienceNames(audience=name)

    def build(self, doc: AudienceDocument) -> None:
        self.state.add(
            Audience(
                address=self.address,
                contact=plain(doc.contact),
                permission_reminder=doc.permission_reminder,
                campaign_defaults=plain(doc.campaign_defaults),
                email_type_option=doc.email_type_option,
                double_optin=doc.double_optin,
                use_archive_bar=doc.use_archive_bar,
                notify_on_subscribe=doc.notify_on_subscribe,
                notify_on_unsubscribe=doc.notify_on_unsubscribe,
                marketing_permissions=doc.marketing_permissions,
                visibility=doc.visibility,
                renamed_from=tuple(doc.renamed_from),
                source=self.ctx.key(*self.path),
            )
        )
        self._merge_fields(doc.merge_fields or {})
        for title, category in (doc.interest_categories or {}).items():
            self._category(title, category)
        self._renames("interest category", "interest_categories", doc.interest_categories or {})
        self.names.tags = list(doc.tags or {})
        catalog = audience_catalog(self.names)
        self.catalogs[self.address] = catalog
        self._tags(doc.tags or {}, tag_rules(self.ctx, self.path, doc.tags or {}, catalog))
        self._segments(doc.segments or {}, catalog)
        build_audience_webhooks(self.address, self.path, doc.webhooks or {}, self.ctx, self.state)

    def _renames(self, kind: str, section: str, entries: Mapping[str, Any]) -> None:
        check_renames(
            self.ctx,
            kind,
            {name: entry.renamed_from if entry else [] for name, entry in entries.items()},
            declared_at=lambda name: self.ctx.key(*self.path, section, name),
            old_at=lambda name, index: self.ctx.value(
                *self.path, section, name, "renamed_from", index
            ),
        )

    # --- merge fields ---------------------------------------------------------------------

    def _merge_fields(self, fields: Mapping[str, MergeFieldDocument | None]) -> None:
        self._renames("merge field", "merge_fields", fields)
        renamed = {old for entry in fields.values() if entry for old in entry.renamed_from}
        # A default renamed to another tag is gone under its own tag.
        types: dict[str, str | None] = {
            tag: kind for tag, kind in DEFAULT_MERGE_FIELDS.items() if tag not in renamed
        }
        for tag, entry in fields.items():
            doc = entry or MergeFieldDocument()
            where = (*self.path, "merge_fields", tag)
            if tag == EMAIL_TAG:
                self.ctx.error(
                    self.ctx.key(*where),
                    "EMAIL is the contact's email address, which every audience has; it is not "
                    "a merge field and cannot be declared",
                )
                continue
            merge_type = doc.type or DEFAULT_MERGE_FIELDS.get(tag)
            types[tag] = merge_type
            options = doc.options
            if options is not None and options.choices:
                self.names.choices[tag] = list(options.choices)
            if options is not None and options.date_format:
                self.names.date_formats[tag] = options.date_format
            if tag not in DEFAULT_MERGE_FIELDS:
                missing = [f"a {key}" for key in ("name", "type") if getattr(doc, key) is None]
                if missing:
                    self.ctx.error(
                        self.ctx.key(*where),
                        f"merge field '{tag}' needs {' and '.join(missing)}; only the default "
                        f"fields ({', '.join(DEFAULT_MERGE_FIELDS)}) may leave them out",
                    )
            if merge_type is not None:
                self._options(tag, merge_type, doc, where)
            self.state.add(
                MergeField(
                    address=self.address.child("merge_field", tag),
                    name=doc.name,
                    type=doc.type,
                    required=doc.required,
                    public=doc.public,
                    default_value=doc.default_value,
                    options=plain(doc.options) or None,
                    help_text=doc.help_text,
                    display_order=doc.display_order,
                    renamed_from=tuple(doc.renamed_from),
                    source=self.ctx.key(*where),
                )
            )
        self.names.merge_types = types

    def _options(self, tag: str, merge_type: str, doc: MergeFieldDocument, where: Path) -> None:
        given = plain(doc.options) or {}
        for key in given:
            if merge_type not in OPTION_TYPES[key]:
                self.ctx.error(
                    self.ctx.key(*where, "options", key),
                    f"options.{key} does not apply to merge field '{tag}' of type "
                    f"{merge_type}; it is for {' and '.join(OPTION_TYPES[key])} fields",
                )
        if merge_type not in OPTION_TYPES["choices"]:
            return
        choices = given.get("choices")
        if not choices:
            place = (*where, "options") if doc.options is not None else where
            self.ctx.error(
                self.ctx.key(*place),
                f"merge field '{tag}' of type {merge_type} needs options.choices, the list of "
                "values contacts choose from",
            )
            return
        for index, choice in enumerate(choices):
            first = choices.index(choice)
            if first != index:
                line = self.ctx.value(*where, "options", "choices", first).line
                self.ctx.error(
                    self.ctx.value(*where, "options", "choices", index),
                    f"choice '{choice}' of merge field '{tag}' is listed twice (first at "
                    f"line {line})",
                )
        if doc.default_value not in (None, "", *choices):
            self.ctx.error(
                self.ctx.value(*where, "default_value"),
                f"default_value of merge field '{tag}' is not one of its choices",
            )

    # --- interests --------------------------------------------------------------------------

    def _category(self, title: str, doc: InterestCategoryDocument) -> None:
        where = (*self.path, "interest_categories", title)
        address = self.address.child("interest_category", title)
        self.state.add(
            InterestCategory(
                address=address,
                type=doc.type,
                renamed_from=tuple(doc.renamed_from),
                source=self.ctx.key(*where),
            )
        )
        declared: dict[str, tuple[int, InterestDocument]] = {}
        for index, item in enumerate(doc.interests):
            if len(item) != 1:
                problem = "is empty" if not item else f"has {len(item)} keys"
                self.ctx.error(
                    self.ctx.value(*where, "interests", index),
                    f"each item of interests is one interest, a name or {{NAME: {{renamed_from: "
                    f"[OLD]}}}}; this one {problem}: write one item per interest",
                )
                continue
            ((name, entry),) = item.items()
            if name in declared:
                self.ctx.error(
                    self._interest_at(where, index, name),
                    f"interest '{name}' is listed twice in category '{title}' (first as item "
                    f"{declared[name][0] + 1}); each interest appears once",
                )
                continue
            declared[name] = (index, entry or InterestDocument())
        check_renames(
            self.ctx,
            "interest",
            {name: entry.renamed_from for name, (_, entry) in declared.items()},
            declared_at=lambda name: self._interest_at(where, declared[name][0], name),
            old_at=lambda name, index: self.ctx.value(
                *where, "interests", declared[name][0], name, "renamed_from", index
            ),
        )
        for position, (name, (index, entry)) in enumerate(declared.items(), start=1):
            self.state.add(
                Interest(
                    address=address.child("interest", name),
                    # Mailchimp shows interests by display_order: the list's order.
                    display_order=position,
                    renamed_from=tuple(entry.renamed_from),
                    source=self._interest_at(where, index, name),
                )
            )
        self.names.categories[title] = list(declared)

    def _interest_at(self, where: Path, index: int, name: str) -> Location:
        # The name's key in the `{NAME: {...}}` form; the item itself for a plain name.
        return self.ctx.key(*where, "interests", index, name)

    # --- tags and segments -------------------------------------------------------------------

    def _tags(self, tags: Mapping[str, TagDocument | None], rules: Mapping[str, Rule]) -> None:
        self._renames("tag", "tags", tags)
        # Mailchimp matches tag names without regard to case (fact sheet 2.5).
        folded: dict[str, str] = {}
        for name, entry in tags.items():
            where = (*self.path, "tags", name)
            other = folded.setdefault(name.casefold(), name)
            if other != name:
                line = self.ctx.key(*self.path, "tags", other).line
                self.ctx.error(
                    self.ctx.key(*where),
                    f"tag '{name}' differs from tag '{other}' (line {line}) only by case; "
                    "Mailchimp treats tag names case-insensitively",
                )
            self.state.add(
                Tag(
                    address=self.address.child("tag", name),
                    renamed_from=tuple(entry.renamed_from) if entry else (),
                    source=self.ctx.key(*where),
                    rule=rules.get(name),
                )
            )

    def _segments(self, segments: Mapping[str, SegmentDocument], catalog: Catalog) -> None:
        self._renames("segment", "segments", segments)
        tags = {name.casefold(): name for name in self.names.tags}
        for name, doc in segments.items():
            where = (*self.path, "segments", name)
            tag = tags.get(name.casefold())
            if tag is not None:
                line = self.ctx.key(*self.path, "tags", tag).line
                self.ctx.error(
                    self.ctx.key(*where),
                    f"segment '{name}' has the name of tag '{tag}' (line {line}); tags and "
                    "saved segments share one namespace in Mailchimp, so names must differ",
                )
            match, conditions = self._segment_options(where, name, doc, catalog)
            self.state.add(
                SavedSegment(
                    address=self.address.child("segment", name),
                    match=match,
                    conditions=conditions,
                    renamed_from=tuple(doc.renamed_from),
                    source=self.ctx.key(*where),
                )
            )

    def _segment_options(
        self, where: Path, name: str, doc: SegmentDocument, catalog: Catalog
    ) -> tuple[str | None, tuple[dict[str, Any], ...] | None]:
        """The segment's match and canonical conditions: as written, or from its rule."""
        native = doc.match is not None or doc.conditions is not None
        if doc.rule is not None:
            if native:
                given = [k for k in ("match", "conditions") if getattr(doc, k) is not None]
                self.ctx.error(
                    self.ctx.key(*where, given[0]),
                    f"segment '{name}' has both a rule and {' and '.join(given)}; write either "
                    "the rule or match with conditions",
                )
                return None, None
            compiled = segment_rule(
                self.ctx, where, name, doc.rule, catalog, self.names.date_formats
            )
            return (compiled.match, compiled.conditions) if compiled else (None, None)
        if not native:
            self.ctx.error(
                self.ctx.key(*where),
                f"segment '{name}' needs either match and conditions, or a rule (e.g. "
                "rule: {field: TIER, equals: gold})",
            )
            return None, None
        if doc.match is None:
            self.ctx.error(
                self.ctx.key(*where),
                f"segment '{name}' needs match: all or any, to say how its conditions combine",
            )
        if doc.conditions is None:
            self.ctx.error(
                self.ctx.key(*where),
                f"segment '{name}' needs conditions (or a rule instead of match)",
            )
            return doc.match, None
        return doc.match, build_conditions(self.ctx, where, name, doc.conditions, self.names)
