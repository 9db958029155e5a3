package crm

import (
	"closeloop/internal/entity"
	"closeloop/internal/i18n"
)

// The in-sales (售中) spine: the catalogue, quotes with their lines,
// contracts with their payment plan, orders with their lines. Processes
// (numbering, totals, approval, signing, reservation) own the read-only
// fields; the generic pages and API edit the rest. Deliveries, tasks,
// hand-overs, invoices, payments and supply problems are declared beside
// their processes.

// Quote statuses: a draft is edited; submitting sends it to approval when a
// rule asks for one (in_approval) and otherwise approves it; an approved
// quote may be sent; the customer accepts or rejects a sent quote; a quote
// past its validity expires; a revision supersedes the version it revises.
const (
	QuoteDraft      = "draft"
	QuoteInApproval = "in_approval"
	QuoteApproved   = "approved"
	QuoteSent       = "sent"
	QuoteAccepted   = "accepted"
	QuoteRejected   = "rejected"
	QuoteExpired    = "expired"
	QuoteSuperseded = "superseded"
)

// QuoteStatuses label the quote statuses.
var QuoteStatuses = []entity.Option{
	opt(QuoteDraft, "草稿", "Draft"), opt(QuoteInApproval, "审批中", "In approval"),
	opt(QuoteApproved, "已批准", "Approved"), opt(QuoteSent, "已发送", "Sent"),
	opt(QuoteAccepted, "客户已接受", "Accepted"), opt(QuoteRejected, "客户已拒绝", "Rejected"),
	opt(QuoteExpired, "已过期", "Expired"), opt(QuoteSuperseded, "已被新版本取代", "Superseded"),
}

// Contract statuses.
const (
	ContractDraft       = "draft"
	ContractInApproval  = "in_approval"
	ContractSigned      = "signed"
	ContractInExecution = "in_execution"
	ContractCompleted   = "completed"
	ContractTerminated  = "terminated"
)

// ContractStatuses label the contract statuses.
var ContractStatuses = []entity.Option{
	opt(ContractDraft, "草稿", "Draft"), opt(ContractInApproval, "审批中", "In approval"),
	opt(ContractSigned, "已签订", "Signed"), opt(ContractInExecution, "执行中", "In execution"),
	opt(ContractCompleted, "已完成", "Completed"), opt(ContractTerminated, "已终止", "Terminated"),
}

// ContractTermItems are the terms confirmed item by item before signing
// (逐条确认): price, delivery, scope, payment method.
var ContractTermItems = []entity.Option{
	opt("price", "价格", "Price"), opt("delivery", "交货期与交付方式", "Delivery"),
	opt("scope", "供货/服务范围", "Scope"), opt("payment", "付款方式", "Payment method"),
	opt("acceptance", "验收标准", "Acceptance criteria"), opt("after_sales", "售后条款", "After-sales terms"),
}

// Order statuses.
const (
	OrderDraft           = "draft"
	OrderConfirmed       = "confirmed"
	OrderReserved        = "reserved"
	OrderPartlyDelivered = "partly_delivered"
	OrderDelivered       = "delivered"
	OrderCompleted       = "completed"
	OrderCancelled       = "cancelled"
)

// OrderStatuses label the order statuses.
var OrderStatuses = []entity.Option{
	opt(OrderDraft, "草稿", "Draft"), opt(OrderConfirmed, "已确认", "Confirmed"),
	opt(OrderReserved, "已预留库存", "Stock reserved"), opt(OrderPartlyDelivered, "部分发货", "Partly delivered"),
	opt(OrderDelivered, "已发货", "Delivered"), opt(OrderCompleted, "已完成", "Completed"),
	opt(OrderCancelled, "已取消", "Cancelled"),
}

// InstalmentKinds are the usual instalments of a payment plan (回款计划).
var InstalmentKinds = []entity.Option{
	opt("advance", "预付款", "Advance"), opt("on_delivery", "到货款", "On delivery"),
	opt("on_acceptance", "验收款", "On acceptance"), opt("retention", "质保金", "Retention"),
	opt("progress", "进度款", "Progress payment"), opt("other", "其他", "Other"),
}

// Instalment statuses, kept by invoices and payments.
const (
	InstalmentOpen   = "open"
	InstalmentPartly = "partly_paid"
	InstalmentPaid   = "paid"
)

// PaymentMethods are how a customer pays.
var PaymentMethods = []entity.Option{
	opt("bank_transfer", "银行转账", "Bank transfer"), opt("acceptance_bill", "承兑汇票", "Acceptance bill"),
	opt("cheque", "支票", "Cheque"), opt("cash", "现金", "Cash"), opt("online", "在线支付", "Online payment"),
	opt("other", "其他", "Other"),
}

