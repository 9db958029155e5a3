// Package linktoken makes the secret tokens of public links (a delivery's
// sign-off, a visit's confirmation, a survey, the customer's portal): random,
// URL-safe, and stored only as their SHA-256 so a copy of the database
// opens nothing.
package linktoken

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
)

// Link is the size of a one-purpose link's token (256 bits, 43 characters).
const Link = 32

// New is n random bytes, URL-safe base64 without padding.
func New(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("token: random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// Hash is what is stored of a token.
func Hash(tok string) string {
	h := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(h[:])
}

// WellFormed reports whether s could be a token of n bytes: anything else
// is answered as unknown without touching the database.
func WellFormed(s string, n int) bool {
	if len(s) != base64.RawURLEncoding.EncodedLen(n) {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
