package sheet

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

const peekSize = 64 << 10

var bomUTF8 = []byte{0xEF, 0xBB, 0xBF}

// csvReader tracks physical lines so that row numbers match Excel even though
// encoding/csv silently drops blank lines and lets quoted cells span lines.
type csvReader struct {
	cr      *csv.Reader
	header  []string
	prevRow int // row number of the last record read
	prevEnd int // physical line on which that record ended
}

func openCSV(r io.ReaderAt, size int64) (Reader, error) {
	src, err := decodeCSV(r, size)
	if err != nil {
		return nil, err
	}
	br := bufio.NewReaderSize(src, peekSize)
	peek, err := br.Peek(peekSize)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return nil, &RowError{Row: 1, Err: err}
	}
	comma, skip := detectDelimiter(peek)
	if skip > 0 {
		if _, err := br.Discard(skip); err != nil {
			return nil, &RowError{Row: 1, Err: err}
		}
	}
	cr := csv.NewReader(br)
	cr.Comma = comma
	cr.LazyQuotes = true
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = false
	// Leading-space trimming lets `a, "b"` unquote b, but with a tab
	// delimiter it would swallow empty cells, so only for comma/semicolon.
	cr.TrimLeadingSpace = comma != '\t'
	x := &csvReader{cr: cr}
	for {
		cells, _, err := x.read()
		if err == io.EOF {
			return x, nil
		}
		if err != nil {
			return nil, err
		}
		if cleanRow(cells) {
			x.header = cells
			return x, nil
		}
	}
}

// decodeCSV returns the file as a UTF-8 stream. BOMs decide first; without
// one the whole file is scanned (streaming, constant memory) and anything
// that is not valid UTF-8 is taken to be GB18030, a superset of the GBK that
// Chinese Excel and WPS write by default.
func decodeCSV(r io.ReaderAt, size int64) (io.Reader, error) {
	head := make([]byte, 3)
	n, err := r.ReadAt(head, 0)
	if err != nil && err != io.EOF {
		return nil, fmt.Errorf("sheet: read: %w", err)
	}
	head = head[:n]
	switch {
	case bytes.HasPrefix(head, bomUTF8):
		return io.NewSectionReader(r, 3, size-3), nil
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}):
		dec := unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder()
		return transform.NewReader(io.NewSectionReader(r, 0, size), dec), nil
	case bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		dec := unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM).NewDecoder()
		return transform.NewReader(io.NewSectionReader(r, 0, size), dec), nil
	}
	ok, err := isUTF8(io.NewSectionReader(r, 0, size))
	if err != nil {
		return nil, fmt.Errorf("sheet: read: %w", err)
	}
	if ok {
		return io.NewSectionReader(r, 0, size), nil
	}
	return transform.NewReader(io.NewSectionReader(r, 0, size), simplifiedchinese.GB18030.NewDecoder()), nil
}

// isUTF8 validates a stream chunk by chunk, carrying an incomplete trailing
// rune over to the next chunk. It stops at the first invalid sequence, which
// in a GBK file is usually within the first line.
func isUTF8(r io.Reader) (bool, error) {
	buf := make([]byte, peekSize+utf8.UTFMax)
	carry := 0
	for {
		n, err := r.Read(buf[carry:])
		end := carry + n
		if err == io.EOF {
			return utf8.Valid(buf[:end]), nil
		}
		if err != nil {
			return false, err
		}
		cut := end
		for i := end - 1; i >= 0 && i >= end-utf8.UTFMax+1; i-- {
			if utf8.RuneStart(buf[i]) {
				if !utf8.FullRune(buf[i:end]) {
					cut = i
				}
				break
			}
		}
		if !utf8.Valid(buf[:cut]) {
			return false, nil
		}
		carry = copy(buf, buf[cut:end])
	}
}

// detectDelimiter looks at the first line with content. An Excel "sep=X"
// first line wins and is skipped (Excel hides it, so rows count after it);
// otherwise comma, tab or semicolon, whichever splits the line into the most
// fields, with comma winning ties. skip is the number of bytes to discard.
func detectDelimiter(peek []byte) (comma rune, skip int) {
	text := peek
	if i := bytes.IndexByte(text, '\n'); i >= 0 {
		first := bytes.TrimSuffix(text[:i], []byte("\r"))
		if len(first) == 5 && strings.EqualFold(string(first[:4]), "sep=") {
			switch c := rune(first[4]); c {
			case ',', ';', '\t', '|':
				return c, i + 1
			}
		}
	}
	for len(text) > 0 {
		line := text
		if i := bytes.IndexByte(text, '\n'); i >= 0 {
			line, text = text[:i], text[i+1:]
		} else {
			text = nil
		}
		if len(bytes.Trim(line, " \t\r,;\"")) == 0 {
			continue
		}
		best, bestN := ',', 0
		for _, c := range []rune{',', '\t', ';'} {
			cr := csv.NewReader(bytes.NewReader(line))
			cr.Comma = c
			cr.LazyQuotes = true
			cr.FieldsPerRecord = -1
			rec, _ := cr.Read()
			if len(rec) > bestN {
				best, bestN = c, len(rec)
			}
		}
		return best, 0
	}
	return ',', 0
}

// read returns the next raw record and its Excel row number.
func (x *csvReader) read() ([]string, int, error) {
	rec, err := x.cr.Read()
	if err == io.EOF {
		return nil, 0, io.EOF
	}
	if err != nil {
		row := x.prevRow + 1
		if pe, ok := err.(*csv.ParseError); ok && pe.StartLine > x.prevEnd {
			row = x.prevRow + pe.StartLine - x.prevEnd
		}
		return nil, 0, &RowError{Row: row, Err: err}
	}
	start, _ := x.cr.FieldPos(0)
	last, _ := x.cr.FieldPos(len(rec) - 1)
	end := last + strings.Count(rec[len(rec)-1], "\n")
	row := x.prevRow + start - x.prevEnd
	if row <= x.prevRow { // cannot happen with encoding/csv; never go backwards
		row = x.prevRow + 1
	}
	x.prevRow, x.prevEnd = row, end
	return rec, row, nil
}

func (x *csvReader) Header() []string { return x.header }

func (x *csvReader) Next() ([]string, int, error) {
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

func (x *csvReader) Close() error { return nil }
