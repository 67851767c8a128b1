"""Update actions of Types (field definitions) and Product Types (attribute definitions).

Each handler does what the action's RAML file says: ``api-specs/api/types/type/updates/Type<Action>Action.raml``
and ``api-specs/api/types/product-type/updates/ProductType<Action>Action.raml`` in
commercetools/commercetools-api-reference at the commit ``spec_actions.json`` names.
"""

from __future__ import annotations

from typing import Any

from airflow_provider_commercetools.testing.fake.action_support import (
    Handler,
    invalid_operation,
    named_index,
    reorder,
    require,
    require_list,
    set_field,
)


def _enum_type(definition: dict[str, Any], index: int, kinds: tuple[str, ...]) -> dict[str, Any]:
    """The (element) type holding the enum ``values`` of a definition: ``Enum`` or a ``Set`` of it."""
    kind = definition.get("type") or {}
    if str(kind.get("name", "")).lower() == "set":
        kind = kind.get("elementType") or {}
    if str(kind.get("name", "")).lower() not in kinds:
        raise invalid_operation(index, f"'{definition.get('name')}' is not of type {' or '.join(kinds)}.")
    return kind


# ----------------------------------------------------------------------------------------- Types


def _add_definition(field: str, prop: str, what: str) -> Handler:
    """``addFieldDefinition`` / ``addAttributeDefinition``: a new definition (its name not taken yet)."""

    def handle(entity: dict[str, Any], action: dict[str, Any], index: int) -> None:
        definition = require(action, prop, index)
        definitions = entity.setdefault(field, [])
        if any(d.get("name") == definition.get("name") for d in definitions):
            raise invalid_operation(index, f"{what} named '{definition.get('name')}' exists.")
        definitions.append(definition)

    return handle


def _remove_definition(field: str, prop: str, what: str) -> Handler:
    """``removeFieldDefinition`` / ``removeAttributeDefinition``: the definition named by ``prop``."""

    def handle(entity: dict[str, Any], action: dict[str, Any], index: int) -> None:
        definitions = entity.get(field) or []
        definitions.pop(named_index(definitions, require(action, prop, index), index, what))

    return handle


def _definition_order(field: str, prop: str, what: str) -> Handler:
    """``changeFieldDefinitionOrder`` / ``changeAttributeOrderByName``: all names, in the new order."""

    def handle(entity: dict[str, Any], action: dict[str, Any], index: int) -> None:
        order = require_list(action, prop, index)
        entity[field] = reorder(entity.get(field) or [], order, lambda d: d.get("name"), index, what)

    return handle


def _put_enum_value(values: list[dict[str, Any]], value: dict[str, Any], add: bool, index: int) -> None:
    """Add an enum value (its key not taken yet), or replace the value with its key (it must exist)."""
    position = next((i for i, v in enumerate(values) if v.get("key") == value.get("key")), None)
    if add:
        if position is not None:
            raise invalid_operation(index, f"enum key '{value.get('key')}' exists.")
        values.append(value)
    elif position is None:
        raise invalid_operation(index, f"no enum value with key '{value.get('key')}'.")
    else:
        values[position] = value


def _field(entity: dict[str, Any], action: dict[str, Any], index: int) -> dict[str, Any]:
    fields = entity.get("fieldDefinitions") or []
    return fields[named_index(fields, require(action, "fieldName", index), index, "field definition")]  # type: ignore[no-any-return]


def _type_field_value(field: str, prop: str) -> Handler:
    """``changeLabel`` (``label``) / ``changeInputHint`` (``inputHint``) of the field named ``fieldName``."""

    def handle(entity: dict[str, Any], action: dict[str, Any], index: int) -> None:
        _field(entity, action, index)[field] = require(action, prop, index)

    return handle


def _type_enum(kinds: tuple[str, ...], op: str) -> Handler:
    """``add``/``change...Label``/``change...Order`` of (Localized)Enum values of the field ``fieldName``."""

    def handle(entity: dict[str, Any], action: dict[str, Any], index: int) -> None:
        kind = _enum_type(_field(entity, action, index), index, kinds)
        values = kind.setdefault("values", [])
        if op == "order":
            keys = require_list(action, "keys", index)
            kind["values"] = reorder(values, keys, lambda v: v.get("key"), index, "enum key")
            return
        _put_enum_value(values, require(action, "value", index), op == "add", index)

    return handle


_ENUM, _LENUM = ("enum",), ("localizedenum",)