// Percentages are stored in basis points (500 = 5 %), shown with two decimals.
const percentScale = 2

// Product is an item of the catalogue: goods (with stock) or a service.
var Product = (&entity.Entity{
	Name: "product", Resource: "products", Table: "products",
	Label: i18n.T("产品", "Product"), Plural: i18n.T("产品", "Products"),
	Title: "name", Subtitle: "sku", DefaultSort: "sku",
	SoftDelete: true, Customizable: true,
	Fields: []*entity.Field{
		{Name: "sku", Label: i18n.T("产品编码", "SKU"), Kind: entity.Text, Required: true, MaxLen: 64, Flags: std | entity.Listed | entity.Search | entity.NotNull | entity.Unique},
		{Name: "name", Label: i18n.T("产品名称", "Name"), Kind: entity.Text, Required: true, Flags: std | entity.Listed | entity.Search | entity.NotNull},
		{Name: "spec", Label: i18n.T("规格型号", "Specification"), Kind: entity.Text, MaxLen: 300, Flags: std | entity.Listed | entity.Search},
		{Name: "unit", Label: i18n.T("单位", "Unit"), Kind: entity.Text, Required: true, MaxLen: 20, Default: "件", Flags: std | entity.Listed | entity.NotNull},
		{Name: "category", Label: i18n.T("产品类别", "Category"), Kind: entity.Select, Picklist: "product_category", Flags: std | entity.Listed},
		{Name: "kind", Label: i18n.T("类型", "Type"), Kind: entity.Select, Required: true, Default: "goods", Flags: std | entity.Listed | entity.NotNull, Options: []entity.Option{
			opt("goods", "货物（有库存）", "Goods (stocked)"), opt("service", "服务", "Service")}},
		{Name: "list_price", Label: i18n.T("标准单价", "List price"), Kind: entity.Money, Required: true, Min: ptr(0), Flags: std | entity.Listed | entity.NotNull},
		{Name: "currency", Label: i18n.T("币种", "Currency"), Kind: entity.Select, Options: Currencies, Default: "CNY", Flags: std | entity.NotNull},
		{Name: "tax_rate_bp", Label: i18n.T("税率（%）", "Tax rate (%)"), Kind: entity.Integer, Scale: percentScale, Default: int64(1300), Min: ptr(0), Max: ptr(10000), Flags: std | entity.Listed | entity.NotNull},
		{Name: "stock_qty", Label: i18n.T("库存数量", "In stock"), Kind: entity.Integer, Default: int64(0), Min: ptr(0), Flags: std | entity.Listed | entity.NotNull},
		{Name: "reserved_qty", Label: i18n.T("已预留数量", "Reserved"), Kind: entity.Integer, Default: int64(0), Flags: entity.ReadOnly | f | s | entity.Export | entity.Listed | entity.NotNull},
		{Name: "warranty_months", Label: i18n.T("质保期（月）", "Warranty (months)"), Kind: entity.Integer, Default: int64(12), Min: ptr(0), Max: ptr(240), Flags: std | entity.NotNull},
		{Name: "active", Label: i18n.T("在售", "Active"), Kind: entity.Bool, Default: true, Flags: std | entity.Listed | entity.NotNull},
		{Name: "description", Label: i18n.T("产品说明", "Description"), Kind: entity.LongText, Flags: entity.Export | entity.Import | entity.Search},
	},
}).Init()

// PriceList holds special prices for a customer level or one customer.
var PriceList = (&entity.Entity{
	Name: "price_list", Resource: "price-lists", Table: "price_lists",
	Label: i18n.T("价格表", "Price list"), Plural: i18n.T("价格表", "Price lists"),
	Title: "name", Subtitle: "code",
	SoftDelete: true,
	Fields: []*entity.Field{
		{Name: "name", Label: i18n.T("名称", "Name"), Kind: entity.Text, Required: true, Flags: std | entity.Listed | entity.Search | entity.NotNull},
		{Name: "code", Label: i18n.T("编码", "Code"), Kind: entity.Text, Required: true, MaxLen: 50, Flags: std | entity.Listed | entity.NotNull | entity.Unique},
		{Name: "customer_level", Label: i18n.T("适用客户级别", "For customer level"), Kind: entity.Select, Picklist: "customer_level", Flags: std | entity.Listed},
		{Name: "customer_id", Label: i18n.T("适用客户", "For customer"), Kind: entity.Ref, Ref: "customer", Flags: f | entity.Export | entity.Import | entity.Listed},
		{Name: "currency", Label: i18n.T("币种", "Currency"), Kind: entity.Select, Options: Currencies, Default: "CNY", Flags: std | entity.NotNull},
		{Name: "valid_from", Label: i18n.T("生效日期", "Valid from"), Kind: entity.Date, Flags: std | entity.Listed},
		{Name: "valid_to", Label: i18n.T("失效日期", "Valid to"), Kind: entity.Date, Flags: std | entity.Listed},
		{Name: "active", Label: i18n.T("启用", "Active"), Kind: entity.Bool, Default: true, Flags: std | entity.Listed | entity.NotNull},
		{Name: "notes", Label: i18n.T("备注", "Notes"), Kind: entity.LongText, Flags: entity.Export | entity.Import},
	},
}).Init()

