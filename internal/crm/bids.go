package crm

import (
	"strings"
	"time"

	"closeloop/internal/errs"
	"closeloop/internal/i18n"
)

// Bid review and result values.
const (
	BidReviewPending = "pending"
	BidReviewPassed  = "passed"
	BidReviewFailed  = "failed"

	BidPending   = "pending"
	BidWon       = "won"
	BidLost      = "lost"
	BidAbandoned = "abandoned"
	BidVoid      = "void"
)

// BidSoonDays is how close a deadline is "approaching" (截止临近).
const BidSoonDays = 3

// BidState is what the bid rules look at.
type BidState struct {
	ReviewStatus string
	Result       string
	Required     []string // documents_required (bid_document codes)
	Ready        []string // documents_ready
}

// MissingBidDocuments lists the required documents not yet ready, in the
// order they are required.
func MissingBidDocuments(required, ready []string) []string {
	have := map[string]bool{}
	for _, d := range ready {
		have[d] = true
	}
	var out []string
	seen := map[string]bool{}
	for _, d := range required {
		if !have[d] && !seen[d] {
			out = append(out, d)
			seen[d] = true
		}
	}
	return out
}

// BidMissing is the machine-readable detail of bid_documents_missing.
type BidMissing struct {
	Missing []string `json:"missing"`
}

// CheckBid enforces the bid rules on the state a write would leave:
//
//   - the internal review (投标评审) cannot be passed while a required
//     document is missing: bid_documents_missing, naming them;
//   - a bid is won or lost only after it was submitted, which needs a
//     passed review: bid_not_reviewed. (Abandoned and void bids need none.)
//
// label names a document for the message (pick-list labels are the
// admin's); nil shows codes.
func CheckBid(b BidState, label func(code string) i18n.Text) error {
	if b.ReviewStatus == BidReviewPassed {
		if missing := MissingBidDocuments(b.Required, b.Ready); len(missing) > 0 {
			args := append(labelArgs("missing", joinLabels(missing, label)), "count", len(missing))
			return errs.New(errs.Unprocessable, "bid_documents_missing", args...).WithData(BidMissing{Missing: missing})
		}
	}
	if (b.Result == BidWon || b.Result == BidLost) && b.ReviewStatus != BidReviewPassed {
		return errs.New(errs.Unprocessable, "bid_not_reviewed")
	}
	return nil
}

func joinLabels(codes []string, label func(string) i18n.Text) i18n.Text {
	zh, en := make([]string, len(codes)), make([]string, len(codes))
	for i, c := range codes {
		t := i18n.T(c, c)
		if label != nil {
			t = label(c)
		}
		zh[i], en[i] = t.In(i18n.ZH), t.In(i18n.EN)
	}
	return i18n.T(strings.Join(zh, "、"), strings.Join(en, ", "))
}

// BidResultRecorded reports a result change worth a line in the customer
// report: a bid marked won or lost (or moved away from either).
func BidResultRecorded(oldResult, newResult string) bool {
	if oldResult == newResult {
		return false
	}
	return newResult == BidWon || newResult == BidLost
}

// BidDaysLeft is the number of whole days from now until the deadline,
// counted in calendar days of loc (0 = today); negative once past.
func BidDaysLeft(deadline, now time.Time, loc *time.Location) int {
	if loc == nil {
		loc = time.UTC
	}
	dy, dm, dd := deadline.In(loc).Date()
	ny, nm, nd := now.In(loc).Date()
	a := time.Date(dy, dm, dd, 0, 0, 0, 0, time.UTC)
	b := time.Date(ny, nm, nd, 0, 0, 0, 0, time.UTC)
	return int(a.Sub(b).Hours() / 24)
}

// BidDeadlineSoon reports an open bid (result pending) whose deadline has
// not passed and is at most BidSoonDays away.
func BidDeadlineSoon(result string, deadline, now time.Time) bool {
	if result != BidPending || deadline.IsZero() || deadline.Before(now) {
		return false
	}
	return deadline.Sub(now) <= BidSoonDays*24*time.Hour
}
