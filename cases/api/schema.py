"""drf-spectacular hooks for /api/v1/."""

from __future__ import annotations


def forbid_unknown_request_fields(result, generator, request, public):
    """Request objects refuse keys they do not declare (cases.api.serializers.StrictSerializer,
    cases.intake.facts): say so in the schema, so generated clients and tests know it."""
    schemas = result.get("components", {}).get("schemas", {})
    for name, component in schemas.items():
        if name.endswith("Request") and component.get("type") == "object":
            component["additionalProperties"] = False
    return result


def double_payment_channels():
    """The channel fact of parking_double_payment (an enum name of its own in the schema)."""
    from cases.playbooks.parking_double_payment import CHANNELS

    return list(CHANNELS.items())
