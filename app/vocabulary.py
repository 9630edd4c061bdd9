"""The domain's closed vocabularies (DOMAIN.md), shared by loaders, resolution and the API.

Rules about these values (thresholds, routing, entitlements) are configuration in
``app/config/rules.toml``; the words themselves are fixed here.
"""

from __future__ import annotations

CERT_TYPES = ("resident_id", "credit_code", "org_code", "passport", "other", "blank")
SEGMENTS = ("individual", "household", "small_business", "enterprise", "government")
INDIVIDUAL = SEGMENTS[0]
# Small businesses are organisations, on the 政企 side (DOMAIN.md §2, §3).
ORGANISATION_SEGMENTS = ("small_business", "enterprise", "government")
# A member of a customer of this segment belongs to that household (家庭) rather than to an organisation.
HOUSEHOLD_SEGMENT = "household"
ORG_CLASSES = ("A", "B", "C", "D")
GENDERS = ("M", "F")
VIP_CARDS = ("diamond", "gold", "silver")
ACCOUNT_TYPES = ("prepaid", "postpaid")
ACCOUNT_STATUSES = ("active", "suspended", "closed")
# A payphone (公话) belongs to its custodian organisation (DOMAIN.md §3.6), named by custodian_source_id.
PRODUCT_TYPES = ("mobile", "fixed", "broadband", "iptv", "payphone")
SUBSCRIPTION_STATUSES = ("active", "suspended", "cancelled")
CHANNELS = (
    "account_manager",
    "phone_account_manager",
    "agent",
    "web_hall",
    "service_hall",
    "hotline",
    "group_hotline",
    "experience_hall",
    "operations_centre",
    "sms",
    "email",
)
CONTACT_KINDS = (
    "purchase",
    "renewal",
    "change",
    "cancellation",
    "query",
    "complaint",
    "consultation",
    "fault_report",
    "care_visit",
    "retention",
)
CONTACT_OUTCOMES = ("resolved", "pending", "escalated", "no_answer")
# How a contact was made and who started it, so a care visit and a care call are told apart (DOMAIN.md §6).
CONTACT_MODES = ("visit", "call", "sms", "email", "in_person")
CONTACT_DIRECTIONS = ("inbound", "outbound")
# Why we touched the customer (DOMAIN.md §9): service (a reply, SLA work) is never held back by the
# no-repeated-disturbance rules; marketing is (app/contact_permission.py).
CONTACT_PURPOSES = ("service", "marketing")
# A survey's answer after a contact (满意度回访), best first.
SATISFACTION_RESULTS = ("very_satisfied", "satisfied", "neutral", "dissatisfied", "very_dissatisfied")
# The no-repeated-disturbance rules a marketing touch can break (rules.toml [contact_rules]).
CONTACT_RULES = (
    "daily_cap",
    "seven_day_cap",
    "thirty_day_cap",
    "quiet_hours",
    "opted_out",
    "no_consent",
    "planned_by_other_channel",
)
# What shows a consent to marketing or its withdrawal was given (DOMAIN.md §9).
CONSENT_EVIDENCE = ("signed_form", "recorded_call", "online", "sms_reply")
# A touch on the unified contact work list (统一客户接触派单): planned, then done (its contact recorded)
# or cancelled.
CONTACT_PLAN_STATUSES = ("planned", "done", "cancelled")
# Work with a service time limit (DOMAIN.md §6, §7): a case is opened, its events move its clocks.
CASE_KINDS = ("consultation", "complaint", "phone_business", "emergency", "churn_warning")
# What happened to a case. answered: a consultation's answer; promised: a new promise when the answer
# is late; solved: the effective solution or the business done; final_answer: a complaint's final
# answer; customer_told: the customer was told the result; paused/resumed: the clock of the work (not of
# a reply the customer waits for) stops for a reason; contacted/retained/lost: a churn warning's steps.
CASE_EVENTS = (
    "answered",
    "promised",
    "solved",
    "final_answer",
    "customer_told",
    "paused",
    "resumed",
    "contacted",
    "retained",
    "lost",
    "closed",
)
# The VIP care schedule's work (DOMAIN.md §6; app/care_schedule.py) and the lifecycle stages (§7).
CARE_ITEM_KINDS = (
    "first_visit",
    "visit",
    "call",
    "birthday_reminder",
    "birthday_call",
    "new_service_notice",
    "trial_end",
    "retry_unreachable",
)
LIFECYCLE_STAGES = ("joining", "growth", "maturity", "decline")
# An employee's due work (app/services/due_work.py): care work, or a case with work owed.
DUE_WORK_KINDS = (*CARE_ITEM_KINDS, "case")
EMPLOYEE_ROLES = ("account_manager", "phone_account_manager", "agent", "hall_staff", "hotline_agent", "operations")
# A lead (商机线索: the need is vague) or an opportunity (商机: the customer named a product), and
# where its hand-off between channels (商机转移) has got to.
OPPORTUNITY_KINDS = ("lead", "opportunity")
OPPORTUNITY_STAGES = ("captured", "handed_over", "claimed", "returned", "won", "lost")
# The steps of an opportunity's hand-off (app/services/opportunities.py), each an event with who, when
# and why: routed is the system's first transfer, dispatched the operations centre's second one.
OPPORTUNITY_EVENT_KINDS = ("captured", "routed", "claimed", "returned", "dispatched", "won", "lost")
# The routing rules (rules.toml [opportunities] routing), tried in their configured order.
OPPORTUNITY_ROUTES = ("account_manager", "core_agent", "operations_centre")
# Why an open opportunity is on the operations centre's board as escalated (app/opportunity_routing.py).
OPPORTUNITY_ESCALATIONS = ("unclaimed", "stalled")
RECORD_KINDS = (
    "employees",
    "leaves",
    "customers",
    "accounts",
    "subscriptions",
    "bills",
    "organisation_members",
    "contacts",
    "opportunities",
    "points",
    "cases",
    "case_events",
)
# Public customers (公众客户) and organisation customers (政企客户); rules.toml maps segments to them.
CUSTOMER_GROUPS = ("public", "organisation")
# A customer id that was merged into another answers the survivor; one left without records is retired.
CUSTOMER_STATUSES = ("active", "merged", "retired")
# A: the primary account manager; B: the backup, acting only while A is on leave (DOMAIN.md section 5).
MANAGER_ROLES = ("A", "B")
# A suspected duplicate (疑似重复) in the review queue, and what a steward made of it.
CANDIDATE_STATUSES = ("pending", "approved", "rejected")
REVIEW_SORTS = ("score", "age")
# What resolution would do with a record against a customer, and what became of a submitted record.
MATCH_DECISIONS = ("merge", "review", "apart")
SUBMISSION_DECISIONS = ("merge", "review", "new", "unchanged", "moved_out")
# Merge events: a merge (undone by an unmerge, which marks it) or a split.
MERGE_EVENT_KINDS = ("merge", "split")
# Steward decisions on two source records (app/resolution/constraints.py) and how they end.
DECISION_KINDS = ("must", "cannot")
DECISION_STATUSES = ("standing", "undone", "suspended", "lapsed", "superseded")
# Identity confirmed at the contact (接触归并, DOMAIN.md §3 rule 2; app/contact_confirmation.py): the check
# a pending duplicate asks of the channel, the service-password check's result as the channel gives it,
# what the certificate read showed against the candidate's two records (the number itself is never
# kept), and what became of the submission.
IDENTITY_CHECKS = (
    "certificate_present",
    "certificate_both",
    "certificate_present_and_password",
    "certificate_both_and_password",
)
PASSWORD_CHECKS = ("passed", "failed", "not_checked")
CERTIFICATE_RESULTS = ("matches_both", "matches_one", "side_has_no_certificate", "matches_neither")
CONTACT_CHECK_OUTCOMES = ("approved", "rejected", "refused")
