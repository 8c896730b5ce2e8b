// Package deps pins dependencies in go.mod that the project is about to use,
// so that parallel work on several packages never races on go.mod.
// Remove an entry once a real package imports it.
package deps

import (
	_ "github.com/hibiken/asynq/x/metrics"
	_ "github.com/hibiken/asynqmon"
	_ "github.com/prometheus/client_golang/prometheus/testutil"
)
