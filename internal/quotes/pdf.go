package quotes

import (
	"context"

	"closeloop/internal/access"
	"closeloop/internal/errs"
	"closeloop/internal/i18n"
)

// PDF renders a quote p may see as a PDF document (报价单) in lang; it
// returns the file name and the bytes.
func (s *Service) PDF(ctx context.Context, p *access.Principal, id string, lang i18n.Lang) (string, []byte, error) {
	q, err := s.Get(ctx, p, id)
	if err != nil {
		return "", nil, err
	}
	_ = q
	return "", nil, errs.New(errs.Unprocessable, "quote_pdf_unavailable")
}
