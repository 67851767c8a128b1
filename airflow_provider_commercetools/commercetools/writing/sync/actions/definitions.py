"""Types (custom field definitions) and product types (attribute definitions), with their enum values.

Both are lists of named definitions with labels and enum values; they differ in names and action
shapes (api-specs/api/types/type/updates/ and api-specs/api/types/product-type/updates/), so one
differ walks both, told the names by a :class:`_Flavour`. Order of the actions: definitions the
draft drops are removed, new ones added (at the end), then the order set to the draft's when it
differs; per kept definition: label and the other changeable properties, enum values added (at the
end), then their order, then changed labels.

Changes no update action can make are refused (:class:`RefusedChange`) rather than made by removing
and re-adding the definition (which drops the values of every resource using it): a definition's
type, ``required``/``isRequired``, ``level``, ``attributeConstraint`` other than to ``None``, a
Type's ``resourceTypeIds`` and an enum value a Type's draft drops (Types cannot remove one).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from airflow_provider_commercetools.commercetools.writing.compare import is_empty, sets_equal, values_equal
from airflow_provider_commercetools.commercetools.writing.sync.actions.fields import Field, field_actions, wanted
from airflow_provider_commercetools.commercetools.writing.sync.types import BuildContext, RefusedChange, SyncType

Actions = list[dict[str, Any]]
Groups = frozenset[str] | None


@dataclass(frozen=True)
class _Flavour:
    resource_type: str
    list_field: str  # "fieldDefinitions" | "attributes"
    name_param: str  # "fieldName" | "attributeName"
    add: str
    add_param: str
    remove: str
    remove_param: str
    order: str
    order_param: str
    required: str
    enum: str  # the enum's type name
    lenum: str
    set_name: str
    add_enum: tuple[str, str]  # plain, localized
    order_enum: tuple[str, str]
    order_enum_param: str  # "keys" | "values"
    label_enum: tuple[str, str]
    label_enum_param: str  # "value" | "newValue"
    remove_enum: str | None
    # property, action, parameter, default
    properties: tuple[tuple[str, str, str, Any], ...]
    fixed: tuple[tuple[str, Any], ...]  # properties no action changes, with their defaults


TYPE = _Flavour(
    resource_type="types",
    list_field="fieldDefinitions",
    name_param="fieldName",
    add="addFieldDefinition",
    add_param="fieldDefinition",
    remove="removeFieldDefinition",
    remove_param="fieldName",
    order="changeFieldDefinitionOrder",
    order_param="fieldNames",
    required="required",
    enum="Enum",
    lenum="LocalizedEnum",
    set_name="Set",
    add_enum=("addEnumValue", "addLocalizedEnumValue"),
    order_enum=("changeEnumValueOrder", "changeLocalizedEnumValueOrder"),
    order_enum_param="keys",
    label_enum=("changeEnumValueLabel", "changeLocalizedEnumValueLabel"),
    label_enum_param="value",
    remove_enum=None,
    properties=(("label", "changeLabel", "label", None), ("inputHint", "changeInputHint", "inputHint", "SingleLine")),
    fixed=(("required", False),),
)

PRODUCT_TYPE = _Flavour(
    resource_type="product-types",
    list_field="attributes",
    name_param="attributeName",
    add="addAttributeDefinition",
    add_param="attribute",
    remove="removeAttributeDefinition",
    remove_param="name",
    order="changeAttributeOrderByName",
    order_param="attributeNames",
    required="isRequired",
    enum="enum",
    lenum="lenum",
    set_name="set",
    add_enum=("addPlainEnumValue", "addLocalizedEnumValue"),
    order_enum=("changePlainEnumValueOrder", "changeLocalizedEnumValueOrder"),
    order_enum_param="values",
    label_enum=("changePlainEnumValueLabel", "changeLocalizedEnumValueLabel"),
    label_enum_param="newValue",
    remove_enum="removeEnumValues",
    properties=(
        ("label", "changeLabel", "label", None),
        ("inputTip", "setInputTip", "inputTip", None),
        ("inputHint", "changeInputHint", "newValue", "SingleLine"),
        ("isSearchable", "changeIsSearchable", "isSearchable", True),
        ("attributeConstraint", "changeAttributeConstraint", "newValue", "None"),
    ),
    fixed=(("isRequired", False), ("level", "Variant")),
)


def _enum_of(field_type: Mapping[str, Any] | None, flavour: _Flavour) -> Mapping[str, Any] | None:
    """The enum type of a definition (directly or as a set's element), None if it is not one."""
    while field_type and field_type.get("name") == flavour.set_name:
        field_type = field_type.get("elementType")
    if field_type and field_type.get("name") in (flavour.enum, flavour.lenum):
        return field_type
    return None


def _without_values(field_type: Any, flavour: _Flavour) -> Any:
    """A definition's type with its enum values left out (they have actions of their own)."""
    if not isinstance(field_type, Mapping):
        return field_type
    out = {k: _without_values(v, flavour) if k == "elementType" else v for k, v in field_type.items()}
    if out.get("name") in (flavour.enum, flavour.lenum):
        out.pop("values", None)
    return out


def _by_name(items: list[Mapping[str, Any]], what: str, flavour: _Flavour) -> dict[str, Mapping[str, Any]]:
    named: dict[str, Mapping[str, Any]] = {}
    for index, item in enumerate(items):
        name = item.get("name")
        if not name or name in named:
            problem = "has no name." if not name else f"repeats the name {name!r}."
            raise RefusedChange(flavour.resource_type, f"{what}[{index}]", problem, "Give each a unique name.")
        named[str(name)] = item
    return named


def _enum_actions(
    name: str, want: Mapping[str, Any], have: Mapping[str, Any], flavour: _Flavour, ctx: BuildContext
) -> Actions:
    localized = want.get("name") == flavour.lenum
    want_values = _by_name_key(want.get("values") or [], flavour, name)
    have_values = _by_name_key(have.get("values") or [], flavour, name)
    ref = {flavour.name_param: name}
    actions: Actions = []
    gone = [k for k in have_values if k not in want_values]
    if gone:
        if flavour.remove_enum is None:
            raise RefusedChange(
                flavour.resource_type,
                f"{flavour.list_field}[{name!r}].values",
                f"the enum values {gone} are not in the draft, and a Type's enum values cannot be removed.",
                "Keep them in the draft (a new Type is needed to drop them).",
            )
        actions.append({"action": flavour.remove_enum, **ref, "keys": gone})
    added = [k for k in want_values if k not in have_values]
    for key in added:
        actions.append({"action": flavour.add_enum[localized], **ref, "value": dict(want_values[key])})
    resulting = [k for k in have_values if k in want_values] + added
    if resulting != list(want_values):
        values: list[Any] = list(want_values)
        if flavour.order_enum_param == "values":
            values = [dict(want_values[k]) for k in want_values]
        actions.append({"action": flavour.order_enum[localized], **ref, flavour.order_enum_param: values})
    for key, value in want_values.items():
        if key in have_values and not values_equal(value.get("label"), have_values[key].get("label"), ctx):
            actions.append({"action": flavour.label_enum[localized], **ref, flavour.label_enum_param: dict(value)})
    return actions


def _by_name_key(values: list[Mapping[str, Any]], flavour: _Flavour, name: str) -> dict[str, Mapping[str, Any]]:
    keyed: dict[str, Mapping[str, Any]] = {}
    for value in values:
        key = value.get("key")
        if key is None or key in keyed:
            raise RefusedChange(
                flavour.resource_type,
                f"{flavour.list_field}[{name!r}].values",
                f"an enum value has no key or repeats one ({key!r}).",
                "Give each enum value a unique key.",
            )
        keyed[str(key)] = value
    return keyed


def _definition_actions(
    name: str, want: Mapping[str, Any], have: Mapping[str, Any], flavour: _Flavour, ctx: BuildContext
) -> Actions:
    where = f"{flavour.list_field}[{name!r}]"
    if not values_equal(_without_values(want.get("type"), flavour), _without_values(have.get("type"), flavour), ctx):
        raise RefusedChange(
            flavour.resource_type,
            f"{where}.type",
            f"the type changes from {have.get('type')!r} to {want.get('type')!r}; no update action changes it.",
            "Use a new name for the new type (removing and re-adding the definition drops every value it holds).",
        )
    for prop, default in flavour.fixed:
        if not values_equal(want.get(prop, default), have.get(prop, default), ctx):
            raise RefusedChange(
                flavour.resource_type,
                f"{where}.{prop}",
                f"changes from {have.get(prop, default)!r} to {want.get(prop, default)!r}; "
                "no update action changes it.",
                "Keep the current value, or define a new attribute/field under another name.",
            )
    actions: Actions = []
    ref = {flavour.name_param: name}
    for prop, action, param, default in flavour.properties:
        want_value = want.get(prop, default) if want.get(prop) is not None else default
        have_value = have.get(prop, default) if have.get(prop) is not None else default
        if values_equal(want_value, have_value, ctx):
            continue
        if prop == "attributeConstraint" and want_value != "None":
            raise RefusedChange(
                flavour.resource_type,
                f"{where}.attributeConstraint",
                f"changes from {have_value!r} to {want_value!r}; commercetools only changes a constraint to 'None'.",
                "Keep the current constraint, or define a new attribute under another name.",
            )
        change: dict[str, Any] = {"action": action, **ref}
        if want_value is not None:
            change[param] = want_value
        actions.append(change)
    want_enum, have_enum = _enum_of(want.get("type"), flavour), _enum_of(have.get("type"), flavour)
    if want_enum is not None and have_enum is not None:
        actions += _enum_actions(name, want_enum, have_enum, flavour, ctx)
    return actions


def definitions_actions(
    draft_list: list[Mapping[str, Any]] | None,
    current_list: list[Mapping[str, Any]] | None,
    flavour: _Flavour,
    ctx: BuildContext,
) -> Actions:
    """The actions that make a list of field/attribute definitions match the draft's."""
    want = _by_name(list(draft_list or []), flavour.list_field, flavour)
    have = _by_name(list(current_list or []), flavour.list_field, flavour)
    actions: Actions = [{"action": flavour.remove, flavour.remove_param: n} for n in have if n not in want]
    added = [n for n in want if n not in have]
    actions += [{"action": flavour.add, flavour.add_param: dict(want[n])} for n in added]
    resulting = [n for n in have if n in want] + added
    if resulting != list(want):
        actions.append({"action": flavour.order, flavour.order_param: list(want)})
    for name in want:
        if name in have:
            actions += _definition_actions(name, want[name], have[name], flavour, ctx)
    return actions


TYPE_FIELDS = (Field("name", "changeName", unset=False), Field("description", "setDescription"))


def _type_actions(draft: dict[str, Any], current: dict[str, Any], ctx: BuildContext, groups: Groups) -> Actions:
    if not is_empty(draft.get("resourceTypeIds")) and not sets_equal(
        draft.get("resourceTypeIds"), current.get("resourceTypeIds"), ctx
    ):
        raise RefusedChange(
            "types",
            "resourceTypeIds",
            f"changes from {current.get('resourceTypeIds')} to {draft.get('resourceTypeIds')}; no update action "
            "changes it.",
            "Create a Type with another key for the other resource types.",
        )
    actions = field_actions(TYPE_FIELDS, draft, current, ctx, groups)
    if wanted(groups, "fieldDefinitions"):
        actions += definitions_actions(draft.get("fieldDefinitions"), current.get("fieldDefinitions"), TYPE, ctx)
    return actions


TYPES = SyncType(
    name="types",
    entity="types",
    match=("key",),
    references={},
    field_groups=("name", "description", "fieldDefinitions"),
    build_actions=_type_actions,
)

# ProductType.description is required: changeDescription cannot remove it.
PRODUCT_TYPE_FIELDS = (Field("name", "changeName", unset=False), Field("description", "changeDescription", unset=False))


def _product_type_actions(draft: dict[str, Any], current: dict[str, Any], ctx: BuildContext, groups: Groups) -> Actions:
    actions = field_actions(PRODUCT_TYPE_FIELDS, draft, current, ctx, groups)
    if wanted(groups, "attributes"):
        actions += definitions_actions(draft.get("attributes"), current.get("attributes"), PRODUCT_TYPE, ctx)
    return actions


PRODUCT_TYPES = SyncType(
    name="product-types",
    entity="product-types",
    match=("key",),
    # nested attributes and product-type references name other product types
    references={"attributes.*.type.typeReference": "product-type"},
    field_groups=("name", "description", "attributes"),
    build_actions=_product_type_actions,
)
