// Package deps pins the project's dependencies in go.mod while the packages
// that use them are being written. Remove once every one is imported.
package deps

import (
	_ "github.com/alicebob/miniredis/v2"
	_ "github.com/gin-gonic/gin"
	_ "github.com/go-playground/validator/v10"
	_ "github.com/hibiken/asynq"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/redis/go-redis/v9"
	_ "gopkg.in/yaml.v3"
)
