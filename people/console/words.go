package console

import (
	"html/template"
	"reflect"
)

// words are what the pages show for the API's values: a merchant reads
// "Waiting for your answer", not pending_response. The raw value stays on
// the element (data-value and title) for whoever compares the page with
// the JSON twin or the docs. A value without words shows as itself.
var words = map[string]map[string]string{
	"state": {
		"awaiting_order":   "Waiting for the order",
		"pending_response": "Waiting for an answer",
		"cancelled":        "Cancelled",
		"denied":           "Denied",
		"escalated":        "Escalated",
		"withdrawn":        "Withdrawn",
	},
	"reason": {
		"changed_mind":            "Changed their mind",
		"ordered_by_mistake":      "Ordered by mistake",
		"duplicate_order":         "Duplicate order",
		"found_better_price":      "Found a better price",
		"payment_issue":           "Payment problem",
		"shipping_delay":          "Shipping takes too long",
		"price_or_product_change": "Price or product changed",
		"seller_unresponsive":     "Seller did not answer",
		"unreliable_seller":       "Unreliable seller",
		"buyer_unresponsive":      "Buyer did not answer",
		"other":                   "Other",
	},
	"denial": {
		"already_shipped":   "Already shipped",
		"already_delivered": "Already delivered",
		"already_cancelled": "Already cancelled",
		"window_expired":    "Cancellation window closed",
		"order_unknown":     "Order unknown",
		"request_open":      "Another request is open",
		"declined":          "Declined",
	},
	"initiator": {
		"buyer":    "Buyer",
		"seller":   "Seller",
		"merchant": "Merchant",
	},
	"refund": {
		"original_payment": "to the original payment",
		"platform_credit":  "as store credit",
	},
	"sync": {
		"pending": "Pending",
		"synced":  "Synced",
		"failed":  "Failed",
		"skipped": "Not needed",
	},
	"status": {
		"placed":    "Placed",
		"paid":      "Paid",
		"shipped":   "Shipped",
		"delivered": "Delivered",
		"completed": "Completed",
		"cancelled": "Cancelled",
	},
	"subscription": {
		"ok":       "Active",
		"missing":  "Missing",
		"disabled": "Disabled",
	},
	"connect": {
		"created":     "Created",
		"ok":          "Already in place",
		"reactivated": "Re-activated",
	},
	"event": {
		"order.created":          "Order created",
		"order.updated":          "Order updated",
		"cancellation.requested": "Cancellation requested",
		"cancellation.responded": "Answer received",
		"cancellation.withdrawn": "Request withdrawn",
	},
}

// word is the words for value v of kind (a key of words), or v itself.
func word(kind string, v any) string {
	s := rawString(v)
	if w, ok := words[kind][s]; ok {
		return w
	}
	return s
}

// wordHTML is word wrapped in a span that keeps the raw value.
func wordHTML(kind string, v any) template.HTML {
	s := rawString(v)
	if s == "" {
		return ""
	}
	e := template.HTMLEscapeString(s)
	return template.HTML(`<span data-value="` + e + `" title="` + e + `">` + template.HTMLEscapeString(word(kind, s)) + `</span>`)
}

// rawString is v's string value: a string type of adapters or a pointer to
// one (nil is "").
func rawString(v any) string {
	r := reflect.ValueOf(v)
	if r.Kind() == reflect.Pointer {
		if r.IsNil() {
			return ""
		}
		r = r.Elem()
	}
	if r.Kind() == reflect.String {
		return r.String()
	}
	return ""
}