// PriceListItem is one product's price in a price list.
var PriceListItem = (&entity.Entity{
	Name: "price_list_item", Resource: "price-list-items", Table: "price_list_items",
	Label: i18n.T("价格表明细", "Price list item"), Plural: i18n.T("价格表明细", "Price list items"),
	Title:      "product_name",
	SoftDelete: true,
	Fields: []*entity.Field{
		{Name: "price_list_id", Label: i18n.T("价格表", "Price list"), Kind: entity.Ref, Ref: "price_list", Required: true, Flags: f | entity.Export | entity.Import | entity.Listed | entity.NotNull},
		{Name: "product_id", Label: i18n.T("产品", "Product"), Kind: entity.Ref, Ref: "product", Required: true, Flags: f | entity.Export | entity.Import | entity.Listed | entity.NotNull},
		{Name: "product_name", Label: i18n.T("产品名称", "Product name"), Kind: entity.Text, Flags: entity.ReadOnly | f | s | entity.Export | entity.NotNull},
		{Name: "unit_price", Label: i18n.T("单价", "Unit price"), Kind: entity.Money, Required: true, Min: ptr(0), Flags: std | entity.Listed | entity.NotNull},
		{Name: "min_qty", Label: i18n.T("起订量", "Minimum quantity"), Kind: entity.Integer, Default: int64(1), Min: ptr(1), Flags: std | entity.Listed | entity.NotNull},
	},
}).Init()

