package sheet

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// Writer writes one table.
type Writer interface {
	// Row writes one row. Cells are strings; the writer guards them (see
	// Guard) and replaces invalid UTF-8 with U+FFFD.
	Row(cells []string) error
	// Close flushes and finishes the file (for XLSX writes the zip to the
	// underlying writer). It does not close the underlying writer.
	Close() error
}

// NewWriter picks by format, so export code does not branch on it.
func NewWriter(f Format, w io.Writer, sheetName string) (Writer, error) {
	switch f {
	case CSV:
		return NewCSVWriter(w), nil
	case XLSX:
		return NewXLSXWriter(w, sheetName)
	}
	return nil, fmt.Errorf("sheet: unknown format %q", f)
}

// Guard neutralises spreadsheet formula injection: a cell starting with
// = + - @ or a tab or carriage return gets a leading single quote ('), unless
// the whole cell is a plain number (optional minus, digits, optional decimal
// part), which is left untouched so negative amounts stay numbers. A value
// like "+8613800000000" is therefore quoted; that is intended.
func Guard(cell string) string {
	if cell == "" {
		return cell
	}
	switch cell[0] {
	case '=', '+', '-', '@', '\t', '\r':
		if isPlainNumber(cell) {
			return cell
		}
		return "'" + cell
	}
	return cell
}

