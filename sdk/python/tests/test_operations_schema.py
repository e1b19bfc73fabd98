"""Every operation the SDK sends validates against the hub's published schema.

When the hub renames or removes a field the SDK uses, this fails here, not for users.
The models are checked too: each field they read is selected by the operations.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from evenly import _compliance_models, _models, _operations
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLObjectType,
    GraphQLSchema,
    build_schema,
    parse,
    validate,
)
from pydantic import BaseModel

SCHEMA = Path(__file__).resolve().parents[3] / "schema" / "schema.graphql"


@pytest.fixture(scope="module")
def schema() -> GraphQLSchema:
    return build_schema(SCHEMA.read_text())


@pytest.mark.parametrize("name", sorted(_operations.OPERATIONS))
def test_operation_validates_against_the_schema(schema: GraphQLSchema, name: str) -> None:
    errors = validate(schema, parse(_operations.OPERATIONS[name]))
    assert not errors, f"{name}: {[e.message for e in errors]}"


def test_subscriptions_validate_once_the_hub_has_them(schema: GraphQLSchema) -> None:
    if schema.subscription_type is None:
        pytest.skip("this schema has no subscriptions yet")
    for name, document in _operations.SUBSCRIPTIONS.items():
        errors = validate(schema, parse(document))
        assert not errors, f"{name}: {[e.message for e in errors]}"


def test_every_operation_is_listed() -> None:
    assert {"PLACE_ACCOUNT", "PLACE_ACCOUNTS", "EVENTS", "ACCOUNTS"} <= set(_operations.OPERATIONS)


@pytest.mark.parametrize(
    ("model", "type_name"),
    [
        (_models.Account, "Account"),
        (_models.Customer, "Customer"),
        (_models.Event, "Event"),
        (_models.WebhookEndpoint, "WebhookEndpoint"),
        (_models.WebhookDelivery, "WebhookDelivery"),
        (_models.WebhookAttempt, "WebhookAttempt"),
        (_models.Organization, "Organization"),
        (_models.Viewer, "Viewer"),
        (_models.Money, "Money"),
        (_models.NewAccount, "PlaceAccountInput"),
        (_models.NewCustomer, "CustomerInput"),
        (_models.ContactAttempt, "ContactAttempt"),
        (_models.PaymentPlan, "PaymentPlan"),
        (_models.Installment, "Installment"),
        (_models.Payment, "Payment"),
        (_models.Dispute, "Dispute"),
        (_models.Hold, "Hold"),
        (_models.Rehabilitation, "Rehabilitation"),
        (_models.AgencyPerformance, "AgencyPerformance"),
        (_models.PortfolioStatus, "PortfolioStatus"),
        (_models.StatusCount, "StatusCount"),
        (_models.ContactAttemptResult, "LogContactAttemptPayload"),
        (_models.PaymentPlanResult, "CreatePaymentPlanPayload"),
        (_models.PaymentResult, "PaymentPayload"),
        (_models.DisputeResult, "DisputePayload"),
        (_models.HoldResult, "HoldPayload"),
        (_compliance_models.ContactPermission, "ContactPermission"),
        (_compliance_models.ContactRefusal, "ContactRefusal"),
        (_compliance_models.RulePackRef, "RulePackRef"),
        (_compliance_models.ComplianceReportEntry, "ComplianceReportEntry"),
        (_compliance_models.RulePack, "CompliancePack"),
        (_compliance_models.ComplianceRule, "ComplianceRule"),
        (_compliance_models.ComplianceSource, "ComplianceSource"),
        (_compliance_models.ConsentResult, "SetChannelConsentPayload"),
    ],
)
def test_model_fields_exist_in_the_schema(
    schema: GraphQLSchema, model: type[BaseModel], type_name: str
) -> None:
    graphql_type = schema.get_type(type_name)
    assert isinstance(graphql_type, GraphQLObjectType | GraphQLInputObjectType), type_name
    for name, info in model.model_fields.items():
        alias = info.alias or name
        assert alias in graphql_type.fields, f"{type_name} has no field {alias}"


def test_enums_match_the_schema(schema: GraphQLSchema) -> None:
    for enum, type_name in [
        (_models.AccountStatus, "AccountStatus"),
        (_models.Product, "Product"),
        (_models.DeliveryStatus, "DeliveryStatus"),
        (_models.OrganizationKind, "OrganizationKind"),
        (_models.ContactChannel, "ContactChannel"),
        (_models.ContactDirection, "ContactDirection"),
        (_models.ContactOutcome, "ContactOutcome"),
        (_models.Cadence, "Cadence"),
        (_models.PlanStatus, "PlanStatus"),
        (_models.PaymentMethod, "PaymentMethod"),
        (_models.PaymentChannel, "PaymentChannel"),
        (_models.PaymentStatus, "PaymentStatus"),
        (_models.DisputeReason, "DisputeReason"),
        (_models.DisputeOutcome, "DisputeOutcome"),
        (_models.HoldReason, "HoldReason"),
        (_models.CloseReason, "CloseReason"),
    ]:
        graphql_enum = schema.get_type(type_name)
        assert isinstance(graphql_enum, GraphQLEnumType)
        assert {e.value for e in enum} == set(graphql_enum.values)


def test_operations_select_what_the_models_read() -> None:
    selected = set(re.findall(r"[A-Za-z]+", _operations.ACCOUNT))
    for info in _models.Account.model_fields.values():
        assert info.alias in selected
