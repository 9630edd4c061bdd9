"""The channel API v1's conventions, read from the schema the code serves: every closed vocabulary
an enum generated from app/vocabulary.py, every time a DateTime, every list of unbounded size a Relay
connection, every type and field described, every mutation answering a payload with userErrors."""

from __future__ import annotations

from functools import cache

from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLType,
)

from app import vocabulary as v
from app.resolution import constraints
from app.rules import get_rules
from schema import build_schema
from schema.enums import member_name

# Lists whose size the domain bounds: at most two managers, a field per attribute, a customer's
# phones, a comparison's fields, the counts of a queue, one page's items.
BOUNDED_LISTS = {
    ("Customer", "accountManagers"),
    ("Customer", "provenance"),
    ("Customer", "phones"),
    ("Customer", "sources"),
    ("MergePreview", "phones"),
    ("MergePreview", "sources"),
    ("Tier", "tags"),
    ("Tier", "entitlements"),
    ("Tier", "granted"),
    ("CustomerService", "openCases"),
    ("CustomerService", "care"),
    ("CustomerService", "churnWarnings"),
    ("Lifecycle", "reasons"),
    ("ServiceCase", "deadlines"),
    ("ServiceCase", "events"),
    ("CareItem", "modes"),
    ("CareItem", "alternativeModes"),
    ("SlaBreachReport", "rates"),
    ("Tier", "months"),
    ("MergeEvent", "movedRecords"),
    ("CandidateDetail", "comparisons"),
    ("ReviewQueue", "counts"),
    ("Query", "mergeProgress"),
    ("Query", "match"),
    ("Query", "nodes"),
    ("HeldContactChange", "values"),
    ("UserError", "field"),
    ("OpportunityHandOff", "steps"),
    ("FieldWarning", "field"),
    ("Customer", "pendingDuplicates"),
    ("PendingDuplicate", "reasons"),
    ("Query", "contactChecks"),
    ("ContactPermission", "reasons"),
    ("Contact", "violations"),
}
# Fields whose words are a closed vocabulary, by name.
VOCABULARY_FIELDS = {"kind", "channel", "stage", "status", "decision", "segment", "certificateType", "sort", "role"}


@cache
def schema() -> GraphQLSchema:
    return build_schema()._schema


def named(kind: GraphQLType) -> GraphQLNamedType:
    while isinstance(kind, GraphQLNonNull | GraphQLList):
        kind = kind.of_type
    return kind  # type: ignore[return-value]


def is_list(kind: GraphQLType) -> bool:
    if isinstance(kind, GraphQLNonNull):
        kind = kind.of_type
    return isinstance(kind, GraphQLList)


def own_types() -> list[GraphQLNamedType]:
    return [t for name, t in schema().type_map.items() if not name.startswith("__")]


def fields_of(kind: GraphQLNamedType) -> dict[str, GraphQLField]:
    if isinstance(kind, GraphQLObjectType | GraphQLInterfaceType | GraphQLInputObjectType):
        return kind.fields  # type: ignore[return-value]
    return {}


def test_every_type_and_field_is_described() -> None:
    missing = [t.name for t in own_types() if not (t.description or "").strip()]
    missing += [
        f"{t.name}.{name}" for t in own_types() for name, f in fields_of(t).items() if not (f.description or "").strip()
    ]
    assert not missing, missing


def test_closed_vocabularies_are_enums() -> None:
    strings = [
        f"{t.name}.{name}"
        for t in own_types()
        for name, f in fields_of(t).items()
        if name in VOCABULARY_FIELDS and named(f.type).name == "String"
    ]
    arguments = [
        f"{t.name}.{name}({arg})"
        for t in own_types()
        if isinstance(t, GraphQLObjectType)
        for name, f in t.fields.items()
        for arg, a in f.args.items()
        if arg in VOCABULARY_FIELDS | {"type"} and named(a.type).name == "String"
    ]
    assert not strings and not arguments, strings + arguments


