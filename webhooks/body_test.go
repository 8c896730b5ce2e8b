package webhooks

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"testing/iotest"

	"github.com/gin-gonic/gin"
)

// bodyContext is a request whose body is r, declaring length (-1: chunked).
func bodyContext(r io.Reader, length int64) *gin.Context {
	req := httptest.NewRequest(http.MethodPost, "/webhooks/a/orders", nil)
	req.Body = io.NopCloser(r)
	req.ContentLength = length
	return &gin.Context{Request: req}
}

// TestReadBodyHoldsWhatArrived: a sender that declares a large body and
// then sends a little and stops (here: its connection fails) made the
// process hold no more than firstChunk or twice what it sent, whatever it
// declared.
func TestReadBodyHoldsWhatArrived(t *testing.T) {
	broken := errors.New("connection reset")
	for _, sent := range []int{0, 1, 100, firstChunk, firstChunk + 1, 10_000, 300_000} {
		for _, declared := range []int64{1 << 20, -1} {
			r := io.MultiReader(bytes.NewReader(bytes.Repeat([]byte("x"), sent)), iotest.ErrReader(broken))
			got, err := readBody(bodyContext(r, declared), 1<<20)
			if !errors.Is(err, broken) {
				t.Errorf("sent %d of %d: err %v, want %v", sent, declared, err, broken)
			}
			if len(got) != sent {
				t.Errorf("sent %d of %d: read %d", sent, declared, len(got))
			}
			if hold := max(firstChunk, 2*sent); cap(got) > hold {
				t.Errorf("sent %d of %d: held %d bytes, want at most %d", sent, declared, cap(got), hold)
			}
		}
	}
}

// TestReadBody: the bytes read are the body, whatever the sizes and
// however the reads are cut; past the limit is MaxBytesError; a declared
// body that ends early is an error.
func TestReadBody(t *testing.T) {
	const limit = 100_000
	for _, size := range []int{0, 1, firstChunk - 1, firstChunk, firstChunk + 1, 3 * firstChunk, limit} {
		body := make([]byte, size)
		for i := range body {
			body[i] = byte(i * 7)
		}
		for _, declared := range []int64{int64(size), -1} {
			for name, r := range map[string]io.Reader{
				"whole":    bytes.NewReader(body),
				"one byte": iotest.OneByteReader(bytes.NewReader(body)),
				"data+EOF": iotest.DataErrReader(bytes.NewReader(body)),
			} {
				got, err := readBody(bodyContext(r, declared), limit)
				if err != nil || !bytes.Equal(got, body) {
					t.Errorf("%d bytes, declared %d, %s: %d bytes, %v", size, declared, name, len(got), err)
				}
				if declared >= 0 && cap(got) != size {
					t.Errorf("%d bytes, declared %d, %s: capacity %d, want the declared length", size, declared, name, cap(got))
				}
			}
		}
	}
	over := make([]byte, limit+1)
	for name, r := range map[string]io.Reader{"whole": bytes.NewReader(over), "one byte": iotest.OneByteReader(bytes.NewReader(over))} {
		if _, err := readBody(bodyContext(r, -1), limit); !isMaxBytes(err) {
			t.Errorf("chunked, one byte over the limit, %s: err %v, want MaxBytesError", name, err)
		}
	}
	if _, err := readBody(bodyContext(bytes.NewReader(make([]byte, 10)), 11), limit); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("10 of 11 declared bytes: err %v, want ErrUnexpectedEOF", err)
	}
}

func isMaxBytes(err error) bool {
	_, ok := errors.AsType[*http.MaxBytesError](err)
	return ok
}

// BenchmarkReadBody reads bodies of a webhook's usual sizes up to the
// default limit, with a declared length and chunked (no length).
func BenchmarkReadBody(b *testing.B) {
	for _, size := range []int{600, 16 << 10, 256 << 10, 1 << 20} {
		for _, chunked := range []bool{false, true} {
			name := fmt.Sprintf("%dB/length", size)
			if chunked {
				name = fmt.Sprintf("%dB/chunked", size)
			}
			b.Run(name, func(b *testing.B) {
				body := bytes.Repeat([]byte("x"), size)
				rd := bytes.NewReader(body)
				req := httptest.NewRequest(http.MethodPost, "/webhooks/a/orders", nil)
				req.Body = io.NopCloser(rd)
				c := &gin.Context{Request: req}
				b.SetBytes(int64(size))
				b.ReportAllocs()
				for b.Loop() {
					rd.Reset(body)
					req.ContentLength = int64(size)
					if chunked {
						req.ContentLength = -1
					}
					got, err := readBody(c, DefaultMaxBodyBytes)
					if err != nil || len(got) != size {
						b.Fatalf("%d bytes, %v", len(got), err)
					}
				}
			})
		}
	}
}
