// Package order is the pure aggregate of one order of one adapter: the
// document stored for it (Doc), the transition that applies a webhook or a
// timer to it (Transition), the storefront's "may I cancel?" (PreviewOf),
// and the read API's view (OrderView). It does no I/O and reads no clock:
// the time, the adapter's rules and the document come in, the changed
// document and the effects to queue go out, so every rule is a table test.
// Storing it is orderstore's; queueing its effects is tasks'.
package order
