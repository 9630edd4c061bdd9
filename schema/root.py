"""Root Query and Mutation types and the schema factory."""

from __future__ import annotations

import strawberry
from strawberry.scalars import JSON
from strawberry.schema.config import StrawberryConfig

from app.access import mask, redact
from app.errors import BadInput, NotFoundError
from app.resolution.normalise import normalise_certificate
from schema.channel import ChannelMutation, ChannelQuery, CustomerRecordInput
from schema.contact_confirmation import ContactConfirmationMutation, ContactConfirmationQuery
from schema.contact_planning import ContactPlanningMutation, ContactPlanningQuery
from schema.context import Info
from schema.customer import Customer, fetch_customer
from schema.enums import CertificateType, MatchDecision, value_of
from schema.execution import LeanExecutor
from schema.limits import MAX_PAGE, extensions
from schema.node import Node, fetch_node
from schema.opportunities import OpportunityMutation, OpportunityQuery
from schema.scalars import SCALARS
from schema.service import ServiceQuery
from schema.steward import StewardMutation, StewardQuery
from schema.view_plan import view_parts


@strawberry.type(description="Which graph backend serves this API and whether it answers.")
class StoreInfo:
    backend: str = strawberry.field(description="embedded (FalkorDB) or neo4j.")
    ok: bool = strawberry.field(description="The store answered.")


@strawberry.type(description="An existing customer a record would match, and what resolution would do.")
class MatchResult:
    customer: Customer = strawberry.field(description="The customer.")
    decision: MatchDecision = strawberry.field(description="merge, review or apart, as resolution would decide.")
    probability: float = strawberry.field(description="The match probability.")
    explanation: JSON = strawberry.field(description="Each field's comparison, as the caller's role may see it.")


@strawberry.type(description="What channels, stewards and analysts read: one customer, the same answer everywhere.")
class Query(StewardQuery, ChannelQuery, ServiceQuery, ContactConfirmationQuery, OpportunityQuery, ContactPlanningQuery):
    @strawberry.field(description="Which graph backend serves this API and whether it answers.")
    async def store(self, info: Info) -> StoreInfo:
        health = await info.context.store.health()
        return StoreInfo(backend=health.backend, ok=health.ok)

    @strawberry.field(
        description="Any object by its global id (Customer:C58FB7..., MergeEvent:..., MatchCandidate:..., "
        "StewardDecision:...), with the same checks as the type's own query."
    )
    async def node(self, info: Info, id: strawberry.ID) -> Node:
        return await fetch_node(info, str(id))

    @strawberry.field(
        description="Several objects by their global ids, in the order asked; one not found is null with an error."
    )
    def nodes(self, info: Info, ids: list[strawberry.ID]) -> list[Node | None]:
        if len(ids) > MAX_PAGE:
            raise BadInput(f"at most {MAX_PAGE} ids at a time, got {len(ids)}", [("ids", "too many")])
        return [fetch_node(info, str(i)) for i in ids]  # type: ignore[misc]

    @strawberry.field(description="A customer by id; an id merged into another customer answers the survivor.")
    async def customer(self, info: Info, id: strawberry.ID) -> Customer:
        return await fetch_customer(info, str(id))

    @strawberry.field(description="The customer holding a certificate (resident id, credit code, passport...).")
    async def customer_by_certificate(self, info: Info, type: CertificateType, number: str) -> Customer:
        from app.services.customer_view import find_by_certificate

        kind = value_of(type)
        cert = normalise_certificate(kind, number)
        shown = mask("certificate", number, kind)
        if not cert.number or (kind in ("resident_id", "credit_code") and not cert.valid):
            raise BadInput(f"{shown!r} is not a valid {kind} number: {cert.reason}")
        ids = await find_by_certificate(info.context.store, cert.number)
        if not ids:
            raise NotFoundError(f"no customer holds {kind} {shown!r}")
        return await fetch_customer(info, ids[0])

    @strawberry.field(description="The customer owning a service number (mobile, fixed line, broadband).")
    async def customer_by_service_number(self, info: Info, number: str) -> Customer:
        from app.resolution.normalise import normalise_service_number
        from app.services.customer_view import find_by_service_number

        service_no = normalise_service_number(number)
        if service_no is None:
            raise BadInput(f"{mask('phone', number)!r} is not a service number")
        ids = await find_by_service_number(info.context.store, service_no)
        if not ids:
            raise NotFoundError(f"no customer owns service number {mask('phone', number)!r}")
        return await fetch_customer(info, ids[0])

    @strawberry.field(description="Is this someone we know? The best existing customers for a record not stored.")
    async def match(self, info: Info, record: CustomerRecordInput, limit: int = 5) -> list[MatchResult]:
        from app.services.matching import Matcher

        caller = info.context.caller
        caller.require("match")
        fields = record.fields()
        try:
            matches = await Matcher(info.context.store, info.context.rules).match(fields, limit=limit)
        except BadInput as exc:
            raise BadInput(redact(str(exc), fields), [(f, redact(why, fields)) for f, why in exc.problems]) from None
        info.context.loaders.want(view_parts(info))
        raws = await info.context.loaders.customer.load_many([m.customer_id for m in matches])
        results = []
        for m, raw in zip(matches, raws):
            if raw is not None:
                results.append(
                    MatchResult(
                        customer=Customer(raw=raw, requested_id=m.customer_id),
                        decision=m.decision,
                        probability=m.probability,
                        explanation=caller.show_fields(m.best.explanation(), m.customer_id),
                    )
                )
        return results


@strawberry.type(
    description="What channels and stewards change; a refusal they can fix comes back in the payload's userErrors."
)
class Mutation(
    StewardMutation, ChannelMutation, ContactConfirmationMutation, OpportunityMutation, ContactPlanningMutation
):
    pass


def build_schema(production: bool = False, caches: bool = True) -> strawberry.Schema:
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        extensions=extensions(production, caches),
        config=StrawberryConfig(scalar_map=SCALARS),
        execution_context_class=LeanExecutor,
    )