// Quote is a priced offer for an opportunity (报价单). Its lines are
// quote_line records, written with the quote through the quote API; totals
// are computed from them and never typed in.
var Quote = (&entity.Entity{
	Name: "quote", Resource: "quotes", Table: "quotes",
	Label: i18n.T("报价单", "Quote"), Plural: i18n.T("报价单", "Quotes"),
	Title: "number", Subtitle: "title",
	Vis:        entity.Visibility{Owned: true, Grants: true},
	SoftDelete: true, Customizable: true,
	Fields: []*entity.Field{
		{Name: "number", Label: i18n.T("报价单号", "Number"), Kind: entity.Text, MaxLen: 40, Flags: entity.ReadOnly | f | s | entity.Listed | entity.Search | entity.Export | entity.NotNull},
		{Name: "title", Label: i18n.T("报价主题", "Subject"), Kind: entity.Text, Required: true, Flags: std | entity.Listed | entity.Search | entity.NotNull},
		{Name: "opportunity_id", Label: i18n.T("商机", "Opportunity"), Kind: entity.Ref, Ref: "opportunity", Flags: f | entity.Export | entity.Import | entity.Listed},
		{Name: "customer_id", Label: i18n.T("客户", "Customer"), Kind: entity.Ref, Ref: "customer", Required: true, Flags: f | entity.Export | entity.Import | entity.Listed | entity.NotNull},
		{Name: "contact_id", Label: i18n.T("客户联系人", "Contact"), Kind: entity.Ref, Ref: "contact", Flags: f | entity.Export | entity.Import},
		{Name: "revision", Label: i18n.T("版本", "Revision"), Kind: entity.Integer, Default: int64(1), Flags: entity.ReadOnly | f | s | entity.Export | entity.Listed | entity.NotNull},
		{Name: "root_id", Label: i18n.T("首版报价", "First version"), Kind: entity.Ref, Ref: "quote", Flags: entity.ReadOnly | f | entity.Export},
		{Name: "status", Label: i18n.T("状态", "Status"), Kind: entity.Select, Options: QuoteStatuses, Default: QuoteDraft, Flags: entity.ReadOnly | f | s | entity.Export | entity.Listed | entity.NotNull},
		{Name: "currency", Label: i18n.T("币种", "Currency"), Kind: entity.Select, Options: Currencies, Default: "CNY", Flags: std | entity.NotNull},
		{Name: "price_list_id", Label: i18n.T("价格表", "Price list"), Kind: entity.Ref, Ref: "price_list", Flags: f | entity.Export | entity.Import},
		{Name: "valid_until", Label: i18n.T("有效期至", "Valid until"), Kind: entity.Date, Required: true, Flags: std | entity.Listed | entity.NotNull},
		{Name: "delivery_period", Label: i18n.T("交货期", "Delivery period"), Kind: entity.Text, MaxLen: 300, Flags: std},
		{Name: "payment_terms", Label: i18n.T("付款条件", "Payment terms"), Kind: entity.LongText, Flags: entity.Export | entity.Import},
		{Name: "service_content", Label: i18n.T("服务内容", "Service content"), Kind: entity.LongText, Flags: entity.Export | entity.Import},
		{Name: "after_sales_terms", Label: i18n.T("售后条款", "After-sales terms"), Kind: entity.LongText, Flags: entity.Export | entity.Import},
		{Name: "notes", Label: i18n.T("备注与承诺", "Notes and promises"), Kind: entity.LongText, Flags: entity.Export | entity.Import | entity.Search},
		{Name: "discount_reason", Label: i18n.T("折扣理由", "Reason for the discount"), Kind: entity.LongText, Flags: entity.Export | entity.Import},
		{Name: "subtotal", Label: i18n.T("折前金额", "Before discount"), Kind: entity.Money, Default: int64(0), Flags: entity.ReadOnly | f | s | entity.Export | entity.NotNull},
		{Name: "discount_amount", Label: i18n.T("折扣金额", "Discount"), Kind: entity.Money, Default: int64(0), Flags: entity.ReadOnly | f | s | entity.Export | entity.NotNull},
		{Name: "net_amount", Label: i18n.T("不含税金额", "Net amount"), Kind: entity.Money, Default: int64(0), Flags: entity.ReadOnly | f | s | entity.Export | entity.NotNull},
		{Name: "tax_amount", Label: i18n.T("税额", "Tax"), Kind: entity.Money, Default: int64(0), Flags: entity.ReadOnly | f | s | entity.Export | entity.NotNull},
		{Name: "total", Label: i18n.T("含税总额", "Total"), Kind: entity.Money, Default: int64(0), Flags: entity.ReadOnly | f | s | entity.Export | entity.Listed | entity.NotNull},
		{Name: "max_discount_bp", Label: i18n.T("最大折扣（%）", "Largest discount (%)"), Kind: entity.Integer, Scale: percentScale, Default: int64(0), Flags: entity.ReadOnly | f | s | entity.Export | entity.Listed | entity.NotNull},
		{Name: "submitted_at", Label: i18n.T("提交时间", "Submitted at"), Kind: entity.DateTime, Flags: entity.ReadOnly | f | s | entity.Export},
		{Name: "sent_at", Label: i18n.T("发送时间", "Sent at"), Kind: entity.DateTime, Flags: entity.ReadOnly | f | s | entity.Export},
		{Name: "decided_at", Label: i18n.T("客户答复时间", "Customer answered at"), Kind: entity.DateTime, Flags: entity.ReadOnly | f | s | entity.Export},
		{Name: "rejected_reason", Label: i18n.T("客户拒绝原因", "Why the customer rejected"), Kind: entity.LongText, Flags: entity.ReadOnly | entity.Export},
	},
}).Init()

