package platform

import "math/big"

// MinorUnits is the number of decimals of an ISO 4217 currency: 2 unless
// the standard's table says otherwise (JPY has none, KWD three).
func MinorUnits(currency string) int {
	switch currency {
	case "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF",
		"UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF":
		return 0
	case "BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND":
		return 3
	case "CLF", "UYW":
		return 4
	}
	return 2
}

// decimal reads an amount string as an exact fraction; ok is false for
// anything that is not a plain decimal. Amounts never pass through a float.
func decimal(s string) (*big.Rat, bool) {
	if s == "" {
		return new(big.Rat), true
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok || r.Sign() < 0 {
		return nil, false
	}
	return r, true
}

// formatAmount writes r with the currency's decimals, halves rounded away
// from zero.
func formatAmount(r *big.Rat, currency string) string {
	return r.FloatString(MinorUnits(currency))
}
