package sheet

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"
)

// Canonical layouts for date cells, expressed as Excel number formats so that
// excelize renders them (it knows the 1900/1904 epochs and rounding rules).
const (
	fmtDate     = "yyyy-mm-dd"
	fmtDateTime = "yyyy-mm-dd hh:mm:ss"
	fmtTime     = "hh:mm:ss"
)

const (
	xlsxInMemoryPart = 4 << 20
	xlsxMaxUnzipped  = 1 << 30
)

// rawNumFmtID is a number format id that no workbook defines and excelize does
// not know, so excelize hands back the cell's stored value unformatted.
const rawNumFmtID = -1

type xlsxReader struct {
	f      *excelize.File
	rows   *excelize.Rows
	header []string
	row    int
}

func openXLSX(r io.ReaderAt, size int64) (Reader, error) {
	f, err := excelize.OpenReader(io.NewSectionReader(r, 0, size), excelize.Options{
		// Worksheets and shared strings above this size are unzipped to
		// temporary files and streamed from there instead of kept in memory.
		UnzipXMLSizeLimit: xlsxInMemoryPart,
		// A zip bomb must not fill the disk with temporary files.
		UnzipSizeLimit: xlsxMaxUnzipped,
	})
	if err != nil {
		switch {
		case errors.Is(err, excelize.ErrWorkbookFileFormat), errors.Is(err, excelize.ErrWorkbookPassword):
			return nil, ErrUnsupported
		case errors.Is(err, zip.ErrFormat), errors.Is(err, zip.ErrAlgorithm), errors.Is(err, zip.ErrChecksum):
			return nil, fmt.Errorf("sheet: not a valid xlsx file: %w", err)
		}
		return nil, fmt.Errorf("sheet: open xlsx: %w", err)
	}
	x := &xlsxReader{f: f}
	if err := x.init(); err != nil {
		_ = x.Close()
		return nil, err
	}
	return x, nil
}

func (x *xlsxReader) init() error {
	name := firstVisibleSheet(x.f)
	if name == "" {
		return nil // no worksheet: behaves as an empty file
	}
	if err := canonicalDateFormats(x.f); err != nil {
		return fmt.Errorf("sheet: xlsx styles: %w", err)
	}
	rows, err := x.f.Rows(name)
	if err != nil {
		return fmt.Errorf("sheet: xlsx sheet %q: %w", name, err)
	}
	x.rows = rows
	for {
		cells, _, err := x.read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if cleanRow(cells) {
			x.header = cells
			return nil
		}
	}
}

// firstVisibleSheet picks what a user sees first when opening the file in
// Excel; templates often keep lookup lists in hidden sheets before it.
func firstVisibleSheet(f *excelize.File) string {
	list := f.GetSheetList()
	for _, name := range list {
		if visible, err := f.GetSheetVisible(name); err == nil && visible {
			return name
		}
	}
	if len(list) > 0 {
		return list[0]
	}
	return ""
}

// canonicalDateFormats rewrites the workbook's in-memory cell formats before
// streaming: every date/time format becomes one of the canonical layouts,
// every other format shows the stored value. excelize's row iterator exposes
// neither cell types nor styles, so this is how we get dates as
// "2006-01-02" whatever the user's display format (年月日 included) while
// numbers stay unformatted (no "12.50%", "¥1,234.00" or "1.38E+10").
// Nothing is saved; the workbook is only read.
func canonicalDateFormats(f *excelize.File) error {
	ids := map[dateKind]int{}
	for _, k := range []struct {
		kind dateKind
		code string
	}{{kindDate, fmtDate}, {kindDateTime, fmtDateTime}, {kindTime, fmtTime}} {
		kind, code := k.kind, k.code
		style, err := f.NewStyle(&excelize.Style{CustomNumFmt: &code})
		if err != nil {
			return err
		}
		xf := f.Styles.CellXfs.Xf[style]
		if xf.NumFmtID == nil {
			return errors.New("canonical number format not registered")
		}
		ids[kind] = *xf.NumFmtID
	}
	ss := f.Styles
	custom := map[int]string{}
	if ss.NumFmts != nil {
		for _, nf := range ss.NumFmts.NumFmt {
			if nf == nil {
				continue
			}
			code := nf.FormatCode
			if nf.FormatCode16 != "" {
				code = nf.FormatCode16
			}
			custom[nf.NumFmtID] = code
		}
	}
	raw := rawNumFmtID
	for i := range ss.CellXfs.Xf {
		xf := &ss.CellXfs.Xf[i]
		id := 0
		if xf.NumFmtID != nil {
			id = *xf.NumFmtID
		}
		var kind dateKind
		if code, ok := custom[id]; ok {
			kind = classifyNumFmt(code)
		} else {
			kind = builtinDateKind(id)
		}
		if kind == kindNone {
			xf.NumFmtID = &raw
			continue
		}
		id = ids[kind]
		xf.NumFmtID = &id
	}
	return nil
}