// QuoteLine is one priced line of a quote; its totals are computed.
var QuoteLine = (&entity.Entity{
	Name: "quote_line", Resource: "quote-lines", Table: "quote_lines",
	Label: i18n.T("报价明细", "Quote line"), Plural: i18n.T("报价明细", "Quote lines"),
	Title: "name", DefaultSort: "position",
	Vis: entity.Visibility{Parents: []string{"quote_id"}},
	Fields: []*entity.Field{
		{Name: "quote_id", Label: i18n.T("报价单", "Quote"), Kind: entity.Ref, Ref: "quote", Required: true, Flags: entity.ReadOnly | f | entity.Export | entity.Listed | entity.NotNull},
		{Name: "position", Label: i18n.T("序号", "No."), Kind: entity.Integer, Required: true, Min: ptr(1), Max: ptr(10000), Flags: entity.ReadOnly | f | s | entity.Export | entity.Listed | entity.NotNull},
		{Name: "product_id", Label: i18n.T("产品", "Product"), Kind: entity.Ref, Ref: "product", Flags: f | entity.Export | entity.Import | entity.Listed},
		{Name: "name", Label: i18n.T("名称", "Name"), Kind: entity.Text, Required: true, Flags: std | entity.Listed | entity.NotNull},
		{Name: "spec", Label: i18n.T("规格型号", "Specification"), Kind: entity.Text, MaxLen: 300, Flags: std | entity.Listed},
		{Name: "unit", Label: i18n.T("单位", "Unit"), Kind: entity.Text, MaxLen: 20, Flags: std | entity.Listed},
		{Name: "quantity", Label: i18n.T("数量", "Quantity"), Kind: entity.Integer, Required: true, Min: ptr(1), Max: ptr(1e9), Flags: std | entity.Listed | entity.NotNull},
		{Name: "unit_price", Label: i18n.T("单价", "Unit price"), Kind: entity.Money, Required: true, Min: ptr(0), Max: ptr(1e13), Flags: std | entity.Listed | entity.NotNull},
		{Name: "discount_bp", Label: i18n.T("折扣（%）", "Discount (%)"), Kind: entity.Integer, Scale: percentScale, Default: int64(0), Min: ptr(0), Max: ptr(10000), Flags: std | entity.Listed | entity.NotNull},
		{Name: "tax_rate_bp", Label: i18n.T("税率（%）", "Tax rate (%)"), Kind: entity.Integer, Scale: percentScale, Default: int64(1300), Min: ptr(0), Max: ptr(10000), Flags: std | entity.Listed | entity.NotNull},
		{Name: "net_amount", Label: i18n.T("不含税金额", "Net amount"), Kind: entity.Money, Default: int64(0), Flags: entity.ReadOnly | f | s | entity.Export | entity.NotNull},
		{Name: "tax_amount", Label: i18n.T("税额", "Tax"), Kind: entity.Money, Default: int64(0), Flags: entity.ReadOnly | f | s | entity.Export | entity.NotNull},
		{Name: "line_total", Label: i18n.T("含税金额", "Line total"), Kind: entity.Money, Default: int64(0), Flags: entity.ReadOnly | f | s | entity.Export | entity.Listed | entity.NotNull},
	},
}).Init()