TYPES: dict[str, Handler] = {
    "addFieldDefinition": _add_definition("fieldDefinitions", "fieldDefinition", "a field definition"),
    "removeFieldDefinition": _remove_definition("fieldDefinitions", "fieldName", "field definition"),
    "changeFieldDefinitionOrder": _definition_order("fieldDefinitions", "fieldNames", "field name"),
    "changeLabel": _type_field_value("label", "label"),
    "changeInputHint": _type_field_value("inputHint", "inputHint"),
    "addEnumValue": _type_enum(_ENUM, "add"),
    "addLocalizedEnumValue": _type_enum(_LENUM, "add"),
    "changeEnumValueLabel": _type_enum(_ENUM, "label"),
    "changeLocalizedEnumValueLabel": _type_enum(_LENUM, "label"),
    "changeEnumValueOrder": _type_enum(_ENUM, "order"),
    "changeLocalizedEnumValueOrder": _type_enum(_LENUM, "order"),
}

# ---------------------------------------------------------------------------------- Product Types


def _attribute(entity: dict[str, Any], action: dict[str, Any], index: int) -> dict[str, Any]:
    attributes = entity.get("attributes") or []
    name = require(action, "attributeName", index)
    return attributes[named_index(attributes, name, index, "attribute definition")]  # type: ignore[no-any-return]


def change_attribute_name(entity: dict[str, Any], action: dict[str, Any], index: int) -> None:
    new_name = require(action, "newAttributeName", index)
    if any(a.get("name") == new_name for a in entity.get("attributes") or []):
        raise invalid_operation(index, f"an attribute definition named '{new_name}' exists.")
    _attribute(entity, action, index)["name"] = new_name


def _attribute_value(field: str, prop: str, required: bool = True) -> Handler:
    """One property of the attribute definition ``attributeName`` (``changeLabel``, ``setInputTip``, ...)."""

    def handle(entity: dict[str, Any], action: dict[str, Any], index: int) -> None:
        value = require(action, prop, index) if required else action.get(prop)
        set_field(_attribute(entity, action, index), field, value)

    return handle


def _attribute_enum(kinds: tuple[str, ...], op: str) -> Handler:
    """``add...EnumValue`` / ``change...EnumValueLabel`` / ``change...EnumValueOrder`` / ``removeEnumValues``."""

    def handle(entity: dict[str, Any], action: dict[str, Any], index: int) -> None:
        kind = _enum_type(_attribute(entity, action, index), index, kinds)
        values = kind.setdefault("values", [])
        if op == "order":  # the full values in the new order
            order = [v.get("key") for v in require_list(action, "values", index)]
            kind["values"] = reorder(values, order, lambda v: v.get("key"), index, "enum key")
            return
        if op == "remove":
            keys = require_list(action, "keys", index)
            missing = [k for k in keys if k not in [v.get("key") for v in values]]
            if missing:
                raise invalid_operation(index, f"no enum values with keys {missing}.")
            kind["values"] = [v for v in values if v.get("key") not in keys]
            return
        _put_enum_value(values, require(action, "value" if op == "add" else "newValue", index), op == "add", index)

    return handle


def change_enum_key(entity: dict[str, Any], action: dict[str, Any], index: int) -> None:
    kind = _enum_type(_attribute(entity, action, index), index, ("enum", "lenum"))
    key, new_key = require(action, "key", index), require(action, "newKey", index)
    values = kind.get("values") or []
    if any(v.get("key") == new_key for v in values):
        raise invalid_operation(index, f"enum key '{new_key}' exists.")
    value = values[named_index(values, key, index, "enum value", field="key")]
    value["key"] = new_key


_PLAIN, _LOCALIZED = ("enum",), ("lenum",)

PRODUCT_TYPES: dict[str, Handler] = {
    "addAttributeDefinition": _add_definition("attributes", "attribute", "an attribute definition"),
    "removeAttributeDefinition": _remove_definition("attributes", "name", "attribute definition"),
    "changeAttributeOrderByName": _definition_order("attributes", "attributeNames", "attribute name"),
    "changeAttributeName": change_attribute_name,
    "changeLabel": _attribute_value("label", "label"),
    "setInputTip": _attribute_value("inputTip", "inputTip", required=False),
    "changeIsSearchable": _attribute_value("isSearchable", "isSearchable"),
    "changeInputHint": _attribute_value("inputHint", "newValue"),
    "changeAttributeConstraint": _attribute_value("attributeConstraint", "newValue"),
    "addPlainEnumValue": _attribute_enum(_PLAIN, "add"),
    "addLocalizedEnumValue": _attribute_enum(_LOCALIZED, "add"),
    "changePlainEnumValueLabel": _attribute_enum(_PLAIN, "label"),
    "changeLocalizedEnumValueLabel": _attribute_enum(_LOCALIZED, "label"),
    "changePlainEnumValueOrder": _attribute_enum(_PLAIN, "order"),
    "changeLocalizedEnumValueOrder": _attribute_enum(_LOCALIZED, "order"),
    "removeEnumValues": _attribute_enum(_PLAIN + _LOCALIZED, "remove"),
    "changeEnumKey": change_enum_key,
}
