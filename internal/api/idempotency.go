package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"

	"closeloop/internal/access"
	"closeloop/internal/errs"
	"closeloop/internal/httpx"
	"closeloop/internal/store"
)

// Idempotent creates: a client that may retry a create that moves money
// sends an Idempotency-Key header. The first request's transaction records
// the key (per caller) with the request it answered — method and path,
// a hash of the body — and the response; a retry with the same key and
// the same body gets that response, with the same status, and writes
// nothing; the same key with another body answers 422
// idempotency_key_reused. A duplicate sent while the first is still
// running waits for it (the key is claimed by the first statement of the
// transaction) and then gets its response. A refused request records
// nothing: it wrote nothing, and a retry is judged afresh. Keys are
// forgotten after 24 hours (a job purges them).

// IdempotencyHeader is the request header carrying the key.
const IdempotencyHeader = "Idempotency-Key"

// readRaw reads a JSON body whole (at most httpx.MaxBody) and puts it back
// for the decoders.
func readRaw(r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r.Body, httpx.MaxBody+1))
	if err != nil {
		return nil, errs.New(errs.Invalid, "bad_json").With(err)
	}
	if len(b) > httpx.MaxBody {
		return nil, errs.New(errs.Invalid, "bad_json")
	}
	r.Body = io.NopCloser(bytes.NewReader(b))
	return b, nil
}

// bodyHash is the SHA-256 of a JSON body in a canonical form (keys sorted,
// no insignificant space), so a client re-encoding the same request is
// recognised.
func bodyHash(raw []byte) string {
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	canon := raw
	if err := dec.Decode(&v); err == nil {
		if b, err := json.Marshal(v); err == nil {
			canon = b
		}
	}
	sum := sha256.Sum256(canon)
	return hex.EncodeToString(sum[:])
}

// idempotencyKey reads the header: "" when absent.
func idempotencyKey(r *http.Request) (string, error) {
	k := r.Header.Get(IdempotencyHeader)
	if k == "" {
		return "", nil
	}
	if len(k) > 255 {
		return "", errs.New(errs.Invalid, "idempotency_key_invalid")
	}
	for _, c := range k {
		if c < 0x20 || c > 0x7e {
			return "", errs.New(errs.Invalid, "idempotency_key_invalid")
		}
	}
	return k, nil
}

// created is what an idempotent create answers: its status and body, and
// the Location of what it made.
type created struct {
	Status   int
	Location string
	Body     any
}

// idempotent runs create in a write transaction, at most once per caller
// and Idempotency-Key (no key: every request runs). raw is the request
// body as read; locPrefix + the answer's "id" is the Location of a
// replayed answer.
func (h *API) idempotent(w http.ResponseWriter, r *http.Request, p *access.Principal, raw []byte, locPrefix string,
	create func(ctx context.Context, tx *store.Tx) (created, error)) error {
	key, err := idempotencyKey(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	req := store.IdemRequest{Principal: p.UserID, Key: key, Scope: r.Method + " " + r.URL.Path, BodyHash: bodyHash(raw)}
	var (
		status  int
		body    []byte
		loc     string
		replay  bool
		current created
	)
	err = h.App.DB.Write(ctx, func(tx *store.Tx) error {
		replay = false
		if key != "" {
			prev, err := h.App.DB.ClaimIdempotencyKey(ctx, tx, req, store.Now())
			if err != nil {
				return err
			}
			if prev != nil {
				if prev.Scope != req.Scope || prev.BodyHash != req.BodyHash {
					return errs.New(errs.Unprocessable, "idempotency_key_reused")
				}
				if prev.Status == 0 {
					return errs.New(errs.Conflict, "idempotency_in_progress")
				}
				status, body, replay = prev.Status, prev.Response, true
				return nil
			}
		}
		var err error
		if current, err = create(ctx, tx); err != nil {
			return err
		}
		if body, err = json.Marshal(current.Body); err != nil {
			return err
		}
		status, loc = current.Status, current.Location
		if key == "" {
			return nil
		}
		return h.App.DB.SaveIdempotentAnswer(ctx, tx, req, status, body)
	})
	if err != nil {
		return err
	}
	if replay {
		w.Header().Set("Idempotent-Replayed", "true")
		var v struct {
			ID string `json:"id"`
		}
		if json.Unmarshal(body, &v) == nil && v.ID != "" {
			loc = locPrefix + v.ID
		}
	}
	if loc != "" {
		w.Header().Set("Location", loc)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(append(bytes.TrimSpace(body), '\n'))
	return nil
}
