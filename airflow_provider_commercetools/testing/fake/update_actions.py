"""Update actions in the fake: applied generically by their name (``set``/``change``/``add``/``remove`` + field).

Custom fields (``setCustomType``, ``setCustomField``) and inventory quantities are modelled; other
actions (publish, recalculate, ...) are accepted without a change.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from airflow_provider_commercetools.testing.fake.http import bad_request
from airflow_provider_commercetools.testing.fake.store import SYSTEM_FIELDS, copy_json


def _lower_camel(name: str) -> str:
    return name[:1].lower() + name[1:]


def _first_value(action: Mapping[str, Any], name: str) -> tuple[bool, Any]:
    if name in action:
        return True, action[name]
    for k, v in action.items():
        if k != "action":
            return True, v
    return False, None


_INVENTORY_ACTIONS = frozenset({"changeQuantity", "addQuantity", "removeQuantity"})


def apply_action(entity: dict[str, Any], action: Any, index: int) -> None:
    """Apply one update action generically (mutates ``entity``, a private copy)."""
    if not isinstance(action, dict) or not isinstance(action.get("action"), str) or not action["action"]:
        raise bad_request("InvalidInput", f"actions[{index}]: an update action needs an 'action' name.")
    name: str = action["action"]
    if name in _INVENTORY_ACTIONS and "quantity" in action:
        # Inventory entries keep their stock in quantityOnStock (and availableQuantity).
        quantity = action["quantity"]
        if not isinstance(quantity, int):
            raise bad_request("InvalidInput", f"actions[{index}]: '{name}' needs an integer 'quantity'.")
        current = entity.get("quantityOnStock", 0)
        stock = {"changeQuantity": quantity, "addQuantity": current + quantity, "removeQuantity": current - quantity}
        entity["quantityOnStock"] = entity["availableQuantity"] = stock[name]
        return
    if name == "setCustomType":
        if action.get("type") is None:
            entity.pop("custom", None)
        else:
            entity["custom"] = {"type": action["type"], "fields": copy_json(action.get("fields") or {})}
        return
    if name == "setCustomField":
        field_name = action.get("name")
        if not isinstance(field_name, str):
            raise bad_request("InvalidInput", f"actions[{index}]: setCustomField needs a 'name'.")
        custom = entity.setdefault("custom", {"fields": {}})
        fields = custom.setdefault("fields", {})
        if action.get("value") is None:
            fields.pop(field_name, None)
        else:
            fields[field_name] = copy_json(action["value"])
        return
    for prefix in ("set", "change", "add", "remove"):
        if name.startswith(prefix) and len(name) > len(prefix):
            target = _lower_camel(name[len(prefix) :])
            break
    else:
        return  # an action this fake does not model (publish, recalculate, ...): accepted, no change
    if target in SYSTEM_FIELDS:
        raise bad_request("InvalidOperation", f"actions[{index}]: '{name}' cannot change '{target}'.")
    has_value, value = _first_value(action, target)
    value = copy_json(value)
    if prefix == "set":
        if not has_value or value is None:
            entity.pop(target, None)
        else:
            entity[target] = value
    elif prefix == "change":
        if not has_value:
            raise bad_request("InvalidInput", f"actions[{index}]: '{name}' needs a value for '{target}'.")
        entity[target] = value
    elif prefix == "add":
        current = entity.get(target)
        is_num = isinstance(value, (int, float)) and not isinstance(value, bool)
        if is_num and (current is None or (isinstance(current, (int, float)) and not isinstance(current, bool))):
            entity[target] = (current or 0) + value
        elif isinstance(current, list):
            current.append(value)
        else:
            plural = entity.setdefault(target + "s", [])
            if isinstance(plural, list):
                plural.append(value)
    else:  # remove
        current = entity.get(target)
        is_num = isinstance(value, (int, float)) and not isinstance(value, bool)
        if is_num and isinstance(current, (int, float)) and not isinstance(current, bool):
            entity[target] = current - value
        else:
            items = current if isinstance(current, list) else entity.get(target + "s")
            if isinstance(items, list):
                items[:] = [it for it in items if it != value and not (isinstance(it, dict) and it.get("id") == value)]