// Contract is the signed agreement (合同), from a quote or typed directly.
var Contract = (&entity.Entity{
	Name: "contract", Resource: "contracts", Table: "contracts",
	Label: i18n.T("合同", "Contract"), Plural: i18n.T("合同", "Contracts"),
	Title: "number", Subtitle: "title",
	Vis:        entity.Visibility{Owned: true, Grants: true},
	SoftDelete: true, Customizable: true,
	Fields: []*entity.Field{
		{Name: "number", Label: i18n.T("合同编号", "Number"), Kind: entity.Text, MaxLen: 40, Flags: entity.ReadOnly | f | s | entity.Listed | entity.Search | entity.Export | entity.NotNull},
		{Name: "title", Label: i18n.T("合同名称", "Title"), Kind: entity.Text, Required: true, Flags: std | entity.Listed | entity.Search | entity.NotNull},
		{Name: "customer_id", Label: i18n.T("客户", "Customer"), Kind: entity.Ref, Ref: "customer", Required: true, Flags: f | entity.Export | entity.Import | entity.Listed | entity.NotNull},
		{Name: "opportunity_id", Label: i18n.T("商机", "Opportunity"), Kind: entity.Ref, Ref: "opportunity", Flags: f | entity.Export | entity.Import},
		{Name: "quote_id", Label: i18n.T("来源报价单", "From quote"), Kind: entity.Ref, Ref: "quote", Flags: entity.ReadOnly | f | entity.Export},
		{Name: "status", Label: i18n.T("状态", "Status"), Kind: entity.Select, Options: ContractStatuses, Default: ContractDraft, Flags: entity.ReadOnly | f | s | entity.Export | entity.Listed | entity.NotNull},
		{Name: "amount", Label: i18n.T("合同金额（含税）", "Amount (incl. tax)"), Kind: entity.Money, Required: true, Min: ptr(0), Flags: std | entity.Listed | entity.NotNull},
		{Name: "currency", Label: i18n.T("币种", "Currency"), Kind: entity.Select, Options: Currencies, Default: "CNY", Flags: std | entity.NotNull},
		{Name: "party_a", Label: i18n.T("甲方（客户）", "Party A (customer)"), Kind: entity.Text, MaxLen: 200, Flags: std},
		{Name: "party_b", Label: i18n.T("乙方（我方）", "Party B (us)"), Kind: entity.Text, MaxLen: 200, Flags: std},
		{Name: "signer_contact_id", Label: i18n.T("客户签约人", "Customer signatory"), Kind: entity.Ref, Ref: "contact", Flags: f | entity.Export | entity.Import},
		{Name: "payment_method", Label: i18n.T("付款方式", "Payment method"), Kind: entity.Select, Options: PaymentMethods, Flags: std},
		{Name: "delivery_terms", Label: i18n.T("交付条款", "Delivery terms"), Kind: entity.LongText, Flags: entity.Export | entity.Import},
		{Name: "scope", Label: i18n.T("供货/服务范围", "Scope"), Kind: entity.LongText, Flags: entity.Export | entity.Import},
		{Name: "terms", Label: i18n.T("主要条款", "Terms"), Kind: entity.LongText, Flags: entity.Export | entity.Import},
		{Name: "special_requirements", Label: i18n.T("特殊要求", "Special requirements"), Kind: entity.LongText, Flags: entity.Export | entity.Import},
		{Name: "terms_confirmed", Label: i18n.T("已确认条款", "Terms confirmed"), Kind: entity.MultiSelect, Options: ContractTermItems, Flags: entity.ReadOnly | f | entity.Export},
		{Name: "signed_on", Label: i18n.T("签订日期", "Signed on"), Kind: entity.Date, Flags: entity.ReadOnly | f | s | entity.Export | entity.Listed},
		{Name: "valid_from", Label: i18n.T("生效日期", "Valid from"), Kind: entity.Date, Flags: std},
		{Name: "valid_to", Label: i18n.T("到期日期", "Valid to"), Kind: entity.Date, Flags: std | entity.Listed},
		{Name: "renewal_date", Label: i18n.T("续约提醒日期", "Renewal date"), Kind: entity.Date, Flags: std},
		{Name: "warranty_until", Label: i18n.T("质保到期", "Warranty until"), Kind: entity.Date, Flags: std},
		{Name: "terminated_reason", Label: i18n.T("终止原因", "Why terminated"), Kind: entity.LongText, Flags: entity.ReadOnly | entity.Export},
		// Added by the contracts part (migration 0012): who receives the
		// hand-over at signing, and when an approval or a termination happened.
		{Name: "delivery_owner_id", Label: i18n.T("交付负责人", "Delivery owner"), Kind: entity.User, Flags: std | entity.Listed},
		{Name: "service_owner_id", Label: i18n.T("售后负责人", "After-sales owner"), Kind: entity.User, Flags: std},
		{Name: "approved_at", Label: i18n.T("审批通过时间", "Approved at"), Kind: entity.DateTime, Flags: entity.ReadOnly | f | s | entity.Export},
		{Name: "terminated_at", Label: i18n.T("终止时间", "Terminated at"), Kind: entity.DateTime, Flags: entity.ReadOnly | f | s | entity.Export},
	},
}).Init()

