package adapters_test

import (
	"testing"
	"time"

	"github.com/cancelsync/cancelsync/adapters"
)

// TestPlatformNewWindows checks that an adapter's policy block overrides
// only the windows it sets.
func TestPlatformNewWindows(t *testing.T) {
	t.Parallel()

	p := adapters.Platform{
		Name:       "fake",
		Rules:      fakeRules{},
		Defaults:   adapters.Windows{CancelWindow: 3 * time.Hour, ResponseWindow: 48 * time.Hour},
		NewInbound: func(adapters.Settings) (map[adapters.Kind]adapters.Inbound, error) { return nil, nil },
		NewClient:  func(adapters.Settings) adapters.Client { return nil },
	}
	tests := []struct {
		name      string
		overrides adapters.Windows
		want      adapters.Windows
	}{
		{name: "none", want: p.Defaults},
		{name: "cancel window", overrides: adapters.Windows{CancelWindow: time.Hour}, want: adapters.Windows{CancelWindow: time.Hour, ResponseWindow: 48 * time.Hour}},
		{name: "response window", overrides: adapters.Windows{ResponseWindow: 24 * time.Hour}, want: adapters.Windows{CancelWindow: 3 * time.Hour, ResponseWindow: 24 * time.Hour}},
		{name: "both", overrides: adapters.Windows{CancelWindow: time.Minute, ResponseWindow: time.Hour}, want: adapters.Windows{CancelWindow: time.Minute, ResponseWindow: time.Hour}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()

			a, err := p.New(adapters.Settings{ID: "acme", Windows: tt.overrides})
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
