// Package storehook lets package orderstoretest reach what package
// orderstore keeps unexported for tests: orderstore sets the hooks when it
// is initialised, orderstoretest calls them. Nothing outside orderstore's
// tree can import it.
package storehook

// ForceFormat sets an *orderstore.Store's forceFormat: the document format
// it writes whatever its configuration says (0: its configuration's).
var ForceFormat func(store any, format int)