type dateKind int

const (
	kindNone dateKind = iota
	kindDate
	kindDateTime
	kindTime
)

// builtinDateKind classifies Excel's implicit formats, including the CJK
// locale ones (27–36, 50–58: yyyy"年"m"月"d"日", 上午/下午h"时"mm"分", ...)
// that Chinese Excel writes without a format code.
func builtinDateKind(id int) dateKind {
	switch id {
	case 14, 15, 16, 17, 27, 28, 29, 30, 31, 36, 50, 51, 52, 53, 54, 57, 58:
		return kindDate
	case 22:
		return kindDateTime
	case 18, 19, 20, 21, 32, 33, 34, 35, 45, 46, 47, 55, 56:
		return kindTime
	}
	return kindNone
}

// classifyNumFmt decides from a format code's first section whether it shows
// a date, a time or both. Quoted literals, escapes and [..] modifiers are
// ignored; elapsed-time formats ([h]:mm) are durations and stay numbers.
func classifyNumFmt(code string) dateKind {
	s := strings.ToLower(code)
	var date, clock, month bool
scan:
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"':
			j := strings.IndexByte(s[i+1:], '"')
			if j < 0 {
				break scan
			}
			i += j + 1
		case c == '\\' || c == '_' || c == '*':
			i++
		case c == '[':
			j := strings.IndexByte(s[i:], ']')
			if j < 0 {
				break scan
			}
			if in := s[i+1 : i+j]; in != "" && strings.Trim(in, "hms") == "" {
				return kindNone
			}
			i += j
		case c == ';':
			break scan
		case strings.HasPrefix(s[i:], "am/pm"):
			i += len("am/pm") - 1
		case strings.HasPrefix(s[i:], "a/p"):
			i += len("a/p") - 1
		case c == 'y' || c == 'd':
			date = true
		case c == 'h' || c == 's':
			clock = true
		case c == 'm':
			month = true
		}
	}
	if month && !clock {
		date = true // "mmm", "yyyy-mm"; with h or s present m means minutes
	}
	switch {
	case date && clock:
		return kindDateTime
	case date:
		return kindDate
	case clock:
		return kindTime
	}
	return kindNone
}

// sciNumber matches the only exponent form excelize produces for numbers it
// cannot show in 15 significant digits (strconv 'G' format).
var sciNumber = regexp.MustCompile(`^-?[0-9](\.[0-9]+)?E[+-][0-9]+$`)

// plainNumber rewrites excelize's exponent output as plain digits, so that an
// 18-digit ID typed as a number comes out as digits (with the precision Excel
// already lost) instead of "1.10101199003071E+17".
func plainNumber(s string) string {
	if len(s) < 4 || !sciNumber.MatchString(s) {
		return s
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return s
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

func (x *xlsxReader) read() ([]string, int, error) {
	if x.rows == nil {
		return nil, 0, io.EOF
	}
	if !x.rows.Next() {
		if err := x.rows.Error(); err != nil {
			return nil, 0, &RowError{Row: x.row + 1, Err: err}
		}
		return nil, 0, io.EOF
	}
	// Each Next is one sheet row, including rows missing from the XML.
	x.row++
	cells, err := x.rows.Columns()
	if err != nil {
		return nil, 0, &RowError{Row: x.row, Err: err}
	}
	for i, c := range cells {
		cells[i] = plainNumber(c)
	}
	return cells, x.row, nil
}

func (x *xlsxReader) Header() []string { return x.header }

func (x *xlsxReader) Next() ([]string, int, error) {
	for {
		cells, row, err := x.read()
		if err != nil {
			return nil, 0, err
		}
		if cleanRow(cells) {
			return pad(cells, len(x.header)), row, nil
		}
	}
}

func (x *xlsxReader) Close() error {
	var err error
	if x.rows != nil {
		err = x.rows.Close()
		x.rows = nil
	}
	if x.f != nil {
		if cerr := x.f.Close(); err == nil {
			err = cerr
		}
		x.f = nil
	}
	return err
}
