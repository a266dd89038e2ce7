"""Inputs and legal data of lifecycle actions: 回访 input, 第十五条 grounds, closing outcomes."""

from __future__ import annotations

from enum import StrEnum
from typing import Self

from pydantic import Field, model_validator

from tianping.core.textinput import TextInput

from .models import Outcome, Satisfaction, TicketKind

__all__ = [
    "CALLBACK_METHOD_LABELS",
    "CLOSE_OUTCOMES",
    "NEEDS_MEDIATION",
    "REJECTION_GROUNDS",
    "TERMINATING",
    "CallbackIn",
    "CallbackMethod",
]


REJECTION_GROUNDS: dict[str, str] = {
    "1": "第十五条第（一）项：投诉事项不属于市场监督管理部门职责，或者本行政机关不具有处理权限的",
    "2": "第十五条第（二）项：法院、仲裁机构、市场监督管理部门或者其他行政机关、消费者协会或者依法成立的"
    "其他调解组织已经受理或者处理过同一消费者权益争议的",
    "3": "第十五条第（三）项：不是为生活消费需要购买、使用商品或者接受服务，或者不能证明与被投诉人之间"
    "存在消费者权益争议的",
    "4": "第十五条第（四）项：除法律另有规定外，投诉人知道或者应当知道自己的权益受到被投诉人侵害之日起"
    "超过三年的",
    "5": "第十五条第（五）项：未提供本办法第九条第一款和第十条规定的材料的",
    "6": "第十五条第（六）项：法律、法规、规章规定不予受理的其他情形",
}
"""不予受理 grounds of 市场监督管理投诉举报处理暂行办法 第十五条, keyed by item number."""

CLOSE_OUTCOMES: dict[TicketKind, frozenset[Outcome]] = {
    TicketKind.COMPLAINT: frozenset(
        {Outcome.MEDIATED, Outcome.MEDIATION_FAILED, Outcome.TERMINATED, Outcome.SETTLED}
    ),
    TicketKind.REPORT: frozenset({Outcome.CASE_FILED, Outcome.NOT_FILED}),
    TicketKind.CONSULTATION: frozenset({Outcome.ANSWERED}),
    TicketKind.SUGGESTION: frozenset({Outcome.ANSWERED}),
}
"""Which outcomes close which kind of ticket."""

NEEDS_MEDIATION = frozenset({Outcome.MEDIATED, Outcome.MEDIATION_FAILED})
"""调解成功 / 调解不成 presuppose a mediation under way."""

TERMINATING = frozenset({Outcome.MEDIATION_FAILED, Outcome.TERMINATED, Outcome.SETTLED})
"""Ending a mediation under way with one of these is 终止调解 (第二十一条第一款第（一）、（四）项 and
the others): the parties must be told within 7 working days (第二十一条第二款)."""


class CallbackMethod(StrEnum):
    PHONE = "phone"
    SMS = "sms"
    WEB = "web"


CALLBACK_METHOD_LABELS: dict[CallbackMethod, str] = {
    CallbackMethod.PHONE: "电话",
    CallbackMethod.SMS: "短信",
    CallbackMethod.WEB: "网上",
}


class CallbackIn(TextInput):
    """One 回访: whether the complainant was reached and, if so, their account."""

    method: CallbackMethod = Field(description="回访方式")
    reached: bool = Field(description="是否联系到投诉人（有效回访）")
    contacted: bool | None = Field(default=None, description="承办人是否联系过投诉人（响应）")
    resolved: bool | None = Field(default=None, description="投诉人认为诉求是否解决")
    satisfaction: Satisfaction | None = Field(default=None, description="满意 / 基本满意 / 不满意")
    note: str | None = Field(default=None, max_length=2000, description="回访记录")

    @model_validator(mode="after")
    def _answers_need_reach(self) -> Self:
        if not self.reached and (
            self.contacted is not None or self.resolved is not None or self.satisfaction is not None
        ):
            raise ValueError("未联系到投诉人时不能填写响应、解决和满意度")
        if self.reached and self.satisfaction is None:
            raise ValueError("联系到投诉人时请填写满意度")
        return self
