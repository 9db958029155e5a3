package crm

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/6tail/lunar-go/calendar"

	"closeloop/internal/entity"
	"closeloop/internal/i18n"
)

// Proactive care (主动关怀, seeds 000 节假日或客户生日时发送祝福, 004 公司周年、
// 合作纪念日): every day each account owner gets the list of the coming
// days — their contacts' birthdays (solar, or lunar for those who keep the
// lunar calendar), the holidays care rules name for the customer's level,
// contract anniversaries, warranties and contracts about to expire — and
// may send a greeting by e-mail, never to a contact who asked not to be
// contacted. The date rules are here, without database; the planning job,
// the greetings and the opportunities raised from service live in
// internal/care.

func init() { registerAftersales(CareRule, CareReminder) }

// Care reminder kinds.
const (
	CareBirthday            = "birthday"
	CareHoliday             = "holiday"
	CareContractAnniversary = "contract_anniversary"
	CareWarrantyExpiry      = "warranty_expiry"
	CareContractExpiry      = "contract_expiry"
)

// CareKinds label the reminder kinds.
var CareKinds = []entity.Option{
	opt(CareBirthday, "生日", "Birthday"), opt(CareHoliday, "节日", "Holiday"),
	opt(CareContractAnniversary, "合作纪念日", "Contract anniversary"),
	opt(CareWarrantyExpiry, "保修到期", "Warranty expiring"), opt(CareContractExpiry, "合同到期", "Contract expiring"),
}

// Care reminder statuses: pending until the owner marks it done (greeted,
// called …) or skipped.
const (
	CarePending = "pending"
	CareDone    = "done"
	CareSkipped = "skipped"
)

// CareStatuses label the statuses.
var CareStatuses = []entity.Option{
	opt(CarePending, "待处理", "Pending"), opt(CareDone, "已完成", "Done"), opt(CareSkipped, "已跳过", "Skipped"),
}

// Holidays a care rule may name: five by the lunar calendar, two solar.
const (
	HolidaySpringFestival = "spring_festival" // 春节 正月初一
	HolidayLantern        = "lantern"         // 元宵 正月十五
	HolidayDragonBoat     = "dragon_boat"     // 端午 五月初五
	HolidayMidAutumn      = "mid_autumn"      // 中秋 八月十五
	HolidayDoubleNinth    = "double_ninth"    // 重阳 九月初九
	HolidayNewYear        = "new_year"        // 元旦 1月1日
	HolidayNationalDay    = "national_day"    // 国庆 10月1日
)

// CareHolidays label the holidays.
var CareHolidays = []entity.Option{
	opt(HolidaySpringFestival, "春节", "Spring Festival"), opt(HolidayLantern, "元宵节", "Lantern Festival"),
	opt(HolidayDragonBoat, "端午节", "Dragon Boat Festival"), opt(HolidayMidAutumn, "中秋节", "Mid-Autumn Festival"),
	opt(HolidayDoubleNinth, "重阳节", "Double Ninth Festival"), opt(HolidayNewYear, "元旦", "New Year's Day"),
	opt(HolidayNationalDay, "国庆节", "National Day"),
}

// holidayDates are the month and day of each holiday, lunar or solar.
var holidayDates = map[string]struct {
	lunar      bool
	month, day int
}{
	HolidaySpringFestival: {true, 1, 1}, HolidayLantern: {true, 1, 15}, HolidayDragonBoat: {true, 5, 5},
	HolidayMidAutumn: {true, 8, 15}, HolidayDoubleNinth: {true, 9, 9},
	HolidayNewYear: {false, 1, 1}, HolidayNationalDay: {false, 10, 1},
}

// Care rule kinds: a holiday rule plans that holiday for the customers of
// its levels; a birthday rule only decides whether birthday greetings go
// out by themselves (birthdays are always on the list).
const (
	CareRuleHoliday  = "holiday"
	CareRuleBirthday = "birthday"
)

// CareRuleKinds label the rule kinds.
var CareRuleKinds = []entity.Option{opt(CareRuleHoliday, "节日关怀", "Holiday"), opt(CareRuleBirthday, "生日关怀", "Birthday")}

