package console

import (
	"github.com/gin-gonic/gin"
)

// An action's message ("Your answer is queued") is shown once: the action
// leaves its key in a short-lived cookie and redirects to the plain page
// URL, and the next page takes the cookie and clears it. A reload of that
// page no longer says it. Only keys of messages are ever shown, so a
// forged cookie can choose among them and say nothing else.
const flashCookie = "cancelsync_flash"

func setFlash(ctx *gin.Context, key string) {
	setCookie(ctx, flashCookie, key, 60)
}

// takeFlash returns the request's one-time message and clears it.
func takeFlash(ctx *gin.Context) string {
	ck, err := ctx.Request.Cookie(flashCookie)
	if err != nil || ck.Value == "" {
		return ""
	}
	setCookie(ctx, flashCookie, "", -1)
	return messages[ck.Value]
}