// PaymentInstalment is one instalment of a contract's payment plan. Invoices
// and payments keep its invoiced and paid amounts and its status.
var PaymentInstalment = (&entity.Entity{
	Name: "payment_instalment", Resource: "payment-instalments", Table: "payment_instalments",
	Label: i18n.T("回款计划", "Instalment"), Plural: i18n.T("回款计划", "Instalments"),
	Title: "label", DefaultSort: "due_date",
	Vis:        entity.Visibility{Parents: []string{"contract_id"}},
	SoftDelete: true,
	Fields: []*entity.Field{
		{Name: "contract_id", Label: i18n.T("合同", "Contract"), Kind: entity.Ref, Ref: "contract", Required: true, Flags: f | entity.Export | entity.Import | entity.Listed | entity.NotNull},
		{Name: "customer_id", Label: i18n.T("客户", "Customer"), Kind: entity.Ref, Ref: "customer", Flags: entity.ReadOnly | f | entity.Export | entity.Listed},
		{Name: "position", Label: i18n.T("期次", "No."), Kind: entity.Integer, Required: true, Min: ptr(1), Max: ptr(1000), Flags: std | entity.Listed | entity.NotNull},
		{Name: "kind", Label: i18n.T("款项类型", "Kind"), Kind: entity.Select, Options: InstalmentKinds, Required: true, Flags: std | entity.Listed | entity.NotNull},
		{Name: "label", Label: i18n.T("名称", "Label"), Kind: entity.Text, MaxLen: 100, Flags: entity.ReadOnly | f | entity.Export | entity.NotNull},
		{Name: "due_date", Label: i18n.T("计划回款日期", "Due date"), Kind: entity.Date, Required: true, Flags: std | entity.Listed | entity.NotNull},
		{Name: "amount", Label: i18n.T("计划金额", "Amount"), Kind: entity.Money, Required: true, Min: ptr(1), Flags: std | entity.Listed | entity.NotNull},
		{Name: "condition", Label: i18n.T("付款条件", "Condition"), Kind: entity.Text, MaxLen: 300, Flags: std | entity.Listed},
		{Name: "invoiced_amount", Label: i18n.T("已开票金额", "Invoiced"), Kind: entity.Money, Default: int64(0), Flags: entity.ReadOnly | f | s | entity.Export | entity.Listed | entity.NotNull},
		{Name: "paid_amount", Label: i18n.T("已回款金额", "Received"), Kind: entity.Money, Default: int64(0), Flags: entity.ReadOnly | f | s | entity.Export | entity.Listed | entity.NotNull},
		{Name: "status", Label: i18n.T("状态", "Status"), Kind: entity.Select, Default: InstalmentOpen, Flags: entity.ReadOnly | f | s | entity.Export | entity.Listed | entity.NotNull, Options: []entity.Option{
			opt(InstalmentOpen, "未回款", "Open"), opt(InstalmentPartly, "部分回款", "Partly paid"), opt(InstalmentPaid, "已回款", "Paid")}},
		{Name: "reminded_at", Label: i18n.T("已提醒时间", "Reminded at"), Kind: entity.DateTime, Flags: entity.ReadOnly | entity.Export},
		// The contract's owner, team and currency, and whether it is signed
		// (receivable), kept on the instalment (migration 0014) so
		// receivables are summed by who sells without a join.
		{Name: "owner_id", Label: i18n.T("合同负责人", "Contract owner"), Kind: entity.User, Flags: entity.ReadOnly | f | s | entity.Export},
		{Name: "team_id", Label: i18n.T("合同所属团队", "Contract team"), Kind: entity.Ref, Ref: "team", Flags: entity.ReadOnly | f | entity.Export},
		{Name: "currency", Label: i18n.T("币种", "Currency"), Kind: entity.Select, Options: Currencies, Flags: entity.ReadOnly | f | entity.Export},
		{Name: "receivable", Label: i18n.T("计入应收", "Receivable"), Kind: entity.Bool, Default: false, Flags: entity.ReadOnly | f | entity.Export | entity.NotNull,
			Help: i18n.T("合同签订后计入应收账款与账龄", "Counted in receivables and ageing once the contract is signed")},
		{Name: "overdue_notified_at", Label: i18n.T("逾期提醒时间", "Overdue notice sent at"), Kind: entity.DateTime, Flags: entity.ReadOnly | entity.Export},
	},
}).Init()

// SalesOrder is an order to deliver (订单), from a contract or a quote.
var SalesOrder = (&entity.Entity{
	Name: "sales_order", Resource: "orders", Table: "sales_orders",
	Label: i18n.T("订单", "Order"), Plural: i18n.T("订单", "Orders"),
	Title: "number", Subtitle: "customer_name",
	// Sales reps read the orders of their customers (fulfilment): visible
	// through the customer as well as by owner.
	Vis:        entity.Visibility{Owned: true, Grants: true, Parents: []string{"customer_id"}},
	SoftDelete: true, Customizable: true,
	Fields: []*entity.Field{
		{Name: "number", Label: i18n.T("订单号", "Number"), Kind: entity.Text, MaxLen: 40, Flags: entity.ReadOnly | f | s | entity.Listed | entity.Search | entity.Export | entity.NotNull},
		{Name: "customer_id", Label: i18n.T("客户", "Customer"), Kind: entity.Ref, Ref: "customer", Required: true, Flags: f | entity.Export | entity.Import | entity.Listed | entity.NotNull},
		{Name: "customer_name", Label: i18n.T("客户名称", "Customer name"), Kind: entity.Text, Flags: entity.ReadOnly | f | entity.Export},
		{Name: "contract_id", Label: i18n.T("合同", "Contract"), Kind: entity.Ref, Ref: "contract", Flags: f | entity.Export | entity.Import | entity.Listed},
		{Name: "quote_id", Label: i18n.T("报价单", "Quote"), Kind: entity.Ref, Ref: "quote", Flags: f | entity.Export | entity.Import},
		{Name: "opportunity_id", Label: i18n.T("商机", "Opportunity"), Kind: entity.Ref, Ref: "opportunity", Flags: entity.ReadOnly | f | entity.Export},
		{Name: "handover_id", Label: i18n.T("交接报告", "Hand-over report"), Kind: entity.Ref, Ref: "handover", Flags: entity.ReadOnly | f | entity.Export},
		{Name: "status", Label: i18n.T("状态", "Status"), Kind: entity.Select, Options: OrderStatuses, Default: OrderDraft, Flags: entity.ReadOnly | f | s | entity.Export | entity.Listed | entity.NotNull},
		{Name: "requested_date", Label: i18n.T("要求交货日期", "Requested delivery"), Kind: entity.Date, Flags: std | entity.Listed},
		{Name: "currency", Label: i18n.T("币种", "Currency"), Kind: entity.Select, Options: Currencies, Default: "CNY", Flags: std | entity.NotNull},
		{Name: "total", Label: i18n.T("订单金额（含税）", "Total (incl. tax)"), Kind: entity.Money, Default: int64(0), Flags: entity.ReadOnly | f | s | entity.Export | entity.Listed | entity.NotNull},
		{Name: "ship_to", Label: i18n.T("收货地址", "Ship to"), Kind: entity.Text, MaxLen: 300, Flags: std},
		{Name: "receiver_name", Label: i18n.T("收货人", "Receiver"), Kind: entity.Text, MaxLen: 50, Flags: std},
		{Name: "receiver_phone", Label: i18n.T("收货人电话", "Receiver's phone"), Kind: entity.Phone, Flags: std | entity.Contact},
		{Name: "notes", Label: i18n.T("备注", "Notes"), Kind: entity.LongText, Flags: entity.Export | entity.Import},
	},
}).Init()

