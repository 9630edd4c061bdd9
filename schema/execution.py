"""Execution of the plain leaf fields of a view without graphql-core's per-field machinery.

A full customer view is dozens of fields that only read an attribute and serialise a scalar
(ids, names, channels, times). graphql-core builds a resolve-info object, looks for arguments,
calls strawberry's default resolver and dispatches the completion for each one of them: about
half of a view's Python time. For a field that strawberry itself treats as basic (no resolver,
no field extensions), without arguments, whose type is a scalar, this reads the attribute and
serialises it directly (unless an extension hooks every field's resolution). Anything else, or anything unusual on the way (a missing attribute, a
null in a non-null field, a value the scalar refuses), goes the standard way, which then
reports the error as graphql-core would.
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLField, GraphQLNonNull, GraphQLObjectType, GraphQLScalarType
from graphql.pyutils import Undefined
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

_PLAN = "c360-leaf-plan"
_NO_PLAN = ()


def _plan(field: GraphQLField) -> tuple[str, Any, bool] | tuple[()]:
    """(attribute, serialise, nullable) for a plain scalar field, else empty; cached on the field."""
    plan = field.extensions.get(_PLAN)
    if plan is None:
        plan = _NO_PLAN
        definition = field.extensions.get("strawberry-definition")
        nullable = not isinstance(field.type, GraphQLNonNull)
        scalar = field.type if nullable else field.type.of_type
        if (definition is not None and getattr(field.resolve, "_is_default", False) and not field.args
                and isinstance(scalar, GraphQLScalarType) and definition.default_resolver is getattr):
            plan = (definition.python_name, scalar.serialize, nullable)
        field.extensions[_PLAN] = plan
    return plan


class LeanExecutionContext(StrawberryGraphQLCoreExecutionContext):
    def execute_field(self, parent_type: GraphQLObjectType, source: Any, field_details_list: Any, path: Any,
                      position_context: Any) -> Any:
        node = field_details_list[0].node
        middleware = self.middleware_manager
        if not node.arguments and (middleware is None or not middleware.middlewares):
            field = self.schema.get_field(parent_type, node.name.value)
            plan = _plan(field) if field is not None else _NO_PLAN
            if plan:
                attribute, serialise, nullable = plan
                value = getattr(source, attribute, None)
                if value is None:
                    if nullable and hasattr(source, attribute):
                        return None
                else:
                    try:
                        result = serialise(value)
                    except Exception:  # the standard way reports it
                        result = None
                    if result is not None and result is not Undefined:
                        return result
        return super().execute_field(parent_type, source, field_details_list, path, position_context)
