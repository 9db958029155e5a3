package zhdata

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/mozillazg/go-pinyin"
)

// Choice is a value with a relative weight.
type Choice struct {
	Value  string
	Weight int
}

// Faker draws data from a seeded source: the same seed and stream give the
// same data, whatever else runs in the process.
type Faker struct {
	R *rand.Rand
}

// New returns a Faker for a seed and a stream (e.g. a batch number), so
// that parts of a large data set can be generated independently.
func New(seed, stream uint64) *Faker {
	return &Faker{R: rand.New(rand.NewPCG(seed, stream))}
}

// Pick draws a value by weight.
func (f *Faker) Pick(cs []Choice) string {
	total := 0
	for _, c := range cs {
		total += c.Weight
	}
	n := f.R.IntN(total)
	for _, c := range cs {
		if n < c.Weight {
			return c.Value
		}
		n -= c.Weight
	}
	return cs[len(cs)-1].Value
}

// One draws one element uniformly.
func One[T any](f *Faker, xs []T) T { return xs[f.R.IntN(len(xs))] }

// Chance is true with probability p.
func (f *Faker) Chance(p float64) bool { return f.R.Float64() < p }

func (f *Faker) runeOf(s string) string {
	n := utf8.RuneCountInString(s)
	i := f.R.IntN(n)
	for _, r := range s {
		if i == 0 {
			return string(r)
		}
		i--
	}
	return ""
}

// Person draws a name: a weighted surname and a one- or two-character
// given name.
func (f *Faker) Person() Person {
	p := Person{Surname: f.Pick(surnames), Female: f.R.IntN(2) == 0}
	pool := givenMale
	if p.Female {
		pool = givenFemale
	}
	p.Given = f.runeOf(pool)
	if f.Chance(0.7) {
		p.Given += f.runeOf(pool)
	}
	return p
}

// City draws a city by economic weight.
func (f *Faker) City() City {
	total := 0
	for _, c := range Cities {
		total += c.Weight
	}
	n := f.R.IntN(total)
	for _, c := range Cities {
		if n < c.Weight {
			return c
		}
		n -= c.Weight
	}
	return Cities[0]
}

// Company is a generated company.
type Company struct {
	Name, Short, Brand, Industry string
	City                         City
}

// Company draws a company of an industry in a city: 苏州恒瑞精密机械有限公司.
func (f *Faker) Company(industry string, c City) Company {
	brand := f.runeOf(brandChars) + f.runeOf(brandChars)
	biz := One(f, businesses[industry])
	name := c.Short + brand + biz + f.Pick(legalForms)
	if f.Chance(0.15) { // some put the city in brackets or leave it out
		name = brand + biz + f.Pick(legalForms)
	}
	short := brand
	if f.Chance(0.5) {
		short = brand + string([]rune(biz)[:2])
	}
	return Company{Name: name, Short: short, Brand: brand, Industry: industry, City: c}
}

// Industry draws an industry code.
func (f *Faker) Industry() string { return f.Pick(IndustryWeights) }

// Scale, Credit, Demand and Difficulty draw the profile pick-lists.
func (f *Faker) Scale() string      { return f.Pick(scaleWeights) }
func (f *Faker) Credit() string     { return f.Pick(creditWeights) }
func (f *Faker) Demand() string     { return f.Pick(demandWeights) }
func (f *Faker) Difficulty() string { return f.Pick(difficultyWeights) }

// Address draws a street address in a city.
func (f *Faker) Address(c City) string {
	s := c.Name + One(f, c.Districts) + One(f, streetWords) + One(f, streetKinds) + strconv.Itoa(1+f.R.IntN(999)) + "号"
	if b := One(f, buildings); b != "" {
		s += One(f, streetWords) + b + strconv.Itoa(1+f.R.IntN(12)) + "栋"
	}
	return s
}

var mobilePrefixes = []string{"130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "147", "150", "151", "152",
	"153", "155", "156", "157", "158", "159", "166", "173", "175", "176", "177", "178", "180", "181", "182", "183", "185", "186",
	"187", "188", "189", "191", "198", "199"}

// Mobile draws a mainland mobile number (11 digits, 1[3-9]…).
func (f *Faker) Mobile() string {
	return One(f, mobilePrefixes) + fmt.Sprintf("%08d", f.R.IntN(100000000))
}

// Landline draws a switchboard number of a city, digits only as stored.
func (f *Faker) Landline(c City) string {
	n := 8
	if len(c.Area) == 4 && f.Chance(0.3) {
		n = 7
	}
	first := 2 + f.R.IntN(7)
	rest := f.R.IntN(pow10(n - 1))
	return c.Area + strconv.Itoa(first) + fmt.Sprintf("%0*d", n-1, rest)
}

func pow10(n int) int {
	x := 1
	for range n {
		x *= 10
	}
	return x
}

var pyCache sync.Map

