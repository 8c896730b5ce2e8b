package webhooks

import (
	"io"
	"net/http"

	"github.com/gin-gonic/gin"
)

// firstChunk is the most a body's buffer holds before more than that has
// arrived: about what the request's headers cost already. A body up to this
// size with a declared length is read into one buffer of exactly that
// length; a larger one doubles its buffer a few times (an 8 KiB Shopify
// order: four buffers, 7 KiB copied, beside tens of microseconds of JSON).
const firstChunk = 1 << 10

// readBody reads the whole body once, at most limit bytes. The buffer
// grows with what has arrived, doubling when full, and never past the
// declared Content-Length (already checked against limit): a declared
// length alone reserves nothing, so a sender that declares a large body and
// stalls holds at most firstChunk or twice what it sent
// (docs/GUARANTEES.md §4).
func readBody(c *gin.Context, limit int64) ([]byte, error) {
	r := c.Request
	body := http.MaxBytesReader(c.Writer, r.Body, limit)
	declared := r.ContentLength >= 0
	most := limit
	if declared && r.ContentLength < most {
		most = r.ContentLength
	}
	buf := make([]byte, 0, min(most, firstChunk))
	for int64(len(buf)) < most {
		if len(buf) == cap(buf) {
			grown := make([]byte, len(buf), min(most, 2*int64(cap(buf))))
			copy(grown, buf)
			buf = grown
		}
		n, err := body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			if declared && int64(len(buf)) < most {
				// Shorter than declared: net/http says so itself on a
				// connection that closed; this is the same answer.
				return buf, io.ErrUnexpectedEOF
			}
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
	if declared {
		return buf, nil
	}
	// Chunked, and limit bytes in: the body must end here. One more byte is
	// MaxBytesReader's error, not another buffer.
	var probe [1]byte
	for {
		n, err := body.Read(probe[:])
		switch {
		case n > 0:
			return buf, &http.MaxBytesError{Limit: limit}
		case err == io.EOF:
			return buf, nil
		case err != nil:
			return buf, err
		}
	}
}