// OrderLine is one line of an order, with what is reserved and delivered.
var OrderLine = (&entity.Entity{
	Name: "order_line", Resource: "order-lines", Table: "order_lines",
	Label: i18n.T("订单明细", "Order line"), Plural: i18n.T("订单明细", "Order lines"),
	Title: "name", DefaultSort: "position",
	Vis: entity.Visibility{Parents: []string{"order_id", "customer_id"}},
	Fields: []*entity.Field{
		{Name: "order_id", Label: i18n.T("订单", "Order"), Kind: entity.Ref, Ref: "sales_order", Required: true, Flags: f | entity.Export | entity.Import | entity.Listed | entity.NotNull},
		{Name: "customer_id", Label: i18n.T("客户", "Customer"), Kind: entity.Ref, Ref: "customer", Flags: entity.ReadOnly | f | entity.Export},
		{Name: "position", Label: i18n.T("序号", "No."), Kind: entity.Integer, Required: true, Min: ptr(1), Max: ptr(10000), Flags: std | entity.Listed | entity.NotNull},
		{Name: "product_id", Label: i18n.T("产品", "Product"), Kind: entity.Ref, Ref: "product", Flags: f | entity.Export | entity.Import | entity.Listed},
		// Not Required: a line with a product takes its name (fulfilment's hook); one without says it is missing.
		{Name: "name", Label: i18n.T("名称", "Name"), Kind: entity.Text, Help: i18n.T("不填时取所选产品的名称", "The product's name when left empty"), Flags: std | entity.Listed | entity.NotNull},
		{Name: "spec", Label: i18n.T("规格型号", "Specification"), Kind: entity.Text, MaxLen: 300, Flags: std | entity.Listed},
		{Name: "unit", Label: i18n.T("单位", "Unit"), Kind: entity.Text, MaxLen: 20, Flags: std | entity.Listed},
		{Name: "quantity", Label: i18n.T("数量", "Quantity"), Kind: entity.Integer, Required: true, Min: ptr(1), Max: ptr(1e9), Flags: std | entity.Listed | entity.NotNull},
		{Name: "unit_price", Label: i18n.T("单价（含税）", "Unit price (incl. tax)"), Kind: entity.Money, Default: int64(0), Min: ptr(0), Flags: std | entity.Listed | entity.NotNull},
		{Name: "line_total", Label: i18n.T("含税金额", "Line total"), Kind: entity.Money, Default: int64(0), Flags: entity.ReadOnly | f | s | entity.Export | entity.NotNull},
		{Name: "reserved_qty", Label: i18n.T("已预留", "Reserved"), Kind: entity.Integer, Default: int64(0), Flags: entity.ReadOnly | f | s | entity.Export | entity.Listed | entity.NotNull},
		{Name: "delivered_qty", Label: i18n.T("已发货", "Delivered"), Kind: entity.Integer, Default: int64(0), Flags: entity.ReadOnly | f | s | entity.Export | entity.Listed | entity.NotNull},
	},
}).Init()

// InsalesEntities are the in-sales spine's declarations, in dependency order.
func InsalesEntities() []*entity.Entity {
	return []*entity.Entity{Product, PriceList, PriceListItem, Quote, QuoteLine, Contract, PaymentInstalment, SalesOrder, OrderLine}
}
