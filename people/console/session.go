package console

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/cancelsync/cancelsync/orderstore"
	"github.com/gin-gonic/gin"
	"github.com/redis/go-redis/v9"
)

// Sessions live in Redis under the SHA-256 of a random id; the browser
// holds only the id, in an HttpOnly, SameSite=Strict cookie (Secure when
// the request came over TLS). The token itself is never stored: the session
// keeps its digest, and every request checks that the digest still grants
// the session's scope, so a token removed from the config (SIGHUP) signs
// its sessions out at once.
const (
	sessionCookie = "cancelsync_session"
	signinCookie  = "cancelsync_signin" // CSRF token of the sign-in form
)

type session struct {
	TokenSum string `json:"t"` // hex SHA-256 of the token signed in with
	CSRF     string `json:"c"`
	key      string
	scope    Scope
}

func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// sessionKey is where a session lives (orderstore/keys.go).
var sessionKey = orderstore.ConsoleSessionKey

// secure reports whether the browser reached us over TLS, directly or
// through a proxy that says so.
func secure(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

func setCookie(ctx *gin.Context, name, value string, maxAge int) {
	http.SetCookie(ctx.Writer, &http.Cookie{
		Name: name, Value: value, Path: "/console/", MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: secure(ctx.Request),
	})
}

// signIn starts a session for a token's scope.
func (c *Console) signIn(ctx context.Context, sum [sha256.Size]byte) (id string, err error) {
	id = randomToken()
	s := session{TokenSum: hex.EncodeToString(sum[:]), CSRF: randomToken()}
	b, _ := json.Marshal(s)
	if err := c.o.Redis.Set(ctx, sessionKey(id), b, c.o.SessionTTL).Err(); err != nil {
		return "", err
	}
	return id, nil
}

var errNoSession = errors.New("no session")

// current is the request's session, errNoSession when there is none or
// its token no longer grants anything.
func (c *Console) current(ctx *gin.Context) (*session, error) {
	ck, err := ctx.Request.Cookie(sessionCookie)
	if err != nil || ck.Value == "" {
		return nil, errNoSession
	}
	key := sessionKey(ck.Value)
	raw, err := c.o.Redis.Get(ctx.Request.Context(), key).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, errNoSession
	}
	if err != nil {
		return nil, err
	}
	s := &session{key: key}
	if json.Unmarshal(raw, s) != nil {
		return nil, errNoSession
	}
	var sum [sha256.Size]byte
	if b, err := hex.DecodeString(s.TokenSum); err != nil || len(b) != sha256.Size {
		return nil, errNoSession
	} else {
		copy(sum[:], b)
	}
	scope, ok := c.resolve(sum)
	if !ok {
		return nil, errNoSession
	}
	s.scope = scope
	return s, nil
}

func (c *Console) signOut(ctx *gin.Context, s *session) {
	_ = c.o.Redis.Del(ctx.Request.Context(), s.key).Err()
	setCookie(ctx, sessionCookie, "", -1)
}

// checkCSRF compares a form's csrf field with want in constant time.
func checkCSRF(ctx *gin.Context, want string) bool {
	got := ctx.PostForm("csrf")
	return want != "" && got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}