// isPlainNumber reports -?[0-9]+(\.[0-9]+)? without a regexp, since it runs
// for every exported cell.
func isPlainNumber(s string) bool {
	if strings.HasPrefix(s, "-") {
		s = s[1:]
	}
	intPart, frac, hasDot := strings.Cut(s, ".")
	if !allDigits(intPart) {
		return false
	}
	return !hasDot || allDigits(frac)
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func sanitize(cell string) string {
	if !utf8.ValidString(cell) {
		cell = strings.ToValidUTF8(cell, "\uFFFD")
	}
	return Guard(cell)
}

// ---- CSV ----

type csvWriter struct {
	w       io.Writer
	cw      *csv.Writer
	started bool
	rec     []string
}

// NewCSVWriter writes UTF-8 with a BOM (so Excel on Windows shows Chinese
// correctly), CRLF line ends and RFC 4180 quoting. Note that RFC 4180 CRLF
// mode turns line breaks inside cells into CRLF and drops lone CRs.
func NewCSVWriter(w io.Writer) Writer {
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	return &csvWriter{w: w, cw: cw}
}

func (c *csvWriter) start() error {
	if c.started {
		return nil
	}
	c.started = true
	_, err := c.w.Write(bomUTF8)
	return err
}

func (c *csvWriter) Row(cells []string) error {
	if err := c.start(); err != nil {
		return err
	}
	c.rec = c.rec[:0]
	for _, cell := range cells {
		c.rec = append(c.rec, sanitize(cell))
	}
	return c.cw.Write(c.rec)
}

func (c *csvWriter) Close() error {
	if err := c.start(); err != nil {
		return err
	}
	c.cw.Flush()
	return c.cw.Error()
}

// ---- XLSX ----

// maxCellUnits is Excel's cell text limit, counted in UTF-16 code units.
const maxCellUnits = 32767

type xlsxWriter struct {
	w        io.Writer
	f        *excelize.File
	sw       *excelize.StreamWriter
	bold     int
	wideInt  int
	row      int
	vals     []any
	closed   bool
	finalErr error
}

// NewXLSXWriter streams rows into a single sheet named sheetName (characters
// Excel forbids are replaced, and it is cut to 31 characters) using
// excelize's StreamWriter, which spills to a temporary file, so memory stays
// bounded for 100k+ rows. The first row is bold and frozen. Data cells that
// are plain numbers are written as numbers, except ones Excel would corrupt:
// leading zeros ("00123") and more than 15 significant digits (ID and bank
// card numbers) stay text. Everything else is text.
func NewXLSXWriter(w io.Writer, sheetName string) (Writer, error) {
	name := sheetTitle(sheetName)
	f := excelize.NewFile()
	fail := func(err error) (Writer, error) {
		_ = f.Close()
		return nil, fmt.Errorf("sheet: new xlsx: %w", err)
	}
	if name != "Sheet1" {
		if err := f.SetSheetName("Sheet1", name); err != nil {
			return fail(err)
		}
	}
	sw, err := f.NewStreamWriter(name)
	if err != nil {
		return fail(err)
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return fail(err)
	}
	// Format "0": long integers (12+ digits) would otherwise show as 1.23E+11.
	wideInt, err := f.NewStyle(&excelize.Style{NumFmt: 1})
	if err != nil {
		return fail(err)
	}
	if err := sw.SetPanes(&excelize.Panes{
		Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft",
		Selection: []excelize.Selection{{SQRef: "A2", ActiveCell: "A2", Pane: "bottomLeft"}},
	}); err != nil {
		return fail(err)
	}
	return &xlsxWriter{w: w, f: f, sw: sw, bold: bold, wideInt: wideInt}, nil
}

// sheetTitle makes a name Excel accepts: no : \ / ? * [ ], no leading or
// trailing apostrophe, 1–31 characters.
func sheetTitle(name string) string {
	name = strings.Map(func(r rune) rune {
		switch r {
		case ':', '\\', '/', '?', '*', '[', ']':
			return '_'
		}
		if r < 0x20 {
			return -1
		}
		return r
	}, strings.ToValidUTF8(name, ""))
	name = strings.TrimSpace(strings.Trim(name, "'"))
	if utf8.RuneCountInString(name) > 31 {
		name = string([]rune(name)[:31])
		name = strings.TrimRight(name, "'")
	}
	if name == "" {
		return "Sheet1"
	}
	return name
}

func (x *xlsxWriter) Row(cells []string) error {
	if x.closed {
		return errors.New("sheet: write after close")
	}
	x.row++
	if x.row == 1 {
		x.setWidths(cells)
	}
	x.vals = x.vals[:0]
	for _, cell := range cells {
		s := truncateCell(sanitize(cell))
		switch {
		case x.row == 1:
			x.vals = append(x.vals, excelize.Cell{StyleID: x.bold, Value: s})
		case s == "":
			x.vals = append(x.vals, nil)
		case isNumberCell(s):
			v, _ := strconv.ParseFloat(s, 64)
			if !strings.Contains(s, ".") && len(strings.TrimPrefix(s, "-")) > 11 {
				x.vals = append(x.vals, excelize.Cell{StyleID: x.wideInt, Value: v})
			} else {
				x.vals = append(x.vals, v)
			}
		default:
			x.vals = append(x.vals, s)
		}
	}
	ref, err := excelize.CoordinatesToCellName(1, x.row)
	if err != nil {
		return err
	}
	return x.sw.SetRow(ref, x.vals)
}

// setWidths sizes columns from the header so that Chinese titles are not cut;
// the stream writer only accepts widths before the first row.
func (x *xlsxWriter) setWidths(header []string) {
	for i, h := range header {
		w := 0
		for _, r := range h {
			if r >= 0x1100 {
				w += 2
			} else {
				w++
			}
		}
		width := float64(w + 4)
		width = min(max(width, 10), 50)
		_ = x.sw.SetColWidth(i+1, i+1, width)
	}
}

// isNumberCell decides which plain numbers become numeric cells: Excel keeps
// only 15 significant digits and drops leading zeros, so such values stay
// text to survive the round trip.
func isNumberCell(s string) bool {
	if !isPlainNumber(s) {
		return false
	}
	u := strings.TrimPrefix(s, "-")
	intPart, frac, _ := strings.Cut(u, ".")
	if len(intPart) > 1 && intPart[0] == '0' {
		return false
	}
	digits := strings.TrimLeft(intPart+frac, "0")
	return len(digits) <= 15
}

// truncateCell cuts text to Excel's limit, marking the cut with "…".
func truncateCell(s string) string {
	if len(s) <= maxCellUnits { // bytes >= UTF-16 units for valid UTF-8
		return s
	}
	units := 0
	for i, r := range s {
		n := 1
		if r > 0xFFFF {
			n = 2
		}
		if units+n > maxCellUnits-1 {
			// s is longer than the limit only if something follows i.
			if utf16Len(s[i:])+units > maxCellUnits {
				return s[:i] + "…"
			}
			return s
		}
		units += n
	}
	return s
}

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		if r > 0xFFFF {
			n += 2
		} else {
			n++
		}
	}
	return n
}

func (x *xlsxWriter) Close() error {
	if x.closed {
		return x.finalErr
	}
	x.closed = true
	err := x.sw.Flush()
	if err == nil {
		err = x.f.Write(x.w)
	}
	if cerr := x.f.Close(); err == nil {
		err = cerr
	}
	x.finalErr = err
	return err
}
