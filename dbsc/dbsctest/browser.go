// Package dbsctest plays the browser's part of DBSC in tests: a software key that signs
// proofs byte for byte as Chrome does (../shared/NOTES.md, "Device-bound sessions").
// Written by hand on purpose: it must be the browser's bytes, not our parser's library.
package dbsctest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"math/big"
	"strconv"
)

var b64 = base64.RawURLEncoding

// Key is a browser's session key, ECDSA P-256 (Chrome's software key) unless RSA.
type Key struct {
	EC  *ecdsa.PrivateKey
	RSA *rsa.PrivateKey
}

// NewKey makes a P-256 key, as Chrome does.
func NewKey() *Key {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	return &Key{EC: k}
}

// NewRSAKey makes a 2048-bit RSA key (RS256).
func NewRSAKey() *Key {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return &Key{RSA: k}
}

// JWK is the public key as Chrome writes it into the registration header.
func (k *Key) JWK() string {
	if k.RSA != nil {
		e := big.NewInt(int64(k.RSA.E)).Bytes()
		return `{"e":"` + b64.EncodeToString(e) + `","kty":"RSA","n":"` + b64.EncodeToString(k.RSA.N.Bytes()) + `"}`
	}
	x, y := make([]byte, 32), make([]byte, 32)
	k.EC.X.FillBytes(x)
	k.EC.Y.FillBytes(y)
	return `{"crv":"P-256","kty":"EC","x":"` + b64.EncodeToString(x) + `","y":"` + b64.EncodeToString(y) + `"}`
}

func (k *Key) alg() string {
	if k.RSA != nil {
		return "RS256"
	}
	return "ES256"
}

// Registration is the Secure-Session-Response of a registration: the key in the header.
func (k *Key) Registration(challenge string) string {
	return k.Sign(`{"alg":"`+k.alg()+`","jwk":`+k.JWK()+`,"typ":"dbsc+jwt"}`, challenge)
}

// Refresh is the Secure-Session-Response of a refresh: no key in the header.
func (k *Key) Refresh(challenge string) string {
	return k.Sign(`{"alg":"`+k.alg()+`","typ":"dbsc+jwt"}`, challenge)
}

// Sign makes a compact JWS of any protected header over {"jti":challenge}, for tests
// that need a header Chrome would never send.
func (k *Key) Sign(header, challenge string) string {
	input := b64.EncodeToString([]byte(header)) + "." + b64.EncodeToString([]byte(`{"jti":`+strconv.Quote(challenge)+`}`))
	digest := sha256.Sum256([]byte(input))
	var sig []byte
	if k.RSA != nil {
		var err error
		if sig, err = rsa.SignPKCS1v15(rand.Reader, k.RSA, crypto.SHA256, digest[:]); err != nil {
			panic(err)
		}
	} else {
		r, s, err := ecdsa.Sign(rand.Reader, k.EC, digest[:])
		if err != nil {
			panic(err)
		}
		sig = make([]byte, 64) // raw r||s, 32 bytes each, as JWS wants
		r.FillBytes(sig[:32])
		s.FillBytes(sig[32:])
	}
	return input + "." + b64.EncodeToString(sig)
}
