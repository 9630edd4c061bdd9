"""Root Query and Mutation types and the schema factory."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.scalars import JSON

from app.access import mask, redact
from app.errors import BadInput, NotFoundError
from app.resolution.normalise import normalise_certificate
from schema.channel import ChannelMutation, ChannelQuery
from schema.context import Info
from schema.customer import Customer
from schema.limits import extensions
from schema.steward import StewardMutation, StewardQuery
from schema.view_plan import view_parts


@strawberry.type
class StoreInfo:
    backend: str
    ok: bool


@strawberry.input(description="A customer record as a channel would submit it (fields of docs/source-formats.md).")
class CustomerRecordInput:
    name: str
    cert_type: str | None = None
    cert_no: str | None = None
    phones: list[str] | None = None
    email: str | None = None
    address: str | None = None
    birth_date: str | None = None
    gender: str | None = None
    local_network: str | None = None
    segment: str | None = "individual"

    def fields(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if v is not None}


@strawberry.type
class MatchResult:
    customer: Customer
    decision: str = strawberry.field(description="merge, review or apart, as the resolver would decide.")
    probability: float
    explanation: JSON


async def _customer(info: Info, customer_id: str) -> Customer:
    info.context.loaders.want(view_parts(info))
    raw = await info.context.loaders.require(customer_id)
    return Customer(raw=raw, requested_id=customer_id)


@strawberry.type
class Query(StewardQuery, ChannelQuery):
    @strawberry.field(description="Which graph backend serves this API and whether it answers.")
    async def store(self, info: Info) -> StoreInfo:
        health = await info.context.store.health()
        return StoreInfo(backend=health.backend, ok=health.ok)

    @strawberry.field(description="A customer by id; an id merged into another customer answers the survivor.")
    async def customer(self, info: Info, id: strawberry.ID) -> Customer:
        return await _customer(info, str(id))

    @strawberry.field(description="The customer holding a certificate (resident id, credit code, passport...).")
    async def customer_by_certificate(self, info: Info, type: str, number: str) -> Customer:
        from app.services.customer_view import find_by_certificate

        cert = normalise_certificate(type, number)
        shown = mask("certificate", number, type)
        if not cert.number or (type in ("resident_id", "credit_code") and not cert.valid):
            raise BadInput(f"{shown!r} is not a valid {type} number: {cert.reason}")
        ids = await find_by_certificate(info.context.store, cert.number)
        if not ids:
            raise NotFoundError(f"no customer holds {type} {shown!r}")
        return await _customer(info, ids[0])

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
        return await _customer(info, ids[0])

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


@strawberry.type
class Mutation(StewardMutation, ChannelMutation):
    pass


def build_schema(production: bool = False, caches: bool = True) -> strawberry.Schema:
    return strawberry.Schema(query=Query, mutation=Mutation, extensions=extensions(production, caches))
