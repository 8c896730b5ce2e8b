package console

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/cancelsync/cancelsync/internal/accesslog"
	"github.com/cancelsync/cancelsync/internal/problem"
	"github.com/cancelsync/cancelsync/people/merchant"
)

// publicURLHelp says what to do about merchant.ErrNoPublicURL, on the page
// and by the button.
const publicURLHelp = "Connect needs public_url: set it in the config to the address at which the platform reaches this service (for example https://cancelsync.example.com), reload the config, then press Connect."

// connectData is the Connect result page's data.
type connectData struct {
	merchant.ConnectResult
	Platform string
}

func (c *Console) connectPost(ctx *gin.Context) {
	ad := adapterOf(ctx)
	if !merchant.HasBoundary(ad) {
		accesslog.Refuse(ctx, "not_connectable")
		c.render(ctx, http.StatusNotFound, "message.html", c.base(ctx, "Not found", nil))
		return
	}
	back := "/console/adapters/" + url.PathEscape(ad.ID)
	res, err := c.m.Connect(ctx.Request.Context(), ad)
	if err != nil {
		v := c.base(ctx, "Not connected", ad)
		v.Back = back
		status := http.StatusBadGateway
		v.Error = "Could not read the webhooks from " + platformName(ad.Platform) + ": " + err.Error() + ". Nothing was changed; try again in a moment."
		if errors.Is(err, merchant.ErrNoPublicURL) {
			status, v.Error = http.StatusConflict, publicURLHelp
			accesslog.Refuse(ctx, "no_public_url")
		} else {
			accesslog.Refuse(ctx, "platform_unavailable")
		}
		c.render(ctx, status, "message.html", v)
		return
	}
	v := c.base(ctx, ad.ID+": webhooks", ad)
	v.Back = back
	v.Data = connectData{ConnectResult: res, Platform: platformName(ad.Platform)}
	c.render(ctx, http.StatusOK, "connect.html", v)
}

func (c *Console) apiConnect(ctx *gin.Context) {
	ad := adapterOf(ctx)
	if !merchant.HasBoundary(ad) {
		accesslog.Refuse(ctx, "not_connectable")
		problem.Write(ctx, http.StatusNotFound, problem.NotFound, "this adapter's platform has no webhook subscriptions to manage")
		return
	}
	res, err := c.m.Connect(ctx.Request.Context(), ad)
	switch {
	case errors.Is(err, merchant.ErrNoPublicURL):
		accesslog.Refuse(ctx, "no_public_url")
		problem.Write(ctx, http.StatusConflict, problem.NotConfigured, merchant.ErrNoPublicURL.Error())
	case err != nil:
		accesslog.Refuse(ctx, "platform_unavailable")
		problem.Write(ctx, http.StatusBadGateway, problem.PlatformError, err.Error())
	default:
		ctx.JSON(http.StatusOK, res)
	}
}

// platformName is how the page names a platform.
func platformName(p string) string {
	switch p {
	case "shopify":
		return "Shopify"
	case "woocommerce":
		return "WooCommerce"
	}
	return p
}

// connectWords is a connect line in words: "created" is "Created",
// "failed: …" is "Failed: …".
func connectWords(result string) string {
	if rest, ok := strings.CutPrefix(result, "failed: "); ok {
		return "Failed: " + rest
	}
	return word("connect", result)
}
