"""Word lists of the fictitious demo dataset.

Every name the demo produces is composed from these lists (trade name + industry word + organisational
form), so no real company, shop or platform is named on purpose. Compositions that happen to spell a
real brand are rejected by :func:`contains_forbidden` (a test checks the whole dataset against
:data:`FORBIDDEN_BRANDS`).
"""

from __future__ import annotations

__all__ = [
    "ANCHOR_ADJECTIVES",
    "ANCHOR_NOUNS",
    "ANCHOR_SUFFIXES",
    "ENTERPRISE_INDUSTRIES",
    "FORBIDDEN_BRANDS",
    "INDIVIDUAL_TRADES",
    "MARKET_GOODS",
    "PLATFORMS",
    "PREPAID_CATEGORIES",
    "ROAD_CHARS",
    "ROAD_SUFFIXES",
    "TRADE_FIRST",
    "TRADE_SECOND",
    "PlatformDef",
    "contains_forbidden",
]

from dataclasses import dataclass

# Real brands, platforms and chains that must never appear in a generated name or alias.
FORBIDDEN_BRANDS: tuple[str, ...] = (
    "美团", "小米", "转转", "百度", "联想", "京东", "淘宝", "天猫", "拼多多", "抖音", "快手", "饿了么",
    "闲鱼", "阿里", "腾讯", "微信", "支付宝", "苏宁", "国美", "唯品会", "当当", "盒马", "叮咚", "每日优鲜",
    "得物", "小红书", "携程", "去哪儿", "飞猪", "滴滴", "58同城", "大众点评", "口碑", "哔哩哔哩", "蘑菇街",
    "网易", "新东方", "学而思", "好未来", "猿辅导", "作业帮", "高途", "华为", "荣耀", "云集", "贝壳",
    "链家", "自如", "朴朴", "多点", "物美", "永辉", "顺丰", "全聚德", "东来顺", "便宜坊", "庆丰", "稻香村",
    "南城香", "海底捞", "呷哺", "西贝", "眉州", "嘉和一品", "和合谷", "吉野家", "麦当劳", "肯德基",
    "必胜客", "星巴克", "瑞幸", "喜茶", "蜜雪", "超市发", "京客隆", "玫瑰城", "万达", "华联", "迪信通",
)  # fmt: skip


def contains_forbidden(text: str) -> bool:
    """True if ``text`` contains a real brand of :data:`FORBIDDEN_BRANDS`."""
    return any(brand in text for brand in FORBIDDEN_BRANDS)


# 字号 (trade names): two characters, one from each list, e.g. 瑞丰, 悦颜, 启智.
TRADE_FIRST: tuple[str, ...] = tuple(
    "瑞恒嘉鑫悦启博宏裕泓晟锦润盛鸿昊睿瀚德信诚弘卓颐璟汇禾益佳雅优聚协鼎新永福祥泰康安和万合"
    "天明朗青晴溪云松竹兰茗沐景耀鹏铭星辰华凯尚品绿蓝金玉春秋"
)
TRADE_SECOND: tuple[str, ...] = tuple(
    "丰泽颜智达远通源成隆兴旺祥泰安鑫宇航峰林川和美辉晨阳光盈升禧乐康悦然宁途程新辰诺朗"
    "凡迈拓洋海桥岚溪翰墨韵艺思晖灿筑柏杉瑜"
)

# Enterprises: (industry word, GB/T 4754 section).
ENTERPRISE_INDUSTRIES: tuple[tuple[str, str], ...] = (
    ("科技", "I"), ("信息技术", "I"), ("网络科技", "I"), ("软件", "I"), ("数据服务", "I"),
    ("商贸", "F"), ("贸易", "F"), ("电子商务", "F"), ("医药", "F"), ("医疗器械", "F"), ("汽车销售", "F"),
    ("文化传媒", "R"), ("文化发展", "R"), ("影视文化", "R"),
    ("餐饮管理", "H"), ("酒店管理", "H"),
    ("建筑工程", "E"), ("装饰工程", "E"),
    ("物流", "G"), ("供应链管理", "G"),
    ("企业管理咨询", "L"), ("广告", "L"), ("人力资源", "L"),
    ("物业管理", "K"), ("房地产经纪", "K"),
    ("食品", "C"), ("服装", "C"), ("印刷", "C"),
    ("环保科技", "N"), ("园林绿化", "N"),
    ("农业科技", "A"),
    ("技术开发", "M"), ("检测技术", "M"),
    ("家政服务", "O"), ("汽车维修", "O"),
)  # fmt: skip

