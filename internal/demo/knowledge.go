package demo

import (
	"context"
	"fmt"

	"closeloop/internal/entity"
)

// articles are the demo knowledge base (售前知识库) of the demo company, a
// maker of intelligent production equipment: solutions, success cases,
// FAQs, competitor notes and product material, some public (for the
// customer portal to come), most internal.
var articles = []struct {
	title, category, audience, product, summary, body string
	tags                                              []string
}{
	{"汽车零部件产线视觉检测解决方案", "solution", "public", "智检 V3 视觉检测系统",
		"在线检测划伤、缺料和尺寸偏差，替代人工目检",
		"适用场景：冲压件、压铸件和注塑件的在线外观检测。\n方案构成：工业相机与光源、边缘计算盒、缺陷识别模型、与 MES 对接的质量看板。\n量化价值：漏检率由人工目检的约 3% 降到 0.3% 以下，每条产线减少 4 名质检员，投资回收期约 14 个月。\n实施周期：样件打样 2 周，试运行 4 周，正式验收 2 周。",
		[]string{"机器视觉", "质检", "汽车零部件"}},
	{"苏州恒瑞精密：CNC 车间设备联网与 OEE 提升", "case", "internal", "设备联网平台",
		"120 台 CNC 联网，OEE 从 58% 提升到 71%",
		"客户背景：苏州恒瑞精密机械有限公司，精密零件加工，两个 CNC 车间共 120 台设备，品牌混杂（发那科、三菱、国产系统）。\n痛点：停机原因靠纸面记录，设备利用率说不清，夜班无人看管。\n我们做了什么：协议网关接入全部设备，停机原因扫码上报，车间大屏与手机推送。\n结果：三个月后 OEE 从 58% 提升到 71%，换型时间缩短 35%。客户同意作为参观样板（需提前两周预约）。",
		[]string{"设备联网", "OEE", "成功案例"}},
	{"常见问题：设备联网需要改造现有 PLC 吗？", "faq", "public", "设备联网平台",
		"大多数情况下不需要，协议网关直接读取",
		"不需要。我们的协议网关支持西门子 S7、三菱 MC、欧姆龙 FINS、Modbus TCP 和 OPC UA，直接读取现有 PLC 与数控系统的数据，不改程序、不停产。\n少数老旧设备没有通讯口时，可加装电流传感器采集开关机与负载状态。\n现场勘查一般半天即可给出接入清单。",
		[]string{"设备联网", "PLC"}},
	{"竞品分析：与进口品牌视觉系统的对比", "competitor", "internal", "智检 V3 视觉检测系统",
		"价格约为进口品牌的 60%，交付与本地服务是主要优势",
		"价格：同等配置报价约为进口品牌的 60%。\n优势：本地团队 48 小时到场；缺陷模型可按客户样件定制；支持国产操作系统与数据不出厂。\n劣势：高速（每分钟 600 件以上）场景案例较少；海外工厂无法提供服务。\n应对建议：强调试运行对比测试，争取样件免费打样。",
		[]string{"竞品", "视觉检测"}},
	{"智能仓储 AGV 调度系统产品介绍", "product", "public", "AGV 调度系统",
		"多品牌 AGV 统一调度，支持与 WMS、MES 对接",
		"功能：地图与路径规划、多车避让、任务优先级、充电调度、异常报警。\n对接：提供标准 REST 接口，已与主流 WMS、MES 完成对接。\n规模：单套系统支持 200 台车辆，响应时间小于 100 毫秒。\n部署：支持私有化部署，最低配置两台服务器。",
		[]string{"AGV", "智能仓储"}},
	{"投标资质清单与准备时间", "faq", "internal", "",
		"营业执照、ISO 认证、软件著作权等，原件准备至少一周",
		"常用资质：营业执照、ISO 9001 与 ISO 14001 证书、高新技术企业证书、软件著作权登记证书、近三年类似项目业绩合同。\n准备时间：复印件与扫描件一天内可由商务部提供；原件和法人授权书需提前一周申请。\n注意：部分国企招标要求提供近三年财务审计报告和社保缴纳证明。",
		[]string{"投标", "资质"}},
}

// knowledge writes the demo knowledge base as the pre-sales engineers.
func (l *loader) knowledge(ctx context.Context, _ int) error {
	if len(l.o.presales) == 0 {
		return nil
	}
	for i, a := range articles {
		author := l.o.presales[i%len(l.o.presales)]
		rec := entity.Record{"title": a.title, "category": a.category, "audience": a.audience, "summary": a.summary, "body": a.body, "tags": a.tags}
		if a.product != "" {
			rec["product"] = a.product
		}
		if _, err := l.a.Records.Create(ctx, author.p, "knowledge_article", rec); err != nil {
			return fmt.Errorf("article %s: %w", a.title, err)
		}
	}
	return nil
}
