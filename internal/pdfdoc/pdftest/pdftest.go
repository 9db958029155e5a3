// Package pdftest reads the text of a PDF in tests with poppler's
// pdftotext, so a test can assert what a reader of the document sees
// (names, totals, page numbers). Tests skip, saying why, where the tool is
// not installed (Debian: poppler-utils; .ci/run installs it).
package pdftest

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Need skips the test when pdftotext is not installed.
func Need(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Skip("pdftotext not found (install poppler-utils): cannot check the PDF's text")
	}
}

// Text is the text of the whole document (pages separated by form feeds),
// in reading order.
func Text(t testing.TB, pdf []byte) string {
	t.Helper()
	return run(t, pdf)
}

// Page is the text of page n (1-based).
func Page(t testing.TB, pdf []byte, n int) string {
	t.Helper()
	p := strconv.Itoa(n)
	return run(t, pdf, "-f", p, "-l", p)
}

// Pages counts the pages.
func Pages(t testing.TB, pdf []byte) int {
	t.Helper()
	return strings.Count(strings.TrimRight(run(t, pdf), "\f"), "\f") + 1
}

// Squeeze drops all white space, so a test can look for "第1/2页" whatever
// spacing the extraction produced.
func Squeeze(s string) string {
	return strings.Join(strings.Fields(s), "")
}

func run(t testing.TB, pdf []byte, args ...string) string {
	t.Helper()
	Need(t)
	path := filepath.Join(t.TempDir(), "doc.pdf")
	if err := os.WriteFile(path, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	cmd := exec.Command("pdftotext", append(append([]string{"-enc", "UTF-8"}, args...), path, "-")...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("pdftotext: %v: %s", err, errb.String())
	}
	if errb.Len() > 0 {
		t.Fatalf("pdftotext complained about the PDF: %s", errb.String())
	}
	return out.String()
}
