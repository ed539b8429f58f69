// Package dbsc is the wire format of Device Bound Session Credentials
// (https://w3c.github.io/webappsec-dbsc/): it parses and verifies the browser's signed
// proofs and builds the headers and session instructions the browser reads. It knows
// nothing of our sessions: which challenge is valid and which key a session holds are
// auth's rules.
package dbsc

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/go-jose/go-jose/v4"
)

// Header names of the protocol; only the Secure-Session-* names work in Chrome.
const (
	HeaderRegistration = "Secure-Session-Registration"
	HeaderResponse     = "Secure-Session-Response"
	HeaderChallenge    = "Secure-Session-Challenge"
	HeaderSessionID    = "Sec-Secure-Session-Id"
)

// proofType is the JWS "typ" of every DBSC proof.
const proofType = "dbsc+jwt"

// maxProofLen bounds what is parsed: Chrome's ES256 proof with its key is ~450 bytes, an
// RS256 one with a 4096-bit key under 2 KB.
const maxProofLen = 4096

// minRSABits refuses keys too weak to trust with a session.
const minRSABits = 2048

// Errors of a proof; each says why it was refused (logged as the reason).
var (
	ErrMalformed  = errors.New("dbsc: malformed proof")
	ErrAlgorithm  = errors.New("dbsc: algorithm not allowed (ES256 or RS256 only)")
	ErrType       = errors.New("dbsc: typ is not dbsc+jwt")
	ErrMissingKey = errors.New("dbsc: proof has no public key")
	ErrKey        = errors.New("dbsc: key does not match the algorithm")
	ErrSignature  = errors.New("dbsc: bad signature")
	ErrNoJTI      = errors.New("dbsc: proof has no jti")
)

// allowed are the algorithms we accept; go-jose refuses any other "alg" while parsing, so
// "none" and HS256 never reach a verification.
var allowed = []jose.SignatureAlgorithm{jose.ES256, jose.RS256}

// Proof is a verified proof: the challenge it signed and the key that signed it.
type Proof struct {
	JTI string
	Key *jose.JSONWebKey // the public key, from the proof (registration) or from storage
}

// KeyJSON is the proof's public key as a JWK, the form it is stored in.
func (p Proof) KeyJSON() ([]byte, error) {
	b, err := p.Key.MarshalJSON()
	if err != nil {
		return nil, fmt.Errorf("dbsc: encode key: %w", err)
	}
	return b, nil
}

// VerifyRegistration checks a registration proof: signed with ES256 or RS256 by the
// public key in its own header, typ dbsc+jwt, with a jti.
func VerifyRegistration(compact string) (Proof, error) {
	sig, err := parse(compact)
	if err != nil {
		return Proof{}, err
	}
	key := sig.Signatures[0].Protected.JSONWebKey
	if key == nil {
		return Proof{}, ErrMissingKey
	}
	return verify(sig, key)
}

// VerifyRefresh checks a refresh proof against the key stored at registration (a JWK);
// any key in the proof's header is ignored.
func VerifyRefresh(compact string, storedKey []byte) (Proof, error) {
	var key jose.JSONWebKey
	if err := key.UnmarshalJSON(storedKey); err != nil {
		return Proof{}, fmt.Errorf("dbsc: stored key: %w", err)
	}
	sig, err := parse(compact)
	if err != nil {
		return Proof{}, err
	}
	return verify(sig, &key)
}

// parse reads a compact JWS with one of the allowed algorithms and typ dbsc+jwt; the
// signature is not checked yet.
func parse(compact string) (*jose.JSONWebSignature, error) {
	if compact == "" || len(compact) > maxProofLen {
		return nil, ErrMalformed
	}
	sig, err := jose.ParseSignedCompact(compact, allowed)
	if err != nil {
		if isAlgorithmError(compact) {
			return nil, ErrAlgorithm
		}
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if len(sig.Signatures) != 1 {
		return nil, ErrMalformed
	}
	if typ, _ := sig.Signatures[0].Protected.ExtraHeaders[jose.HeaderType].(string); typ != proofType {
		return nil, ErrType
	}
	return sig, nil
}

// isAlgorithmError tells a refused "alg" from other parse failures, for the logged reason.
func isAlgorithmError(compact string) bool {
	_, err := jose.ParseSignedCompact(compact, []jose.SignatureAlgorithm{
		jose.ES256, jose.RS256, jose.HS256, jose.HS384, jose.HS512, jose.ES384, jose.ES512,
		jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512, jose.EdDSA, "none"})
	return err == nil
}

// verify checks that key suits the algorithm and signed the proof, and reads its jti.
func verify(sig *jose.JSONWebSignature, key *jose.JSONWebKey) (Proof, error) {
	if !key.IsPublic() || !key.Valid() {
		return Proof{}, ErrKey
	}
	switch k := key.Key.(type) {
	case *ecdsa.PublicKey:
		if sig.Signatures[0].Protected.Algorithm != string(jose.ES256) || k.Curve != elliptic.P256() {
			return Proof{}, ErrKey
		}
	case *rsa.PublicKey:
		if sig.Signatures[0].Protected.Algorithm != string(jose.RS256) || k.N.BitLen() < minRSABits {
			return Proof{}, ErrKey
		}
	default:
		return Proof{}, ErrKey
	}
	payload, err := sig.Verify(key.Key)
	if err != nil {
		return Proof{}, ErrSignature
	}
	var claims struct {
		JTI string `json:"jti"`
	}
	if err := json.Unmarshal(payload, &claims); err != nil {
		return Proof{}, fmt.Errorf("%w: payload: %v", ErrMalformed, err)
	}
	if claims.JTI == "" {
		return Proof{}, ErrNoJTI
	}
	public := key.Public()
	return Proof{JTI: claims.JTI, Key: &public}, nil
}
