package crm

import "closeloop/internal/entity"

// DefaultPicklists are the admin-editable option lists shipped with the
// product. Codes are stable (imports and the API use them); labels may be
// changed freely.
var DefaultPicklists = map[string][]entity.Option{
	"source": {
		opt("exhibition", "展会", "Exhibition"),
		opt("referral", "转介绍", "Referral"),
		opt("web", "网络", "Web"),
		opt("patent", "专利", "Patent"),
		opt("journal", "期刊", "Journal"),
		opt("news", "新闻", "News"),
		opt("conference", "会议", "Conference"),
		opt("association", "协会", "Association"),
		opt("ad", "广告", "Advertising"),
		opt("phone", "电话", "Phone"),
		opt("other", "其他", "Other"),
	},
	"customer_level": {
		opt("A", "A 类（重点）", "A (key)"),
		opt("B", "B 类（重要）", "B (important)"),
		opt("C", "C 类（一般）", "C (regular)"),
		opt("D", "D 类（潜力低）", "D (low potential)"),
	},
	"industry": {
		opt("manufacturing", "制造业", "Manufacturing"),
		opt("it", "信息技术/互联网", "IT / Internet"),
		opt("finance", "金融", "Finance"),
		opt("government", "政府/公共事业", "Government / public"),
		opt("education", "教育", "Education"),
		opt("healthcare", "医疗", "Healthcare"),
		opt("energy", "能源", "Energy"),
		opt("chemicals", "化工/材料", "Chemicals / materials"),
		opt("automotive", "汽车", "Automotive"),
		opt("construction", "建筑/地产", "Construction / real estate"),
		opt("retail", "零售/消费", "Retail / consumer"),
		opt("logistics", "物流", "Logistics"),
		opt("other", "其他", "Other"),
	},
	"customer_scale": {
		opt("micro", "20 人以下", "Under 20 staff"),
		opt("small", "20–99 人", "20–99 staff"),
		opt("medium", "100–499 人", "100–499 staff"),
		opt("large", "500–999 人", "500–999 staff"),
		opt("xlarge", "1000 人以上", "1000+ staff"),
	},
	"credit": {
		opt("excellent", "优", "Excellent"),
		opt("good", "良", "Good"),
		opt("fair", "中", "Fair"),
		opt("poor", "差", "Poor"),
	},
	"demand_level": {
		opt("high", "高端", "High end"),
		opt("mid", "中端", "Mid range"),
		opt("low", "低端", "Low end"),
	},
	"closing_difficulty": {
		opt("easy", "容易", "Easy"),
		opt("medium", "一般", "Medium"),
		opt("hard", "困难", "Hard"),
	},
	"disqualify_reason": {
		opt("no_need", "无需求", "No need"),
		opt("no_budget", "无预算", "No budget"),
		opt("unreachable", "无法联系", "Unreachable"),
		opt("competitor", "已选竞品", "Chose a competitor"),
		opt("duplicate", "重复线索", "Duplicate"),
		opt("invalid", "信息无效", "Invalid information"),
		opt("other", "其他", "Other"),
	},
	"release_reason": {
		opt("no_progress", "长期无进展", "No progress"),
		opt("not_my_area", "不在负责范围", "Outside my area"),
		opt("handover", "工作交接", "Hand-over"),
		opt("no_need", "客户无需求", "Customer has no need"),
		opt("auto", "超期未跟进，自动回收", "Returned automatically (no follow-up)"),
		opt("other", "其他", "Other"),
	},
	"loss_reason": {
		opt("price", "价格", "Price"),
		opt("product", "产品功能", "Product fit"),
		opt("competitor", "竞争对手", "Competitor"),
		opt("timing", "时机", "Timing"),
		opt("budget", "预算", "Budget"),
		opt("relationship", "客户关系", "Relationship"),
		opt("other", "其他", "Other"),
	},
	"bid_document": {
		opt("license", "营业执照", "Business licence"),
		opt("qualification", "资质证书", "Qualification certificates"),
		opt("authorization", "授权委托书", "Letter of authorisation"),
		opt("technical", "技术标书", "Technical proposal"),
		opt("commercial", "商务标书", "Commercial proposal"),
		opt("price", "报价文件", "Price schedule"),
		opt("bond", "保证金凭证", "Bid bond receipt"),
		opt("references", "业绩证明", "References"),
	},
	"kb_category": {
		opt("solution", "解决方案", "Solution"),
		opt("case", "成功案例", "Success case"),
		opt("faq", "常见问题", "FAQ"),
		opt("competitor", "竞品分析", "Competitor notes"),
		opt("product", "产品资料", "Product material"),
	},
}
