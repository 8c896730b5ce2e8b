package platform_test

import (
	"testing"
	"time"

	"github.com/cancelsync/cancelsync/platform"
)

// TestPlatformNewWindows checks that an adapter's policy block overrides
// only the windows it sets.
func TestPlatformNewWindows(t *testing.T) {
	t.Parallel()

	p := platform.Platform{
		Name:       "fake",
		Rules:      fakeRules{},
		Defaults:   platform.Windows{CancelWindow: 3 * time.Hour, ResponseWindow: 48 * time.Hour},
		NewInbound: func(platform.Settings) (map[platform.Kind]platform.Inbound, error) { return nil, nil },
		NewClient:  func(platform.Settings) platform.Client { return nil },
	}
	tests := []struct {
		name      string
		overrides platform.Windows
		want      platform.Windows
	}{
		{name: "none", want: p.Defaults},
		{name: "cancel window", overrides: platform.Windows{CancelWindow: time.Hour}, want: platform.Windows{CancelWindow: time.Hour, ResponseWindow: 48 * time.Hour}},
		{name: "response window", overrides: platform.Windows{ResponseWindow: 24 * time.Hour}, want: platform.Windows{CancelWindow: 3 * time.Hour, ResponseWindow: 24 * time.Hour}},
		{name: "both", overrides: platform.Windows{CancelWindow: time.Minute, ResponseWindow: time.Hour}, want: platform.Windows{CancelWindow: time.Minute, ResponseWindow: time.Hour}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()

			a, err := p.New(platform.Settings{ID: "acme", Windows: tt.overrides})
			if err != nil {
				t.Fatal(err)
			}
			if a.Windows != tt.want {
				t.Errorf("Windows = %+v, want %+v", a.Windows, tt.want)
			}
			if a.ID != "acme" || a.Platform != "fake" {
				t.Errorf("ID, Platform = %q, %q", a.ID, a.Platform)
			}
		})
	}
}
