package console

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
)

// TestFormLinesBlankQuantity: a quantity left blank, spaces or not, is a
// line not asked for (the form's other line is); anything else that is not
// a whole number is refused.
func TestFormLinesBlankQuantity(t *testing.T) {
	gin.SetMode(gin.TestMode)
	for _, tt := range []struct {
		q       string
		asked   int
		refused bool
	}{{"", 1, false}, {"  ", 1, false}, {" 2 ", 2, false}, {"x", 0, true}} {
		c, _ := gin.CreateTestContext(httptest.NewRecorder())
		// line a asks for one unit; line b's quantity is the case's
		form := url.Values{"line_id": {"a", "b"}, "quantity": {"1", tt.q}}
		c.Request = httptest.NewRequest(http.MethodPost, "/", strings.NewReader(form.Encode()))
		c.Request.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		lines, err := formLines(c)
		if (err != nil) != tt.refused || err == nil && len(lines) != tt.asked {
			t.Errorf("quantity %q: %v %v, want %d lines asked (refused %v)", tt.q, lines, err, tt.asked, tt.refused)
		}
	}
}
