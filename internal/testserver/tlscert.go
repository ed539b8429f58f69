package testserver

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"math/big"
	"net"
	"net/http"
	"testing"
	"time"
)

// Cert is a self-signed certificate for 127.0.0.1, made per test.
type Cert struct {
	TLS  tls.Certificate
	x509 *x509.Certificate
}

// NewCert makes a fresh self-signed certificate for 127.0.0.1 and localhost.
func NewCert(t testing.TB) *Cert {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		NotBefore:    time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:    []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &Cert{TLS: tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: parsed}, x509: parsed}
}

// SPKIPin is what Chromium's --ignore-certificate-errors-spki-list takes: the base64
// SHA-256 of the certificate's SubjectPublicKeyInfo. (--ignore-certificate-errors would
// silently turn DBSC off.)
func (c *Cert) SPKIPin() string {
	sum := sha256.Sum256(c.x509.RawSubjectPublicKeyInfo)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// Client is a plain HTTP client that trusts only this certificate and follows no
// redirects, so tests see every answer.
func (c *Cert) Client() *http.Client {
	return &http.Client{
		Transport:     c.transport(),
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       10 * time.Second,
	}
}

// transport trusts only this certificate.
func (c *Cert) transport() *http.Transport {
	pool := x509.NewCertPool()
	pool.AddCert(c.x509)
	return &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
}
