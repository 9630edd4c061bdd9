"""GraphQL enums, one for each closed vocabulary of app/vocabulary.py, generated from it so that the
two cannot drift. A member is the value in capitals (``small_business`` is ``SMALL_BUSINESS``);
resolvers return the stored value and take the member's ``.value``.

For mypy each enum is its value's type (``str``): the schema sees the enum, the code the word.
"""

from __future__ import annotations

import re
from enum import Enum
from typing import TYPE_CHECKING, Any

import strawberry

from app import vocabulary as v


def member_name(value: str) -> str:
    return re.sub(r"\W", "_", value).upper()


def _enum(name: str, values: tuple[str, ...], description: str) -> Any:
    return strawberry.enum(Enum(name, {member_name(value): value for value in values}), description=description)  # type: ignore[misc]


def value_of(member: Any) -> Any:
    """The stored word of an enum argument (None stays None)."""
    return member.value if isinstance(member, Enum) else member


if TYPE_CHECKING:
    CertificateType = Segment = Gender = OrganisationClass = VipCard = CustomerGroup = CustomerStatus = str
    AccountType = AccountStatus = ProductType = SubscriptionStatus = Channel = ContactKind = str
    ContactOutcome = OpportunityKind = OpportunityStage = EmployeeRole = ManagerRole = str
    ContactPurpose = SatisfactionResult = ContactRule = ConsentEvidence = ContactPlanStatus = str
    ContactMode = ContactDirection = CaseKind = CaseEventKind = CareItemKind = LifecycleStage = DueWorkKind = str
    CandidateStatus = MatchDecision = SubmissionDecision = MergeEventKind = DecisionKind = str
    DecisionStatus = ReviewSort = str
    OpportunityEventKind = OpportunityEscalation = str
    IdentityCheck = PasswordCheck = CertificateResult = ContactCheckOutcome = str
