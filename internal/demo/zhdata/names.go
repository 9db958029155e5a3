// Package zhdata makes realistic Chinese business data — people, companies,
// places, phone numbers and the words sales people write — from a seeded
// random source, so the demo set and the benchmark generator are both
// deterministic and look like what a Chinese sales team keeps.
//
// The name spaces are large on purpose: a one-character search (张) should
// hit a realistic share of people (about 7 %), a two-character one (张伟)
// a small fraction, as in a real customer base.
package zhdata

// surnames are the most common Chinese surnames with weights roughly
// proportional to their frequency (per mille of the population).
var surnames = []Choice{
	{"王", 73}, {"李", 72}, {"张", 69}, {"刘", 54}, {"陈", 45}, {"杨", 31}, {"赵", 22}, {"黄", 22},
	{"周", 21}, {"吴", 20}, {"徐", 17}, {"孙", 15}, {"胡", 13}, {"朱", 13}, {"高", 12}, {"林", 12},
	{"何", 12}, {"郭", 12}, {"马", 11}, {"罗", 9}, {"梁", 9}, {"宋", 8}, {"郑", 8}, {"谢", 7},
	{"韩", 7}, {"唐", 7}, {"冯", 7}, {"于", 6}, {"董", 6}, {"萧", 6}, {"程", 6}, {"曹", 6},
	{"袁", 5}, {"邓", 5}, {"许", 5}, {"傅", 5}, {"沈", 5}, {"曾", 5}, {"彭", 5}, {"吕", 5},
	{"苏", 5}, {"卢", 5}, {"蒋", 5}, {"蔡", 5}, {"贾", 4}, {"丁", 4}, {"魏", 4}, {"薛", 4},
	{"叶", 4}, {"阎", 4}, {"余", 4}, {"潘", 4}, {"杜", 4}, {"戴", 3}, {"夏", 3}, {"钟", 3},
	{"汪", 3}, {"田", 3}, {"任", 3}, {"姜", 3}, {"范", 3}, {"方", 3}, {"石", 3}, {"姚", 3},
	{"谭", 3}, {"廖", 3}, {"邹", 3}, {"熊", 3}, {"金", 3}, {"陆", 3}, {"郝", 3}, {"孔", 2},
	{"白", 2}, {"崔", 2}, {"康", 2}, {"毛", 2}, {"邱", 2}, {"秦", 2}, {"江", 2}, {"史", 2},
	{"顾", 2}, {"侯", 2}, {"邵", 2}, {"孟", 2}, {"龙", 2}, {"万", 2}, {"段", 2}, {"雷", 2},
	{"钱", 2}, {"汤", 2}, {"尹", 2}, {"黎", 2}, {"易", 2}, {"常", 2}, {"武", 2}, {"乔", 2},
	{"贺", 2}, {"赖", 2}, {"龚", 2}, {"文", 2}, {"欧阳", 1}, {"司马", 1}, {"诸葛", 1}, {"上官", 1},
}

// givenMale and givenFemale are characters common in given names.
const (
	givenMale = "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆帅旭宁龙林阳晨博文斌彬建国志东海峰亮成康星光天达安岩中茂进亮新利清飞彪富顺信子杰之" +
		"乐绍功松善厚庆磊民友裕河哲江超浩亮政谦亨奇固之轮翰朗伯宏言若鸣朋斌梁栋维启克伦翔旭鹏泽晨辰士以建家致树炎德行时泰盛雄琛钧冠策腾楠榕风航弘"
	givenFemale = "芳娜敏静丽艳娟霞秀玲桂英华慧巧美娅琳素云莲真环雪荣爱妹香月莺媛瑞凡佳嘉琼勤珍贞莉兰凤洁梅琳素云莲真环雪荣爱妹霞香月莺媛艳瑞凡佳" +
		"婷姣婉娴瑾颖露瑶怡婵雁蓓纨仪荷丹蓉眉君琴蕊薇菁梦岚苑婕馨瑗琰韵融园艺咏卿聪澜纯毓悦昭冰爽琬茗羽希宁欣飘育滢馥筠柔竹霭凝晓欢霄枫芸菲寒伊亚宜可姬舒影荔枝丽阳妮宝贝初程梵罡恒鸿桦骅剑娇纪宽苛灵玛媚琪晴容睿烁堂唯威韦雯苇萱阅彦宇雨洋忠宗曼紫逸贤蝶菡绿蓝儿翠烟"
)

// Person is a generated person's name.
type Person struct {
	Surname, Given string
	Female         bool
}

// Name is the full name (surname first, as Chinese names are written).
func (p Person) Name() string { return p.Surname + p.Given }