def test_enums_are_the_vocabulary() -> None:
    """Each enum's members are its vocabulary's words, so adding a word adds a member."""
    pairs = {
        "CertificateType": v.CERT_TYPES,
        "Segment": v.SEGMENTS,
        "Channel": v.CHANNELS,
        "ContactKind": v.CONTACT_KINDS,
        "OpportunityStage": v.OPPORTUNITY_STAGES,
        "CandidateStatus": v.CANDIDATE_STATUSES,
        "DecisionStatus": v.DECISION_STATUSES,
        "ReviewSort": v.REVIEW_SORTS,
        "CaseKind": v.CASE_KINDS,
        "CaseEventKind": v.CASE_EVENTS,
        "CareItemKind": v.CARE_ITEM_KINDS,
        "DueWorkKind": v.DUE_WORK_KINDS,
        "LifecycleStage": v.LIFECYCLE_STAGES,
        "ContactMode": v.CONTACT_MODES,
        "OpportunityEventKind": v.OPPORTUNITY_EVENT_KINDS,
        "OpportunityEscalation": v.OPPORTUNITY_ESCALATIONS,
        "ContactPurpose": v.CONTACT_PURPOSES,
        "SatisfactionResult": v.SATISFACTION_RESULTS,
        "ContactRule": v.CONTACT_RULES,
        "ConsentEvidence": v.CONSENT_EVIDENCE,
        "ContactPlanStatus": v.CONTACT_PLAN_STATUSES,
    }
    for name, words in pairs.items():
        enum = schema().type_map[name]
        assert isinstance(enum, GraphQLEnumType)
        assert {k: e.value for k, e in enum.values.items()} == {member_name(w): w for w in words}


def test_the_vocabulary_names_what_the_code_writes() -> None:
    assert {constraints.MUST, constraints.CANNOT} == set(v.DECISION_KINDS)
    ended = {constraints.STANDING, constraints.UNDONE, constraints.SUSPENDED, constraints.LAPSED}
    assert ended | {constraints.SUPERSEDED} == set(v.DECISION_STATUSES)
    assert set(get_rules().resolution.policy.groups.values()) <= set(v.CUSTOMER_GROUPS)


def test_every_time_is_a_datetime() -> None:
    times = [
        f"{t.name}.{name}"
        for t in own_types()
        for name, f in fields_of(t).items()
        if (name.endswith("At") or name in ("at", "since", "until", "createdBefore"))
        and named(f.type).name != "DateTime"
    ]
    assert not times, times


def test_unbounded_lists_are_connections() -> None:
    plain = [
        f"{t.name}.{name}"
        for t in own_types()
        if isinstance(t, GraphQLObjectType)
        and not t.name.endswith(("Connection", "Edge", "Payload"))
        and t.name != "ReviewQueue"
        for name, f in t.fields.items()
        if is_list(f.type) and (t.name, name) not in BOUNDED_LISTS
    ]
    assert not plain, plain
    for t in own_types():
        if t.name.endswith("Connection") or t.name == "ReviewQueue":
            assert {"edges", "nodes", "pageInfo"} <= set(fields_of(t)), t.name
    page_info = fields_of(schema().type_map["PageInfo"])
    assert {"hasNextPage", "hasPreviousPage", "startCursor", "endCursor"} == set(page_info)


def test_mutations_answer_payloads_with_user_errors() -> None:
    mutation = schema().mutation_type
    assert mutation is not None
    for name, f in mutation.fields.items():
        payload = named(f.type)
        assert payload.name.endswith("Payload"), name
        errors = fields_of(payload)["userErrors"]
        assert named(errors.type).name == "UserError", name


def test_node_types_have_global_ids() -> None:
    node = schema().type_map["Node"]
    implementations = {t.name for t in schema().get_possible_types(node)}  # type: ignore[arg-type]
    assert {"Customer", "MergeEvent", "MatchCandidate", "StewardDecision"} <= implementations
    query = schema().query_type
    assert query is not None and {"node", "nodes"} <= set(query.fields)


def test_every_id_is_an_id() -> None:
    """Objects and arguments agree: an id is ID! everywhere (node fragments on two types can both ask
    for id)."""
    wrong = [
        f"{t.name}.{name}"
        for t in own_types()
        if isinstance(t, GraphQLObjectType | GraphQLInterfaceType)
        for name, f in t.fields.items()
        if (name == "id" or name.endswith("Id")) and named(f.type).name != "ID"
    ]
    assert not wrong, wrong


def test_the_cost_limit_knows_every_paged_field() -> None:
    """A connection without first or last gives a default page, and the cost limit counts it so."""
    from schema.limits import PAGED_FIELDS

    paged = {
        name
        for t in own_types()
        if isinstance(t, GraphQLObjectType)
        for name, f in t.fields.items()
        if named(f.type).name.endswith("Connection") or named(f.type).name == "ReviewQueue"
    }
    assert paged == PAGED_FIELDS