else:
    CertificateType = _enum("CertificateType", v.CERT_TYPES, "The kind of a certificate (证件类型).")
    Segment = _enum("Segment", v.SEGMENTS, "Who the customer is (客户细分): a person, a household or an organisation.")
    Gender = _enum("Gender", v.GENDERS, "M or F, as the certificate or the source gives it.")
    OrganisationClass = _enum("OrganisationClass", v.ORG_CLASSES, "An organisation's class (集团客户等级), A to D.")
    VipCard = _enum("VipCard", v.VIP_CARDS, "A VIP card (大客户卡): diamond, gold or silver.")
    CustomerGroup = _enum(
        "CustomerGroup", v.CUSTOMER_GROUPS, "Public customers (公众客户) or organisation customers (政企客户)."
    )
    CustomerStatus = _enum(
        "CustomerStatus", v.CUSTOMER_STATUSES, "Active, merged into another customer, or retired (no records left)."
    )
    AccountType = _enum("AccountType", v.ACCOUNT_TYPES, "Prepaid (预付费) or postpaid (后付费).")
    AccountStatus = _enum("AccountStatus", v.ACCOUNT_STATUSES, "Where an account stands.")
    ProductType = _enum("ProductType", v.PRODUCT_TYPES, "What a subscription is (产品类型); a payphone is 公话.")
    SubscriptionStatus = _enum("SubscriptionStatus", v.SUBSCRIPTION_STATUSES, "Where a subscription stands.")
    Channel = _enum("Channel", v.CHANNELS, "A channel that serves customers (渠道).")
    ContactKind = _enum("ContactKind", v.CONTACT_KINDS, "What a contact with the customer was about (接触类型).")
    ContactOutcome = _enum("ContactOutcome", v.CONTACT_OUTCOMES, "How a contact ended.")
    ContactMode = _enum("ContactMode", v.CONTACT_MODES, "How a contact was made: a visit, a call, an SMS, ...")
    ContactDirection = _enum(
        "ContactDirection", v.CONTACT_DIRECTIONS, "Who started a contact: the customer (inbound) or we (outbound)."
    )
    ContactPurpose = _enum(
        "ContactPurpose",
        v.CONTACT_PURPOSES,
        "Why we touched the customer: service (never held back) or marketing (caps, quiet hours, consent).",
    )
    SatisfactionResult = _enum(
        "SatisfactionResult", v.SATISFACTION_RESULTS, "A satisfaction survey's answer (满意度), best first."
    )
    ContactRule = _enum(
        "ContactRule",
        v.CONTACT_RULES,
        "A no-repeated-disturbance rule (不重复打扰): a cap (a day, 7 or 30 days), the quiet hours, an opt-out, "
        "no consent, or another channel's plan that week.",
    )
    ConsentEvidence = _enum(
        "ConsentEvidence", v.CONSENT_EVIDENCE, "What shows a consent to marketing was given or withdrawn."
    )
    ContactPlanStatus = _enum(
        "ContactPlanStatus", v.CONTACT_PLAN_STATUSES, "Where a touch on the contact work list stands."
    )
    CaseKind = _enum(
        "CaseKind",
        v.CASE_KINDS,
        "Work with a service time limit: a consultation, complaint, business by phone, emergency or churn warning.",
    )
    CaseEventKind = _enum("CaseEventKind", v.CASE_EVENTS, "What happened to a case; its clocks follow from these.")
    CareItemKind = _enum("CareItemKind", v.CARE_ITEM_KINDS, "Care a VIP card holder is owed (大客户关怀).")
    DueWorkKind = _enum("DueWorkKind", v.DUE_WORK_KINDS, "Care work (a CareItemKind) or a case with work owed.")
    LifecycleStage = _enum(
        "LifecycleStage", v.LIFECYCLE_STAGES, "Where the customer is in its life (客户生命周期): joining to decline."
    )
    OpportunityKind = _enum(
        "OpportunityKind", v.OPPORTUNITY_KINDS, "A lead (商机线索: the need is vague) or an opportunity (商机)."
    )
    OpportunityStage = _enum(
        "OpportunityStage", v.OPPORTUNITY_STAGES, "How far an opportunity's hand-off got (商机转移)."
    )
    OpportunityEventKind = _enum(
        "OpportunityEventKind",
        v.OPPORTUNITY_EVENT_KINDS,
        "A step of an opportunity's hand-off: captured, routed by the system (the first transfer), claimed, "
        "returned to the operations centre, dispatched by it (a second transfer), won or lost.",
    )
    OpportunityEscalation = _enum(
        "OpportunityEscalation",
        v.OPPORTUNITY_ESCALATIONS,
        "Why an open opportunity is escalated: not claimed in time, or claimed with no step since for too long.",
    )
    EmployeeRole = _enum("EmployeeRole", v.EMPLOYEE_ROLES, "What an employee does.")
    ManagerRole = _enum(
        "ManagerRole",
        v.MANAGER_ROLES,
        "A: the primary account manager (主客户经理); B: the backup, acting while A is on leave.",
    )
    CandidateStatus = _enum("CandidateStatus", v.CANDIDATE_STATUSES, "Where a suspected duplicate (疑似重复) stands.")
    MatchDecision = _enum(
        "MatchDecision",
        v.MATCH_DECISIONS,
        "What resolution would do with a record and a customer: merge, review or keep apart.",
    )
    SubmissionDecision = _enum(
        "SubmissionDecision",
        v.SUBMISSION_DECISIONS,
        "What became of a submitted record: it joined a customer (merge), has its own customer until a steward "
        "decides (review), is a new customer, was unchanged, or left a customer it no longer matches (moved_out).",
    )
    MergeEventKind = _enum(
        "MergeEventKind", v.MERGE_EVENT_KINDS, "A merge (归并), the undoing of one, or a split (拆分)."
    )
    DecisionKind = _enum(
        "DecisionKind", v.DECISION_KINDS, "A steward's decision: must (the records are one customer) or cannot (never)."
    )
    DecisionStatus = _enum(
        "DecisionStatus", v.DECISION_STATUSES, "Whether a steward decision is in force, and if not why."
    )
    ReviewSort = _enum("ReviewSort", v.REVIEW_SORTS, "The review queue's order: best score first, or oldest first.")
    IdentityCheck = _enum(
        "IdentityCheck",
        v.IDENTITY_CHECKS,
        "The check a pending suspected duplicate asks at the contact (接触归并): the certificate read matching the "
        "present customer's record or both records, with the service password passed or not.",
    )
    PasswordCheck = _enum(
        "PasswordCheck", v.PASSWORD_CHECKS, "The channel's own service-password check (服务密码) at the contact."
    )
    CertificateResult = _enum(
        "CertificateResult",
        v.CERTIFICATE_RESULTS,
        "What the certificate read at the contact showed against a candidate's two records (never the number).",
    )
    ContactCheckOutcome = _enum("ContactCheckOutcome", v.CONTACT_CHECK_OUTCOMES, "What a check at the contact led to.")


def enum_named(name: str) -> Any:
    """The enum an attribute's declaration names (app/customer.py ``enum``)."""
    return globals()[name]