// CareRule says which customers get a holiday on their owner's list (by
// level; none named: all) and whether the greeting is sent by itself.
var CareRule = (&entity.Entity{
	Name: "care_rule", Resource: "care-rules", Table: "care_rules",
	Label: i18n.T("关怀规则", "Care rule"), Plural: i18n.T("关怀规则", "Care rules"),
	Title: "name", Subtitle: "holiday", DefaultSort: "name",
	SoftDelete: true,
	Fields: []*entity.Field{
		{Name: "name", Label: i18n.T("名称", "Name"), Kind: entity.Text, Required: true, MaxLen: 100, Flags: std | entity.Listed | entity.Search | entity.NotNull},
		{Name: "kind", Label: i18n.T("类型", "Kind"), Kind: entity.Select, Options: CareRuleKinds, Required: true, Default: CareRuleHoliday, Flags: std | entity.Listed | entity.NotNull},
		{Name: "holiday", Label: i18n.T("节日", "Holiday"), Kind: entity.Select, Options: CareHolidays, Flags: std | entity.Listed,
			Help: i18n.T("节日关怀必填；春节、元宵、端午、中秋、重阳按农历计算。", "Required for a holiday rule; Spring Festival, Lantern, Dragon Boat, Mid-Autumn and Double Ninth follow the lunar calendar.")},
		{Name: "customer_levels", Label: i18n.T("客户级别", "Customer levels"), Kind: entity.MultiSelect, Picklist: "customer_level", Flags: f | entity.Export | entity.Import | entity.Listed,
			Help: i18n.T("不选则适用于所有客户。", "None chosen: every customer.")},
		{Name: "auto_greeting", Label: i18n.T("自动发送祝福邮件", "Send the greeting by itself"), Kind: entity.Bool, Default: false, Flags: std | entity.Listed | entity.NotNull},
		{Name: "active", Label: i18n.T("启用", "Active"), Kind: entity.Bool, Default: true, Flags: std | entity.Listed | entity.NotNull},
		{Name: "notes", Label: i18n.T("备注", "Notes"), Kind: entity.LongText, Flags: entity.Export | entity.Import},
	},
}).Init()

// CareReminder is one line of an owner's care list: what (kind, title),
// when (date), about whom (customer, contact) and the record it comes from
// (subject_entity/subject_id). unique_key — kind, subject and date — makes
// the daily planning idempotent — a reminder deleted to the trash keeps
// its key, so planning does not bring it back. Owned by the customer's
// owner and also seen through the customer.
var CareReminder = (&entity.Entity{
	Name: "care_reminder", Resource: "care-reminders", Table: "care_reminders",
	Label: i18n.T("关怀提醒", "Care reminder"), Plural: i18n.T("关怀提醒", "Care reminders"),
	Title: "title", Subtitle: "date", DefaultSort: "date",
	Vis:        entity.Visibility{Owned: true, Parents: []string{"customer_id"}},
	SoftDelete: true,
	Fields: []*entity.Field{
		{Name: "title", Label: i18n.T("事项", "Title"), Kind: entity.Text, Required: true, MaxLen: 300, Flags: std | entity.Listed | entity.Search | entity.NotNull},
		{Name: "kind", Label: i18n.T("类型", "Kind"), Kind: entity.Select, Options: CareKinds, Required: true, Flags: std | entity.Listed | entity.NotNull},
		{Name: "date", Label: i18n.T("日期", "Date"), Kind: entity.Date, Required: true, Flags: std | entity.Listed | entity.NotNull},
		{Name: "status", Label: i18n.T("状态", "Status"), Kind: entity.Select, Options: CareStatuses, Default: CarePending, Flags: entity.ReadOnly | f | s | entity.Export | entity.Listed | entity.NotNull},
		{Name: "customer_id", Label: i18n.T("客户", "Customer"), Kind: entity.Ref, Ref: "customer", Required: true, Flags: f | entity.Export | entity.Import | entity.Listed | entity.NotNull},
		{Name: "contact_id", Label: i18n.T("联系人", "Contact"), Kind: entity.Ref, Ref: "contact", Flags: f | entity.Export | entity.Import | entity.Listed},
		{Name: "holiday", Label: i18n.T("节日", "Holiday"), Kind: entity.Select, Options: CareHolidays, Flags: entity.ReadOnly | f | entity.Export},
		{Name: "rule_id", Label: i18n.T("关怀规则", "Care rule"), Kind: entity.Ref, Ref: "care_rule", Flags: entity.ReadOnly | f | entity.Export},
		{Name: "subject_entity", Label: i18n.T("来源记录类型", "Source record type"), Kind: entity.Text, MaxLen: 40, Flags: entity.ReadOnly | f | entity.Export | entity.Hidden},
		{Name: "subject_id", Label: i18n.T("来源记录", "Source record"), Kind: entity.Text, MaxLen: 40, Flags: entity.ReadOnly | f | entity.Export | entity.Hidden},
		{Name: "unique_key", Label: i18n.T("唯一键", "Unique key"), Kind: entity.Text, MaxLen: 200, Flags: entity.ReadOnly | f | entity.Export | entity.Hidden},
		{Name: "auto_greeting", Label: i18n.T("自动发送祝福", "Greeting sent by itself"), Kind: entity.Bool, Default: false, Flags: entity.ReadOnly | f | entity.Export | entity.NotNull},
		{Name: "greeted_at", Label: i18n.T("祝福发送时间", "Greeting sent at"), Kind: entity.DateTime, Flags: entity.ReadOnly | f | s | entity.Export},
		{Name: "done_at", Label: i18n.T("处理时间", "Handled at"), Kind: entity.DateTime, Flags: entity.ReadOnly | f | s | entity.Export},
		{Name: "note", Label: i18n.T("备注", "Note"), Kind: entity.LongText, Flags: entity.Export | entity.Import},
		{Name: "opportunity_id", Label: i18n.T("由此产生的商机", "Opportunity raised"), Kind: entity.Ref, Ref: "opportunity", Flags: entity.ReadOnly | f | entity.Export},
	},
}).Init()

