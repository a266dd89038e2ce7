"""Small builders for promotion documents in tests (plain dicts, as a user would write them)."""

from __future__ import annotations

from typing import Any

from tianping.promotion import service
from tianping.promotion.model import Cart, RuleSet

FORMAT = "tianping-promotions/1"
ALL: dict[str, Any] = {"all": True}


def th(
    ident: str,
    tiers: list[tuple[str, str]],
    *,
    layer: str = "shop",
    scope: dict[str, Any] | None = None,
    basis: str | None = "current",
    repeat: bool | None = False,
    **extra: Any,
) -> dict[str, Any]:
    """A threshold_off offer; ``basis=None`` / ``repeat=None`` leave the field out."""
    offer: dict[str, Any] = {
        "id": ident,
        "layer": layer,
        "type": "threshold_off",
        "scope": scope or ALL,
        "tiers": [{"threshold": t, "discount": d} for t, d in tiers],
    }
    if repeat is not None:
        offer["repeat"] = repeat
    if basis is not None:
        offer["basis"] = basis
    offer.update(extra)
    return offer


def item_offer(ident: str, kind: str, scope: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"id": ident, "layer": "item", "type": kind, "scope": scope, **fields}


def doc(
    promotions: list[dict[str, Any]] | None = None,
    coupons: list[dict[str, Any]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    document: dict[str, Any] = {"format": FORMAT, "promotions": promotions or [], "coupons": coupons or []}
    document.update(extra)
    return document


def line(
    sku: str, price: str, qty: int = 1, shop: str = "S1", category: str | None = "服装"
) -> dict[str, Any]:
    row: dict[str, Any] = {"sku": sku, "shop": shop, "price": price, "qty": qty}
    if category is not None:
        row["category"] = category
    return row


def rules(
    promotions: list[dict[str, Any]] | None = None, coupons: list[dict[str, Any]] | None = None, **extra: Any
) -> RuleSet:
    return service.load_rules(doc(promotions, coupons, **extra))


def cart(*items: dict[str, Any], held: list[str] | None = None) -> Cart:
    return service.load_cart({"items": list(items), "coupons_held": held or []})


def quote_json(rule_set: RuleSet, cart_value: Cart) -> dict[str, Any]:
    return service.quote(rule_set, cart_value).to_json()
