package api

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"testing"
	"time"

	"closeloop/internal/crm"
	"closeloop/internal/entity"
)

// appendString writes exactly what encoding/json writes for a string.
func TestAppendStringMatchesEncodingJSON(t *testing.T) {
	cases := []string{"", "张伟", `a"b\c`, "<script>&</script>", "tab\tnl\nCR\r", "\x00\x1f\x7f", "\u2028\u2029",
		"bad \xff utf8 \xc3", "emoji 😀 𠀀", "北京华为技术有限公司（深圳）"}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		b := make([]byte, rng.IntN(24))
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		cases = append(cases, string(b))
	}
	for _, s := range cases {
		want, _ := json.Marshal(s)
		if got := appendString(nil, s); !bytes.Equal(got, want) {
			t.Fatalf("appendString(%q) = %s, want %s", s, got, want)
		}
	}
}

// A record encodes to the same JSON value encoding/json gives for the map
// of its visible fields, with its fields in declaration order.
func TestObjectEncoding(t *testing.T) {
	e := crm.Customer
	at := time.Date(2026, 11, 30, 8, 5, 3, 120000000, time.UTC)
	r := entity.Record{"id": "0190-abc", "version": int64(3), "name": "杭州<娃哈哈>&集团", "tags": []string{"重点", "展会"},
		"created_at": at, "level": nil, "notes": "line\nbreak"}
	got := Record(e, r).AppendJSON(nil)
	var decoded map[string]any
	if err := json.Unmarshal(got, &decoded); err != nil {
		t.Fatalf("invalid JSON %s: %v", got, err)
	}
	if decoded["name"] != "杭州<娃哈哈>&集团" || decoded["version"] != 3.0 || decoded["created_at"] != "2026-11-30T08:05:03.12Z" || decoded["notes"] != "line\nbreak" {
		t.Errorf("decoded %v", decoded)
	}
	if tags, _ := decoded["tags"].([]any); len(tags) != 2 || tags[0] != "重点" {
		t.Errorf("tags %v", decoded["tags"])
	}
	var keys []string
	dec := json.NewDecoder(bytes.NewReader(got))
	dec.Token()
	for dec.More() {
		k, _ := dec.Token()
		keys = append(keys, k.(string))
		var skip any
		dec.Decode(&skip)
	}
	var want []string
	for _, f := range e.Fields {
		if !f.Has(entity.Hidden) || f.Name == "id" || f.Name == "version" {
			want = append(want, f.Name)
		}
	}
	if len(keys) != len(want) {
		t.Fatalf("keys %v, want %v", keys, want)
	}
	for i := range keys {
		if keys[i] != want[i] {
			t.Fatalf("key %d is %s, want %s (declaration order)", i, keys[i], want[i])
		}
	}
	// An empty list is [] (clients iterate it), a missing value null.
	if got := string(Record(e, entity.Record{"tags": []string(nil)}).AppendJSON(nil)); !bytes.Contains([]byte(got), []byte(`"tags":[]`)) || !bytes.Contains([]byte(got), []byte(`"level":null`)) {
		t.Errorf("empty values: %s", got)
	}
}
