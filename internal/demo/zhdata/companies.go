package zhdata

// brandChars make up two-character trade names (恒瑞, 华信, 中科 …):
// about 200 characters, so 40 000 possible names before the city and the
// line of business are added.
const brandChars = "恒瑞华信中科天宇宏达鑫源金泰新联海创博远诚通瑞丰正大长城东方明德盛世永利兴隆汇通嘉禾云帆星辰" +
	"卓越凯旋腾飞晨光环球万众利民和谐精工智能蓝海绿洲银河北辰南方西部国泰安康佳能锦程鼎盛百川" +
	"昊天润泽宝丰德力恒通致远同舟启明聚力优创融信中恒华泰弘毅立讯伟业振华荣盛奥维科达雅图三友" +
	"九州四方八方神舟航宇光大开元龙腾凤凰麒麟世纪时代先锋领航未来星火朝阳旭日东升万家千禧"

// Lines of business per industry code (the "industry" pick-list).
var businesses = map[string][]string{
	"manufacturing": {"精密机械", "机械制造", "智能装备", "自动化设备", "模具", "机床", "电气设备", "液压机械", "五金制品", "包装机械", "纺织机械", "工业设备", "泵阀", "轴承"},
	"it":            {"科技", "信息技术", "软件", "网络科技", "数据科技", "智能科技", "云计算", "电子商务", "信息系统", "数字科技"},
	"finance":       {"融资租赁", "投资管理", "保险代理", "商业保理", "资产管理", "小额贷款"},
	"government":    {"城市建设投资", "公用事业", "水务", "燃气", "公共交通", "城市发展"},
	"education":     {"教育科技", "职业培训", "教育咨询", "文化传播"},
	"healthcare":    {"医疗器械", "生物医药", "制药", "医药科技", "健康科技", "医疗科技"},
	"energy":        {"新能源", "光伏科技", "电力设备", "储能科技", "能源科技", "风电设备"},
	"chemicals":     {"化工", "新材料", "精细化工", "高分子材料", "涂料", "塑胶", "化学"},
	"automotive":    {"汽车零部件", "汽车部件", "汽车电子", "车辆配件", "汽车科技"},
	"construction":  {"建设工程", "建筑安装", "装饰工程", "房地产开发", "建材", "钢结构"},
	"retail":        {"商贸", "食品", "日用品", "连锁超市", "服饰", "家居用品", "电器"},
	"logistics":     {"物流", "供应链管理", "国际货运代理", "仓储", "运输"},
	"other":         {"实业", "贸易", "咨询服务", "环保科技", "检测技术", "印务"},
}

// IndustryWeights says how the customer base spreads over industries:
// an industrial-equipment and software vendor's market.
var IndustryWeights = []Choice{
	{"manufacturing", 30}, {"it", 14}, {"automotive", 9}, {"chemicals", 8}, {"energy", 7}, {"healthcare", 6},
	{"construction", 6}, {"logistics", 5}, {"retail", 5}, {"government", 4}, {"education", 3}, {"finance", 2}, {"other", 1},
}

var legalForms = []Choice{
	{"有限公司", 60}, {"股份有限公司", 18}, {"有限责任公司", 8}, {"集团有限公司", 6},
}

var scaleWeights = []Choice{{"micro", 15}, {"small", 35}, {"medium", 30}, {"large", 12}, {"xlarge", 8}}

// SourceWeights covers every shipped source; exhibitions, the web and
// referrals bring most customers.
var SourceWeights = []Choice{
	{"exhibition", 18}, {"referral", 16}, {"web", 20}, {"patent", 3}, {"journal", 4}, {"news", 4},
	{"conference", 9}, {"association", 6}, {"ad", 6}, {"phone", 10}, {"other", 4},
}

// LevelWeights: A 10 %, B 25 %, C 40 %, D 25 %.
var LevelWeights = []Choice{{"A", 10}, {"B", 25}, {"C", 40}, {"D", 25}}

// StatusWeights: prospects dominate; a fifth are won, a tenth lost.
var StatusWeights = []Choice{{"prospect", 45}, {"intent", 25}, {"won", 20}, {"lost", 10}}

var creditWeights = []Choice{{"excellent", 20}, {"good", 45}, {"fair", 28}, {"poor", 7}}
var demandWeights = []Choice{{"high", 20}, {"mid", 50}, {"low", 30}}
var difficultyWeights = []Choice{{"easy", 25}, {"medium", 50}, {"hard", 25}}

// Tags sales people put on customers.
var Tags = []string{"重点客户", "老客户", "上市公司", "国企", "外资", "政府项目", "价格敏感", "需求明确", "竞品在用",
	"展会客户", "有预算", "年度采购", "技术导向", "决策链长", "待报价", "战略合作", "专精特新", "高新技术企业"}

var companyNotes = []string{
	"客户对交付周期要求较高，需提前备货。", "年底有预算释放，重点跟进。", "采购流程需走招投标。", "老板亲自拍板，决策快。",
	"目前使用竞品，合同明年到期。", "对价格比较敏感，需准备阶梯报价。", "技术部门主导选型，需安排技术交流。",
	"集团统一采购，需对接总部采购中心。", "上次展会留的名片，需求待确认。", "与我司有过合作，口碑较好。",
}
