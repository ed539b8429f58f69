package dbsc_test

import (
	"testing"

	"github.com/docodego/sessions/dbsc"
	"github.com/docodego/sessions/dbsc/dbsctest"
)

// FuzzVerifyRegistration feeds the proof parser anything: it must refuse without panicking,
// and whatever it accepts must carry a jti and a public key.
func FuzzVerifyRegistration(f *testing.F) {
	k := dbsctest.NewKey()
	f.Add(k.Registration("c"))
	f.Add(k.Refresh("c"))
	f.Add(dbsctest.NewRSAKey().Registration("c"))
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	f.Add("..")
	f.Fuzz(func(t *testing.T, proof string) {
		p, err := dbsc.VerifyRegistration(proof)
		if err != nil {
			return
		}
		if p.JTI == "" || p.Key == nil || !p.Key.IsPublic() {
			t.Fatalf("accepted %q: %+v", proof, p)
		}
		if _, err := p.KeyJSON(); err != nil {
			t.Fatal(err)
		}
	})
}
