"""Promotion-rules endpoints (促销规则): quote a cart, lint a rule set, parse promotion phrases.

Mounted under ``/api/v1/promotions``. Pure computation on the documents sent — nothing is stored,
so the endpoints are open to anyone (the public 到手价 calculator uses the same engine). Documents
are JSON objects or YAML/JSON text (format ``tianping-promotions/1``, see ``docs/promotions.md``);
answers are the engine's JSON. An invalid document is a 422 whose field names the offending field's
path inside the request, e.g. ``rules.promotions[0].tiers[1].discount`` or ``cart.items[2].qty``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from tianping.api.deps import ActorDep
from tianping.promotion import service
from tianping.promotion.errors import PromotionFormatError
from tianping.promotion.phrases import parse_text

router = APIRouter(prefix="/promotions", tags=["promotions"])

MAX_TEXT = 512 * 1024  # a rules document as text; far above any published rule set
MAX_PHRASES = 5000

Loaded = TypeVar("Loaded")

DocumentText = Annotated[str, Field(max_length=MAX_TEXT)]


class QuoteRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rules: dict[str, Any] | DocumentText = Field(description="规则文档：JSON 对象，或 YAML/JSON 文本")
    cart: dict[str, Any] | DocumentText = Field(description="购物车文档：JSON 对象，或 YAML/JSON 文本")


class LintRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rules: dict[str, Any] | DocumentText = Field(description="规则文档：JSON 对象，或 YAML/JSON 文本")


class ParseRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(
        min_length=1, max_length=MAX_PHRASES, description="促销文案，如“跨店每满300减50，最高减150”"
    )


def document_error(document: str, exc: PromotionFormatError) -> PromotionFormatError:
    """The engine's error with the field path prefixed by the request field it came from."""
    return PromotionFormatError(f"{document}.{exc.path}" if exc.path else document, exc.reason)


def _load(document: str, loader: Callable[[Any], Loaded], data: Any) -> Loaded:
    try:
        return loader(data)
    except PromotionFormatError as exc:
        raise document_error(document, exc) from None


@router.post("/quote", summary="计算到手价（应付金额、步骤、分摊；规则有歧义时给出区间）")
def quote(body: QuoteRequest, actor: ActorDep) -> dict[str, Any]:
    rules = _load("rules", service.load_rules, body.rules)
    cart = _load("cart", service.load_cart, body.cart)
    try:
        result = service.quote(rules, cart)
    except PromotionFormatError as exc:  # coupons_held naming no coupon of the rules
        raise document_error("cart", exc) from None
    return result.to_json()


@router.post("/lint", summary="审查促销规则（歧义与反例、其他缺陷、宣传核验）")
def lint(body: LintRequest, actor: ActorDep) -> dict[str, Any]:
    rules = _load("rules", service.load_rules, body.rules)
    return service.lint(rules).to_json()


@router.post("/parse", summary="从促销文案生成规则文档（列出文案未说明之处）")
def parse(body: ParseRequest, actor: ActorDep) -> dict[str, Any]:
    return parse_text(body.text).to_json()
