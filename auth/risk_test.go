package auth

import (
	"testing"
	"time"

	"github.com/docodego/sessions/db"
)

// A row's flags fade RiskShownFor after its sign-in.
func TestRiskFadesAfterFourteenDays(t *testing.T) {
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	s := db.Session{CreatedAt: at, Risk: db.RiskNewDevice | db.RiskNotBrowser}
	for _, c := range []struct {
		after time.Duration
		want  int16
	}{{0, s.Risk}, {RiskShownFor - time.Second, s.Risk}, {RiskShownFor, 0}, {30 * 24 * time.Hour, 0}} {
		if got := RiskShown(s, at.Add(c.after)); got != c.want {
			t.Errorf("%s after sign-in: %b, want %b", c.after, got, c.want)
		}
	}
}
