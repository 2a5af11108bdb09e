"""Null where the API sends null, judged by an independent OpenAPI 3.0 validator.

openapi-schema-validator's OAS30Validator reads `nullable` as OpenAPI 3.0.3
states it: it admits `null` for the `type` beside it, and every other keyword
(`allOf`, `anyOf`, `enum`, `$ref`) still applies to `null`. This script holds
the document's Lead example, with each member the API may send as null set to
null, against the document read that way; and shows that the validator is
strict, by refusing the lax form `nullable: true` + `allOf: [$ref]` that an
earlier version of the document used.
"""
import copy
import sys

import yaml
from openapi_schema_validator import OAS30Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

MAY_BE_NULL = [
    "custom_name", "lead_value", "lead_currency", "position", "notes",
    "assigned_agent", "company", "conversation_id",
]
NEVER_NULL = ["id", "status", "created_at", "updated_at", "custom_attributes"]


def validator(document, schema):
    registry = Registry().with_resource(
        "urn:doc", Resource.from_contents(document, default_specification=DRAFT4)
    )
    rooted = dict(schema, components=document["components"])
    return OAS30Validator(rooted, registry=registry)


def main(path):
    with open(path) as f:
        document = yaml.safe_load(f)
    lead = document["components"]["schemas"]["Lead"]
    check = validator(document, lead)
    example = lead["example"]
    failures = []
    for member in MAY_BE_NULL:
        instance = dict(example, **{member: None})
        errors = [e.message for e in check.iter_errors(instance)]
        if errors:
            failures.append(f"Lead.{member} = null is refused: {errors}")
    for member in NEVER_NULL:
        if check.is_valid(dict(example, **{member: None})):
            failures.append(f"Lead.{member} = null is accepted, but the API never sends it")
    # The validator is strict: the lax form refuses null.
    lax = copy.deepcopy(lead)
    lax["properties"]["assigned_agent"] = {
        "type": "object",
        "nullable": True,
        "allOf": [{"$ref": "#/components/schemas/Agent"}],
    }
    if validator(document, lax).is_valid(dict(example, assigned_agent=None)):
        failures.append("the validator accepts null through `nullable` + `allOf`: it is not strict")
    for failure in failures:
        print(f"  {failure}", file=sys.stderr)
    if failures:
        sys.exit(1)
    print(f"  {len(MAY_BE_NULL)} nullable members accept null, {len(NEVER_NULL)} others refuse it (OAS30Validator, strict)")


if __name__ == "__main__":
    main(sys.argv[1])
