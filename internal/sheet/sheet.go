// Package sheet reads and writes the spreadsheets that import and export
// exchange with users: CSV in whatever encoding Excel or WPS produced, and
// XLSX. Readers stream rows so that large files never sit in memory, and
// writers neutralise formula injection because exported data is user data.
package sheet

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Format of a spreadsheet file; the importer needs it to pick a parser and
// the exporter to pick a writer.
type Format string

// The formats the CRM reads and writes. Legacy .xls is deliberately absent:
// users are asked to save as .xlsx or .csv instead.
const (
	CSV  Format = "csv"
	XLSX Format = "xlsx"
)

// ErrUnsupported is returned by Open for files it recognises but cannot read:
// legacy binary .xls workbooks and password-protected .xlsx files (both are
// OLE2 containers). Callers should ask the user to save as .xlsx or .csv.
var ErrUnsupported = errors.New("sheet: legacy .xls or encrypted workbook is not supported")

// RowError reports a problem in one row, so the importer can tell the user
// which row of their file to fix.
type RowError struct {
	Row int   // 1-based row as Excel shows it
	Err error // underlying cause
}

// Error names the row first because that is what a user acts on.
func (e *RowError) Error() string { return fmt.Sprintf("row %d: %v", e.Row, e.Err) }

// Unwrap lets callers match the cause with errors.Is / errors.As.
func (e *RowError) Unwrap() error { return e.Err }

var (
	zipMagic = []byte("PK\x03\x04")
	oleMagic = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}
)

// DetectFormat decides from the content when head (the first bytes of the
// file) is available, because users rename files and browsers lie about
// types; the extension of name is only the fallback for an empty head. A ZIP
// header means XLSX; an OLE2 header also reports XLSX so that Open can reject
// it with ErrUnsupported instead of parsing binary as CSV.
func DetectFormat(name string, head []byte) Format {
	if bytes.HasPrefix(head, zipMagic) || bytes.HasPrefix(head, oleMagic) {
		return XLSX
	}
	if len(head) > 0 {
		return CSV
	}
	switch strings.ToLower(filepath.Ext(name)) {
	case ".xlsx", ".xlsm", ".xltx", ".xltm", ".xls":
		return XLSX
	}
	return CSV
}

// Reader streams rows; memory use does not grow with the number of rows.
type Reader interface {
	// Header returns the first non-empty row, cells trimmed (a UTF-8 BOM
	// removed). It is nil for a file without any non-empty row.
	Header() []string
	// Next returns the next data row and its 1-based row number as the user
	// sees it in Excel (the header is row 1 if it was the first line). It
	// returns io.EOF at the end. Completely empty rows are skipped (but row
	// numbers keep counting). Rows shorter than the header are padded with
	// ""; longer rows are kept as is (the caller reports extra cells).
	// Errors other than io.EOF are *RowError.
	Next() (cells []string, row int, err error)
	// Close releases temporary files (XLSX); it does not close the source.
	Close() error
}

// Open opens a spreadsheet from r (size bytes). name is the original file
// name, used only when the content cannot decide the format. The header row
// is read before Open returns, so a broken file fails here rather than later.
func Open(r io.ReaderAt, size int64, name string) (Reader, error) {
	if size < 0 {
		return nil, errors.New("sheet: negative size")
	}
	head := make([]byte, 8)
	n, err := r.ReadAt(head, 0)
	if err != nil && err != io.EOF {
		return nil, fmt.Errorf("sheet: read: %w", err)
	}
	if int64(n) > size {
		n = int(size)
	}
	head = head[:n]
	if bytes.HasPrefix(head, oleMagic) {
		return nil, ErrUnsupported
	}
	if DetectFormat(name, head) == XLSX && size > 0 {
		return openXLSX(r, size)
	}
	return openCSV(r, size)
}

// isTrimSpace reports the characters trimmed around every cell: Unicode
// white space (which includes the full-width space U+3000 and NBSP) plus the
// zero-width characters that copy-paste from web pages and WPS leaves behind.
func isTrimSpace(r rune) bool {
	return unicode.IsSpace(r) || r == '\uFEFF' || r == '\u200B'
}

// cleanCell trims a cell and guarantees valid UTF-8.
func cleanCell(s string) string {
	s = strings.TrimFunc(s, isTrimSpace)
	if !utf8.ValidString(s) {
		s = strings.TrimFunc(strings.ToValidUTF8(s, "\uFFFD"), isTrimSpace)
	}
	return s
}

// cleanRow trims all cells in place and reports whether any is non-empty.
func cleanRow(cells []string) bool {
	nonEmpty := false
	for i, c := range cells {
		c = cleanCell(c)
		cells[i] = c
		if c != "" {
			nonEmpty = true
		}
	}
	return nonEmpty
}

// pad extends a data row to the header width so callers can index by column.
func pad(cells []string, width int) []string {
	for len(cells) < width {
		cells = append(cells, "")
	}
	return cells
}
