// Package deploy holds the files that run cancelsync elsewhere (compose's
// config); its test reads compose.yaml and the Dockerfile, which no Docker
// engine checks here.
package deploy

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// compose.yaml's cancelsync service has a healthcheck that asks /readyz
// with a program the final stage of the Dockerfile puts in the image, and
// the builder image is a pinned patch release, not a floating tag.
func TestComposeHealthcheckAndPinnedBuilder(t *testing.T) {
	raw, err := os.ReadFile("../compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var compose struct {
		Services map[string]struct {
			Healthcheck *struct {
				Test []string `yaml:"test"`
			} `yaml:"healthcheck"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(raw, &compose); err != nil {
		t.Fatal(err)
	}
	hc := compose.Services["cancelsync"].Healthcheck
	if hc == nil || len(hc.Test) < 3 || hc.Test[0] != "CMD" {
		t.Fatalf("cancelsync service: healthcheck %+v, want an exec-form CMD test", hc)
	}
	if last := hc.Test[len(hc.Test)-1]; !strings.HasSuffix(last, ":8080/readyz") {
		t.Errorf("healthcheck asks %q, want /readyz on the listen port of deploy/compose/cancelsync.yaml", last)
	}
	conf, err := os.ReadFile("compose/cancelsync.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(conf), `listen: "0.0.0.0:8080"`) {
		t.Errorf("deploy/compose/cancelsync.yaml no longer listens on 0.0.0.0:8080, which the healthcheck asks")
	}

	docker, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	stages := strings.Split(string(docker), "\nFROM ")
	final := stages[len(stages)-1]
	if !regexp.MustCompile(`(?m)^COPY --from=\S+ \S+ ` + regexp.QuoteMeta(hc.Test[1]) + `$`).MatchString(final) {
		t.Errorf("the healthcheck runs %s, which the Dockerfile's final stage does not copy in", hc.Test[1])
	}
	for _, from := range regexp.MustCompile(`(?m)^FROM (\S+)`).FindAllStringSubmatch(string(docker), -1) {
		if strings.HasPrefix(from[1], "golang:") && !regexp.MustCompile(`^golang:\d+\.\d+\.\d+-`).MatchString(from[1]) {
			t.Errorf("builder image %s is a floating tag; pin a patch release", from[1])
		}
	}
}