// CareDefaultDays is how many days ahead the care list looks.
const CareDefaultDays = 7

// CareMaxDays bounds the look-ahead setting.
const CareMaxDays = 60

// CareKey is a reminder's unique key: its kind, the record it is about and
// the day. Planning the same day twice finds the key and adds nothing.
func CareKey(kind, subjectID, date string) string { return kind + ":" + subjectID + ":" + date }

func parseDay(s string) (time.Time, bool) {
	if len(s) > 10 {
		s = s[:10]
	}
	t, err := time.Parse(entity.DateLayout, s)
	return t, err == nil
}

func dayString(t time.Time) string { return t.Format(entity.DateLayout) }

// CareWindow lists the days from today through today+days (both ends).
func CareWindow(today string, days int) (from, to string) {
	t, ok := parseDay(today)
	if !ok {
		return today, today
	}
	return today, dayString(t.AddDate(0, 0, days))
}

func inWindow(d, from, to string) bool { return d >= from && d <= to }

// solarOn is month/day in a Gregorian year; 29 February falls on the 28th
// in a common year.
func solarOn(year, month, day int) time.Time {
	last := time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
	if day > last {
		day = last
	}
	return time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC)
}

// LunarToSolar is the Gregorian date of lunar month/day in lunar year y.
// The month is the ordinary month, never its leap repetition (a birthday
// in the 4th month is kept in the 4th month of a year that has a leap
// 4th month too); a day 30 in a month of 29 days falls on the 29th, the
// month's last day. ok is false outside the library's range or for a
// month or day that does not exist at all.
func LunarToSolar(y, month, day int) (date string, ok bool) {
	if month < 1 || month > 12 || day < 1 || day > 30 || y < 1 || y > 9998 {
		return "", false
	}
	defer func() {
		if recover() != nil {
			date, ok = "", false
		}
	}()
	m := calendar.NewLunarYear(y).GetMonth(month)
	if m == nil {
		return "", false
	}
	if n := m.GetDayCount(); day > n {
		day = n
	}
	s := calendar.NewLunarFromYmd(y, month, day).GetSolar()
	return fmt.Sprintf("%04d-%02d-%02d", s.GetYear(), s.GetMonth(), s.GetDay()), true
}

