package httpapi

import (
	"math/rand/v2"

	"github.com/gin-gonic/gin"

	"github.com/cancelsync/cancelsync/internal/accesslog"
)

// requestID adopts the caller's X-Request-Id when it is sane (1–128 visible
// ASCII characters) and otherwise makes one up, then echoes it on the
// response, where handlers read it back with accesslog.RequestID.
func requestID(c *gin.Context) {
	id := ""
	if v := c.Request.Header[accesslog.HeaderRequestID]; len(v) > 0 && saneRequestID(v[0]) {
		id = v[0]
	} else {
		id = newRequestID()
	}
	c.Writer.Header()[accesslog.HeaderRequestID] = []string{id}
	c.Next()
}

func saneRequestID(s string) bool {
	if len(s) == 0 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// newRequestID returns 128 random bits in hex. A request id correlates log
// lines; it guards nothing, so the runtime's fast generator is enough.
func newRequestID() string {
	const hex = "0123456789abcdef"
	var b [32]byte
	for half := 0; half < 2; half++ {
		u := rand.Uint64()
		for i := 0; i < 16; i++ {
			b[half*16+i] = hex[u&0xf]
			u >>= 4
		}
	}
	return string(b[:])
}
