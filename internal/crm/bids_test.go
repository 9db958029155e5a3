package crm

import (
	"slices"
	"testing"
	"time"

	"closeloop/internal/errs"
	"closeloop/internal/i18n"
)

func TestMissingBidDocuments(t *testing.T) {
	cases := []struct {
		required, ready, want []string
	}{
		{nil, nil, nil},
		{[]string{"license"}, []string{"license"}, nil},
		{[]string{"license", "technical", "price"}, []string{"price"}, []string{"license", "technical"}},
		{[]string{"technical", "license"}, nil, []string{"technical", "license"}},
		{[]string{"license", "license"}, nil, []string{"license"}},
		{nil, []string{"bond"}, nil}, // ready but not required: nothing missing
	}
	for _, c := range cases {
		if got := MissingBidDocuments(c.required, c.ready); !slices.Equal(got, c.want) {
			t.Errorf("required %v ready %v: %v, want %v", c.required, c.ready, got, c.want)
		}
	}
}

func TestCheckBid(t *testing.T) {
	all := []string{"license", "technical"}
	cases := []struct {
		name string
		b    BidState
		want string
	}{
		{"pending review, nothing ready", BidState{ReviewStatus: BidReviewPending, Result: BidPending, Required: all}, ""},
		{"passed with everything", BidState{ReviewStatus: BidReviewPassed, Result: BidPending, Required: all, Ready: all}, ""},
		{"passed, nothing required", BidState{ReviewStatus: BidReviewPassed, Result: BidPending}, ""},
		{"passed with a document missing", BidState{ReviewStatus: BidReviewPassed, Result: BidPending, Required: all, Ready: all[:1]}, "bid_documents_missing"},
		{"failed review with documents missing", BidState{ReviewStatus: BidReviewFailed, Result: BidPending, Required: all}, ""},
		{"won after review", BidState{ReviewStatus: BidReviewPassed, Result: BidWon, Required: all, Ready: all}, ""},
		{"lost after review", BidState{ReviewStatus: BidReviewPassed, Result: BidLost}, ""},
		{"won without review", BidState{ReviewStatus: BidReviewPending, Result: BidWon}, "bid_not_reviewed"},
		{"lost after a failed review", BidState{ReviewStatus: BidReviewFailed, Result: BidLost}, "bid_not_reviewed"},
		{"abandoned without review", BidState{ReviewStatus: BidReviewPending, Result: BidAbandoned}, ""},
		{"void without review", BidState{ReviewStatus: BidReviewFailed, Result: BidVoid}, ""},
	}
	for _, c := range cases {
		err := CheckBid(c.b, nil)
		if got := errCode(err); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
		if err != nil && errs.KindOf(err) != errs.Unprocessable {
			t.Errorf("%s: kind %v", c.name, errs.KindOf(err))
		}
	}
}

func TestBidMissingMessageNamesTheDocuments(t *testing.T) {
	labels := map[string]i18n.Text{"license": i18n.T("营业执照", "Business licence"), "technical": i18n.T("技术标书", "Technical proposal")}
	err := CheckBid(BidState{ReviewStatus: BidReviewPassed, Required: []string{"license", "technical", "price"}, Ready: []string{"price"}},
		func(c string) i18n.Text { return labels[c] })
	e := errs.As(err)
	if e == nil {
		t.Fatal("accepted")
	}
	if d, ok := e.Data.(BidMissing); !ok || !slices.Equal(d.Missing, []string{"license", "technical"}) {
		t.Fatalf("data %#v", e.Data)
	}
	if got := i18n.MsgMap(i18n.ZH, "err."+e.Code, e.Args); got != "投标文件未备齐，不能通过评审：还缺 2 份（营业执照、技术标书）" {
		t.Errorf("zh %q", got)
	}
	if got := i18n.MsgMap(i18n.EN, "err."+e.Code, e.Args); got != "The review cannot pass while 2 required documents are missing: Business licence, Technical proposal" {
		t.Errorf("en %q", got)
	}
}

func TestBidResultRecorded(t *testing.T) {
	cases := []struct {
		from, to string
		want     bool
	}{
		{BidPending, BidWon, true},
		{BidPending, BidLost, true},
		{BidWon, BidLost, true},
		{BidWon, BidWon, false},
		{BidPending, BidAbandoned, false},
		{BidPending, BidVoid, false},
		{"", BidWon, true},
		{BidLost, BidPending, false},
	}
	for _, c := range cases {
		if got := BidResultRecorded(c.from, c.to); got != c.want {
			t.Errorf("%s → %s: %v", c.from, c.to, got)
		}
	}
}

func TestBidDeadline(t *testing.T) {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	now := time.Date(2026, 3, 10, 9, 0, 0, 0, loc)
	cases := []struct {
		name     string
		result   string
		deadline time.Time
		soon     bool
		days     int
	}{
		{"in two hours", BidPending, now.Add(2 * time.Hour), true, 0},
		{"tomorrow", BidPending, now.AddDate(0, 0, 1), true, 1},
		{"exactly three days", BidPending, now.AddDate(0, 0, 3), true, 3},
		{"three days and a minute", BidPending, now.AddDate(0, 0, 3).Add(time.Minute), false, 3},
		{"next week", BidPending, now.AddDate(0, 0, 7), false, 7},
		{"passed an hour ago", BidPending, now.Add(-time.Hour), false, 0},
		{"yesterday", BidPending, now.AddDate(0, 0, -1), false, -1},
		{"decided", BidWon, now.Add(time.Hour), false, 0},
		{"abandoned", BidAbandoned, now.Add(time.Hour), false, 0},
		{"late tonight, Shanghai time", BidPending, time.Date(2026, 3, 10, 23, 30, 0, 0, loc), true, 0},
	}
	for _, c := range cases {
		if got := BidDeadlineSoon(c.result, c.deadline, now); got != c.soon {
			t.Errorf("%s: soon %v", c.name, got)
		}
		if got := BidDaysLeft(c.deadline, now, loc); got != c.days {
			t.Errorf("%s: %d days left, want %d", c.name, got, c.days)
		}
	}
	if BidDeadlineSoon(BidPending, time.Time{}, now) {
		t.Error("no deadline is not soon")
	}
}