ENTERPRISE_FORMS: tuple[str, ...] = ("有限公司", "有限公司", "有限公司", "有限责任公司", "股份有限公司")

# Individual businesses: (business word incl. form, section), e.g. 小吃店.
INDIVIDUAL_TRADES: tuple[tuple[str, str], ...] = (
    ("小吃店", "H"), ("面馆", "H"), ("包子铺", "H"), ("烧烤店", "H"), ("快餐店", "H"), ("饺子馆", "H"),
    ("水果店", "F"), ("蔬菜店", "F"), ("便利店", "F"), ("烟酒店", "F"), ("五金店", "F"), ("服装店", "F"),
    ("日用品商店", "F"), ("文具店", "F"), ("鲜花店", "F"), ("茶叶店", "F"), ("粮油店", "F"), ("熟食店", "F"),
    ("理发店", "O"), ("洗衣店", "O"), ("修理部", "O"), ("家电维修部", "O"), ("手机维修部", "O"),
    ("干洗店", "O"), ("足疗店", "O"), ("裁缝店", "O"),
)  # fmt: skip

# Prepaid-card businesses (预付式经营者): tag -> (section, name templates). {t} is the trade name.
PREPAID_CATEGORIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "美容美发": ("O", ("{t}美容美发有限公司", "北京{t}美业有限公司", "北京{t}美发造型有限公司",
                       "北京{t}皮肤管理有限公司")),
    "教育培训": ("P", ("北京{t}教育科技有限公司", "北京{t}文化艺术培训有限公司", "北京{t}培训学校有限公司",
                       "{t}启智教育科技（北京）有限公司")),
    "体育健身": ("R", ("北京{t}健身服务有限公司", "北京{t}体育文化发展有限公司",
                       "{t}游泳健身（北京）有限公司", "北京{t}瑜伽文化有限公司")),
    "餐饮": ("H", ("北京{t}餐饮管理有限公司", "北京{t}烘焙食品有限公司", "北京{t}茶饮有限公司")),
}  # fmt: skip

# Wholesale markets: goods word.
MARKET_GOODS: tuple[str, ...] = (
    "小商品",
    "服装",
    "农副产品",
    "建材",
    "花卉",
    "水产",
    "汽配",
    "家居",
    "茶叶",
    "文具",
)

# Fictitious roads: two characters and a suffix, e.g. 福润路.
ROAD_CHARS: tuple[str, ...] = tuple("福润兴华永安康宁泰和丰盛文昌景明春秋槐柳杏桃松柏榆枫嘉禾瑞祥")
ROAD_SUFFIXES: tuple[str, ...] = ("路", "路", "街", "大街", "南路", "北路", "西街", "东街", "一巷", "二巷")

# Livestream anchors: nickname parts, e.g. 元气小鹿好物直播间.
ANCHOR_ADJECTIVES: tuple[str, ...] = (
    "元气", "爱笑的", "胡同", "京城", "北漂", "小巷", "甜心", "阳光", "快乐", "认真的", "会过日子的",
    "勤快的", "温柔", "靠谱", "实在", "热心", "爽快", "机灵", "佛系", "老实",
)  # fmt: skip
ANCHOR_NOUNS: tuple[str, ...] = (
    "小鹿", "阿飞", "大壮", "小满", "豆豆", "花花", "老张", "二妞", "果果", "小雨", "阿杰", "丫丫", "胖虎",
    "小七", "大白", "阿宝", "小北", "圆圆", "乐乐", "老李", "阿芳", "小川", "糖糖", "石头",
)  # fmt: skip
ANCHOR_SUFFIXES: tuple[str, ...] = (
    "好物直播间",
    "的直播间",
    "优选直播间",
    "家居直播间",
    "美食直播间",
    "穿搭直播间",
)


@dataclass(frozen=True)
class PlatformDef:
    """A fictitious platform: its company, brand, registered district and the shops it hosts.

    ``shop_templates`` hold ``{t}`` (trade name), ``{s}`` (street short name) and ``{w}`` (a word of
    ``shop_words``); ``weight`` is its share of the in-platform shops, ``live_weight`` of the
    livestream rooms (0 = no livestreaming on it).
    """

    key: str
    company: str
    brand: str
    short: str
    district_code: str
    section: str
    shop_section: str
    shop_templates: tuple[str, ...]
    shop_words: tuple[str, ...]
    weight: int
    live_weight: int = 0