// Pinyin returns the toneless pinyin of Chinese text, syllables joined.
func Pinyin(s string) string {
	if v, ok := pyCache.Load(s); ok {
		return v.(string)
	}
	out := strings.Join(pinyin.LazyPinyin(s, pinyin.NewArgs()), "")
	pyCache.Store(s, out)
	return out
}

// Initials returns the pinyin initials of Chinese text (华信 → hx).
func Initials(s string) string {
	var b strings.Builder
	for _, r := range s {
		if p := Pinyin(string(r)); p != "" {
			b.WriteByte(p[0])
		}
	}
	return b.String()
}

var domainTails = []string{".com", ".com.cn", ".cn", "-tech.com", ".net"}

// Domain draws a web domain for a company.
func (f *Faker) Domain(c Company) string {
	base := Pinyin(c.Brand)
	if f.Chance(0.3) {
		base = Initials(c.City.Short) + base
	}
	return base + One(f, domainTails)
}

// Email draws a work address at a domain for a person (wang.jun@…).
func (f *Faker) Email(p Person, domain string) string {
	s, g := Pinyin(p.Surname), Pinyin(p.Given)
	var local string
	switch f.R.IntN(4) {
	case 0:
		local = s + "." + g
	case 1:
		local = s + g
	case 2:
		local = g + "." + s
	default:
		local = Initials(p.Given) + s
	}
	return local + "@" + domain
}

var freeMail = []string{"qq.com", "163.com", "126.com", "139.com", "sina.com", "foxmail.com"}

// PersonalEmail draws a private address (QQ number or pinyin at a free mailer).
func (f *Faker) PersonalEmail(p Person) string {
	if f.Chance(0.4) {
		return strconv.Itoa(10000000+f.R.IntN(2000000000)) + "@qq.com"
	}
	return Pinyin(p.Name()) + strconv.Itoa(f.R.IntN(1000)) + "@" + One(f, freeMail)
}

// WeChat draws a WeChat id.
func (f *Faker) WeChat(p Person) string {
	if f.Chance(0.5) {
		const al = "abcdefghijklmnopqrstuvwxyz0123456789"
		b := []byte("wxid_")
		for range 14 {
			b = append(b, al[f.R.IntN(len(al))])
		}
		return string(b)
	}
	return Pinyin(p.Name()) + strconv.Itoa(f.R.IntN(10000))
}

// Birthday draws a birth date 1962–1998; lunar is true for the fifth of
// people who celebrate by the lunar calendar (the date is then a lunar one).
func (f *Faker) Birthday() (date string, lunar bool) {
	y := 1962 + f.R.IntN(37)
	m := 1 + f.R.IntN(12)
	d := 1 + f.R.IntN(28)
	return fmt.Sprintf("%04d-%02d-%02d", y, m, d), f.Chance(0.2)
}

// Job draws a position; the first contact of a company is more often a
// decision maker.
func (f *Faker) Job(first bool) Job {
	if first && f.Chance(0.5) {
		return Jobs[f.R.IntN(3)]
	}
	return One(f, Jobs)
}

// TagsFor draws zero to three tags.
func (f *Faker) TagsFor() []string {
	n := f.Pick([]Choice{{"0", 40}, {"1", 35}, {"2", 18}, {"3", 7}})
	k, _ := strconv.Atoi(n)
	if k == 0 {
		return nil
	}
	perm := f.R.Perm(len(Tags))[:k]
	out := make([]string, k)
	for i, j := range perm {
		out[i] = Tags[j]
	}
	return out
}

// CompanyNote draws a note about a customer.
func (f *Faker) CompanyNote() string { return One(f, companyNotes) }

// Preference draws a contact's preference.
func (f *Faker) Preference() string { return One(f, preferences) }

// LeadNote draws how a lead came in.
func (f *Faker) LeadNote() string { return One(f, leadNotes) }

// Kind draws an activity kind.
func (f *Faker) Kind() string { return f.Pick(KindWeights) }

// Activity draws a subject, summary and next step for an activity of a
// kind, mentioning the contact.
func (f *Faker) Activity(kind, contact string) (subject, summary, next string) {
	t := One(f, activityTexts[kind])
	if contact == "" {
		contact = "客户"
	}
	r := strings.NewReplacer("%P", One(f, Products), "%C", contact, "%X", One(f, Competitors), "%N", strconv.Itoa(5+f.R.IntN(40)), "%%", "%")
	return r.Replace(t.subject), r.Replace(t.summary), r.Replace(t.next)
}

// Duration draws a plausible duration in minutes for an activity kind; 0
// when the kind has none.
func (f *Faker) Duration(kind string) int64 {
	switch kind {
	case "call":
		return int64(3 + f.R.IntN(28))
	case "visit":
		return int64(30 + 15*f.R.IntN(11))
	case "meeting":
		return int64(30 + 15*f.R.IntN(7))
	case "demo":
		return int64(45 + 15*f.R.IntN(6))
	}
	return 0
}