// occurrences returns the Gregorian dates in [from, to] of a yearly date,
// lunar or solar; a lunar year's late months fall in the next Gregorian
// year, so the lunar years around the window are all tried.
func occurrences(lunar bool, month, day int, from, to string) []string {
	f, ok1 := parseDay(from)
	t, ok2 := parseDay(to)
	if !ok1 || !ok2 {
		return nil
	}
	var out []string
	for y := f.Year() - 1; y <= t.Year(); y++ {
		var d string
		if lunar {
			var ok bool
			if d, ok = LunarToSolar(y, month, day); !ok {
				continue
			}
		} else {
			d = dayString(solarOn(y, month, day))
		}
		if inWindow(d, from, to) && !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	slices.Sort(out)
	return out
}

// BirthdaysIn returns the days in [from, to] a contact born on birthday
// celebrates: the same month and day each year, by the lunar calendar when
// calendar is "lunar" (the stored month and day are then lunar ones).
func BirthdaysIn(birthday, cal, from, to string) []string {
	b, ok := parseDay(birthday)
	if !ok {
		// A lunar birthday on day 30 of a month cannot always be a valid
		// Gregorian date string (02-30); accept the digits as written.
		parts := strings.Split(birthday, "-")
		if cal != "lunar" || len(parts) != 3 {
			return nil
		}
		var m, d int
		if _, err := fmt.Sscanf(parts[1]+" "+parts[2], "%d %d", &m, &d); err != nil {
			return nil
		}
		return occurrences(true, m, d, from, to)
	}
	return occurrences(cal == "lunar", int(b.Month()), b.Day(), from, to)
}

// HolidaysIn returns the days in [from, to] of a holiday.
func HolidaysIn(holiday, from, to string) []string {
	h, ok := holidayDates[holiday]
	if !ok {
		return nil
	}
	return occurrences(h.lunar, h.month, h.day, from, to)
}

// AnniversariesIn returns the contract anniversaries in [from, to] of a
// contract signed on signed: whole years after, never the signing day
// itself; the years are returned beside the dates.
func AnniversariesIn(signed, from, to string) (dates []string, years []int) {
	s, ok := parseDay(signed)
	if !ok {
		return nil, nil
	}
	for _, d := range occurrences(false, int(s.Month()), s.Day(), from, to) {
		t, _ := parseDay(d)
		if n := t.Year() - s.Year(); n >= 1 {
			dates, years = append(dates, d), append(years, n)
		}
	}
	return dates, years
}

// WarrantyEnd is the last day of a warranty of months starting on start
// (the day the goods were delivered or signed for): the day before the
// same day months later, clamped to the month's end (31 Jan + 1 month →
// 28/29 Feb). Zero months: no warranty ("").
func WarrantyEnd(start string, months int) string {
	s, ok := parseDay(start)
	if !ok || months <= 0 {
		return ""
	}
	y, m := s.Year(), int(s.Month())+months
	y += (m - 1) / 12
	m = (m-1)%12 + 1
	return dayString(solarOn(y, m, s.Day()).AddDate(0, 0, -1))
}

// ExpiresIn reports whether a last day falls within [from, to].
func ExpiresIn(last, from, to string) bool {
	return last != "" && inWindow(last, from, to)
}

// LevelMatches reports whether a rule for levels applies to a customer of
// level (no levels: every customer).
func LevelMatches(levels []string, level string) bool {
	return len(levels) == 0 || slices.Contains(levels, level)
}

// Greeting is the e-mail a greeting sends, in one language.
type Greeting struct {
	Subject string `json:"subject"`
	Body    string `json:"body"`
}

// DefaultGreetings are the shipped greeting templates: {name} is the
// contact, {holiday} the occasion, {company} our company, {owner} the
// account owner who signs it.
var DefaultGreetings = map[i18n.Lang]Greeting{
	i18n.ZH: {Subject: "{company}祝您{holiday}快乐", Body: "尊敬的{name}：\n\n值此{holiday}之际，{company}全体同仁向您致以诚挚的祝福，感谢您一直以来的信任与支持！\n\n{owner}\n{company}"},
	i18n.EN: {Subject: "Happy {holiday} from {company}", Body: "Dear {name},\n\nOn the occasion of {holiday}, all of us at {company} send you our warmest wishes and thank you for your trust and support.\n\n{owner}\n{company}"},
}

// FillGreeting replaces the placeholders of a template; unknown
// placeholders are left as written.
func FillGreeting(tpl string, vars map[string]string) string {
	pairs := make([]string, 0, len(vars)*2)
	for k, v := range vars {
		pairs = append(pairs, "{"+k+"}", v)
	}
	return strings.NewReplacer(pairs...).Replace(tpl)
}

// GreetingPlaceholders are the placeholders a template may use.
var GreetingPlaceholders = []string{"name", "holiday", "company", "owner"}

// SignalKinds are the reasons a customer is on the signals list.
const (
	SignalWarranty    = "warranty_expiring"
	SignalContract    = "contract_expiring"
	SignalRepeated    = "repeated_faults"
	SignalConsumables = "consumables_due"
)

// RepeatedFaultTickets and RepeatedFaultDays define a repeated fault: at
// least that many tickets of one customer about one product within the
// days.
const (
	RepeatedFaultTickets = 3
	RepeatedFaultDays    = 90
)

// ConsumablesCategory is the product category whose reorder is watched,
// and ConsumablesDefaultDays the days after the last order when a reorder
// is due (a setting).
const (
	ConsumablesCategory    = "material"
	ConsumablesDefaultDays = 90
)
