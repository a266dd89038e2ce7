"""A small fictitious corpus of complaint texts in four categories (taxonomy codes as labels).

Built from templates so each category has enough rows for a 3-fold cross-validation; every business
name is invented.
"""

from __future__ import annotations

SHOPS = ("悦颜美容店", "青禾美发工作室", "木兰养生馆", "星语美甲店")
STORES = ("云杉优选网店", "海棠小铺", "北辰数码旗舰店", "果园鲜生网店")

_PREPAID = (
    "我在{shop}办了预付卡充值三千元，现在店铺关门跑路，要求退还余额",
    "{shop}突然停业，会员卡里还有余额两千元无法退费，请求处理",
    "在{shop}充值办卡后，商家拒绝退卡退款，预付卡余额不退",
    "{shop}更换经营者，不认之前的储值卡，拒绝退还预付款",
    "{shop}诱导我充值办理年卡，现在要求退费被拒，余额无法退还",
)
_COUPON = (
    "在{store}下单时优惠券无法使用，满减规则与页面宣传不一致",
    "{store}发放的满减券结算时不抵扣，优惠券被系统作废",
    "{store}领的优惠券显示已过期，活动规则不清楚，要求补发优惠",
    "参加{store}的满减活动，付款后优惠没有生效，券无法叠加使用",
    "{store}承诺赠送的优惠券一直未到账，促销规则随意修改",
)
_LOGISTICS = (
    "在{store}买的商品十天还没有发货，物流信息一直不更新",
    "{store}迟迟不发货，快递单号查询不到物流记录",
    "{store}发货后快递丢件，物流显示签收但我没有收到包裹",
    "{store}超过承诺时间不发货，催促客服也没有物流进展",
    "{store}的包裹在物流中转站停留一周，快递一直没有派送",
)
_FOOD = (
    "在{shop}附近餐馆吃饭后腹泻，怀疑食品变质不卫生",
    "{store}卖的零食已经过期，食品包装上的保质期被篡改",
    "{store}买到的牛奶有异味，食品质量有问题，怀疑变质",
    "外卖送来的饭菜里有头发和异物，后厨卫生很差",
    "{store}销售的熟食没有生产日期，食品来源不明",
)

TEMPLATES: dict[str, tuple[str, ...]] = {
    "prepaid.beauty": _PREPAID,
    "online.coupon": _COUPON,
    "online.logistics": _LOGISTICS,
    "food": _FOOD,
}


def corpus() -> tuple[list[str], list[str]]:
    """Texts and labels: every template with two shop/store names (10 rows per category)."""
    texts: list[str] = []
    labels: list[str] = []
    for label, templates in TEMPLATES.items():
        for i, template in enumerate(templates):
            for j in range(2):
                texts.append(template.format(shop=SHOPS[(i + j) % 4], store=STORES[(i + 2 * j) % 4]))
                labels.append(label)
    return texts, labels
