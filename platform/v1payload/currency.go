package v1payload

// MinorUnits is the number of decimals of an ISO 4217 currency (2 unless
// the standard's table says otherwise), for platforms that must write an
// amount with its currency's precision (WooCommerce sends prices as JSON
// numbers).
func MinorUnits(currency string) int { return minorUnits(currency) }