PLATFORMS: tuple[PlatformDef, ...] = (
    PlatformDef("SLWM", "示例外卖平台（北京）科技有限公司", "示例外卖", "示例外卖平台", "110108", "I", "H",
                ("{t}{w}（{s}店）",),
                ("饺子馆", "麻辣烫", "炸酱面", "烤鸭店", "煎饼铺", "米线", "黄焖鸡米饭", "轻食沙拉", "奶茶铺",
                 "咖啡馆", "烘焙坊", "卤煮", "涮肉馆", "火锅店", "烧烤", "快餐", "粥铺", "川菜馆", "湘菜馆",
                 "茶餐厅", "炸鸡店", "寿司", "披萨", "面包房"), 30),
    PlatformDef("JCYX", "京彩优选电子商务（北京）有限公司", "京彩优选", "京彩优选商城", "110105", "I", "F",
                ("{t}{w}旗舰店", "{t}{w}专营店", "{t}{w}专卖店", "{t}{w}官方店", "{t}{w}生活馆"),
                ("服饰", "家居", "母婴", "数码", "美妆", "食品", "茶叶", "箱包", "鞋业", "厨具", "玩具",
                 "文具", "宠物用品", "户外", "家纺", "酒水", "滋补"), 25, 25),
    PlatformDef("QHDJ", "青禾到家（北京）网络科技有限公司", "青禾到家", "青禾", "110106", "I", "F",
                ("{t}{w}（{s}店）",),
                ("生鲜超市", "便利店", "果蔬店", "粮油店", "烘焙店", "肉铺", "水产店"), 10),
    PlatformDef("XWES", "循物二手（北京）信息技术有限公司", "循物二手", "循物", "110108", "I", "F",
                ("{t}{w}",), ("二手数码铺", "旧书铺", "闲置好物铺", "二手家电行", "奢品寄卖行", "二手母婴铺",
                               "回收站"), 6),
    PlatformDef("QCHY", "晴川互娱（北京）文化传媒有限公司", "晴川直播", "晴川", "110105", "R", "F",
                ("{t}{w}好物店",), ("零食", "服饰", "美妆", "家居", "农产品", "珠宝"), 4, 60),
    PlatformDef("YDYL", "燕动体育科技（北京）有限公司", "燕动约练", "燕动", "110106", "R", "R",
                ("{t}{w}（{s}店）",), ("健身工作室", "瑜伽馆", "普拉提馆", "拳击馆", "游泳馆", "羽毛球馆",
                                      "跆拳道馆", "攀岩馆"), 5),
    PlatformDef("ZXXK", "知行小课（北京）教育科技有限公司", "知行小课", "知行", "110108", "P", "P",
                ("{t}{w}（{s}校区）",), ("美术工作室", "书法教室", "编程教室", "舞蹈中心", "钢琴教室",
                                        "围棋教室", "口才教室", "体适能中心"), 4),
    PlatformDef("LYDJ", "丽颜到家（北京）生活服务有限公司", "丽颜到家", "丽颜", "110102", "O", "O",
                ("{t}{w}（{s}店）",), ("美甲工作室", "美睫沙龙", "美发沙龙", "皮肤管理中心", "养发馆",
                                      "造型工作室"), 4),
    PlatformDef("YSH", "燕山惠生活（北京）网络技术有限公司", "燕山惠", "燕山惠生活", "110114", "I", "R",
                ("{t}{w}（{s}店）",), ("密室逃脱", "剧本杀馆", "KTV", "台球厅", "桌游吧", "电玩城"), 5, 15),
    PlatformDef("GSXD", "果蔬鲜达（北京）电子商务有限公司", "鲜达", "果蔬鲜达", "110112", "I", "F",
                ("{t}{w}",), ("果园直供店", "农场直营店", "果蔬合作社店", "有机蔬菜店", "山货铺"), 3),
    PlatformDef("BGDJ", "百工到家（北京）网络服务有限公司", "百工到家", "百工", "110115", "I", "O",
                ("{t}{w}",), ("家政服务部", "保洁服务中心", "月嫂服务站", "家电清洗部", "开锁服务部",
                               "搬家服务部"), 2),
    PlatformDef("TYLX", "途悦旅行（北京）网络科技有限公司", "途悦", "途悦旅行", "110101", "I", "L",
                ("{t}{w}",), ("国际旅行社有限公司", "旅行社有限公司", "民宿", "商务酒店", "青年旅舍"), 2),
)  # fmt: skip
