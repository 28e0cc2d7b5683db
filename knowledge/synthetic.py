"""A deterministic synthetic knowledge base at Guangxi scale (12,305 entries) for benchmarks and load tests.

Entries are templates × departments × topics × cities, in the style of real 12345 knowledge: a
question a citizen asks, an answer naming materials, channels, time limits and fees, the owner
department and keywords. About 8 % are expired and 2 % not yet valid, as in a live knowledge base.
"""
from __future__ import annotations

import random
from datetime import date, timedelta

from knowledge.parse import EntryDraft

GUANGXI_SIZE = 12_305
CITIES = ("南宁市", "柳州市", "桂林市", "梧州市", "北海市", "防城港市", "钦州市", "贵港市", "玉林市", "百色市",
          "贺州市", "河池市", "来宾市", "崇左市")
DEPARTMENTS = {  # department: topics
    "人力资源和社会保障局": ("社保卡补办", "失业保险金申领", "养老保险转移", "就业登记", "职业技能补贴", "劳动合同备案",
                             "拖欠工资投诉", "工伤认定"),
    "住房公积金管理中心": ("住房公积金提取", "公积金贷款", "公积金缴存基数调整", "租房提取公积金", "公积金账户转移",
                           "公积金异地转移接续"),
    "公安局": ("居住证办理", "身份证补领", "户口迁移", "新生儿落户", "无犯罪记录证明", "出入境证件办理"),
    "交通警察支队": ("驾驶证换证", "机动车年检", "交通违法处理", "电动自行车上牌", "临时号牌申领"),
    "医疗保障局": ("异地就医备案", "居民医保缴费", "门诊慢特病认定", "医保报销", "生育保险待遇"),
    "市场监督管理局": ("消费投诉", "营业执照办理", "食品经营许可", "预付卡退费", "价格投诉", "商标注册指导"),
    "税务局": ("个税年度汇算", "完税证明开具", "发票代开", "房产交易契税", "社保费缴纳"),
    "民政局": ("结婚登记", "低保申请", "高龄津贴", "殡葬补贴", "社会组织登记"),
    "教育局": ("小学入学报名", "初中学位申请", "学生资助", "校外培训投诉", "教师资格认定"),
    "住房和城乡建设局": ("物业投诉", "房屋维修资金使用", "公租房申请", "商品房预售查询", "建筑施工噪声"),
    "城市管理局": ("路灯维修", "井盖缺失", "占道经营", "垃圾清运", "户外广告审批"),
    "自来水公司": ("停水报修", "水表更换", "水费缴纳", "供水水质", "用水过户"),
    "供电局": ("停电报修", "电费缴纳", "用电报装", "电表故障", "充电桩报装"),
    "燃气集团": ("燃气报装", "燃气泄漏抢修", "燃气费缴纳", "燃气表更换"),
    "交通运输局": ("出租车投诉", "公交线路调整", "网约车投诉", "道路运输证办理"),
    "生态环境局": ("噪声污染投诉", "油烟污染投诉", "排污许可", "环评审批"),
    "自然资源局": ("不动产登记", "房产证办理", "宅基地审批", "抵押登记"),
    "卫生健康委员会": ("出生医学证明", "预防接种", "医疗纠纷投诉", "独生子女奖励"),
    "行政审批局": ("政务服务大厅预约", "企业开办", "工程建设项目审批", "证照联办"),
    "农业农村局": ("耕地地力补贴", "农机购置补贴", "动物检疫证明"),
    "文化广电和旅游局": ("旅游投诉", "导游证办理", "有线电视报修"),
    "退役军人事务局": ("退役军人优待证", "优抚金发放", "退役安置"),
    "残疾人联合会": ("残疾人证办理", "残疾人两项补贴", "辅助器具申领"),
}
QUESTIONS = (
    "{topic}怎么办理？", "{topic}需要准备哪些材料？", "{city}{topic}在哪里办理？", "{topic}多长时间能办好？",
    "{topic}可以网上办理吗？", "{topic}收费吗？收费标准是多少？", "{topic}的办理进度怎么查询？",
    "外地户籍在{city}可以办理{topic}吗？", "{topic}被退回了怎么办？", "{city}{topic}有什么新政策？",
    "{topic}可以委托别人代办吗？", "{topic}的咨询电话是多少？", "老人行动不便，{topic}能上门办理吗？",
)
CHANNELS = ("“广西政务”App", "“爱广西”小程序", "广西数字政务一体化平台", "市民中心政务服务大厅", "各县区政务服务中心",
            "街道（乡镇）便民服务中心")
MATERIALS = ("本人有效身份证件", "户口簿", "近期免冠照片", "申请表", "相关证明材料原件及复印件", "委托书及代办人身份证",
             "银行卡", "不动产权证书或租赁合同")
LIMITS = ("即时办结", "3 个工作日", "5 个工作日", "7 个工作日", "15 个工作日", "20 个工作日", "30 个工作日")
FEES = ("不收取任何费用", "按规定免收工本费", "工本费 20 元", "按物价部门核定标准收费")


def generate_corpus(size: int = GUANGXI_SIZE, *, seed: int = 12345, today: date = date(2025, 6, 1)) -> list[EntryDraft]:
    rng = random.Random(seed)
    combos = [(dept, topic, template, city) for dept, topics in DEPARTMENTS.items() for topic in topics
              for template in QUESTIONS for city in CITIES]
    rng.shuffle(combos)
    if size > len(combos):
        raise ValueError(f"at most {len(combos)} distinct synthetic entries, asked for {size}")
    return [_entry(i, rng, *combo, today) for i, combo in enumerate(combos[:size])]


def _entry(i: int, rng: random.Random, dept: str, topic: str, template: str, city: str, today: date) -> EntryDraft:
    materials = "、".join(rng.sample(MATERIALS, rng.randint(2, 4)))
    channels = "、".join(rng.sample(CHANNELS, 2))
    limit, fee = rng.choice(LIMITS), rng.choice(FEES)
    answer = (f"{city}{topic}由{city}{dept}负责受理。办理方式：可通过{channels}申请。所需材料：{materials}。"
              f"办理时限：材料齐全的{limit}内办结。收费标准：{fee}。"
              f"如对办理结果有异议，可在收到结果之日起 60 日内向{city}人民政府申请行政复议，"
              f"或拨打 12345 政务服务便民热线咨询{topic}相关问题。")
    roll = rng.random()
    valid_from = today - timedelta(days=rng.randint(30, 1500))
    valid_to = None
    if roll < 0.08:
        valid_to = today - timedelta(days=rng.randint(1, 300))
        valid_from = valid_to - timedelta(days=rng.randint(30, 700))
    elif roll < 0.10:
        valid_from = today + timedelta(days=rng.randint(1, 200))
    keywords = (topic, city.removesuffix("市"), dept.removesuffix("局"))
    return EntryDraft(key=f"syn-{i:05d}", question=template.format(topic=topic, city=city), answer=answer,
                      department=f"{city}{dept}", valid_from=valid_from, valid_to=valid_to, keywords=keywords,
                      line=i + 2)
