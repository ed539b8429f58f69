package pgserver

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"database/sql"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"time"

	"github.com/lib/pq"
)

// StandaloneOptions shapes a throwaway server for connection tests: the DSN forms a person
// may give the app (TCP with a password, TLS, a Unix socket) each need a server that
// insists on them.
type StandaloneOptions struct {
	// Password, when set, is what TCP connections must give (scram-sha-256) for the
	// postgres role; the Unix socket stays trusted.
	Password string
	// TLS makes TCP TLS-only, with a self-signed certificate made for the server.
	TLS bool
}

// StartStandalone runs a lone server (neither primary of a standby nor one itself) on
// 127.0.0.1:<free port> and its own socket dir.
func StartStandalone(ctx context.Context, opt StandaloneOptions) (*ReplicaNode, error) {
	n, err := newReplicaNode(false)
	if err != nil {
		return nil, err
	}
	err = n.run(ctx, "initdb", initdbArgs(n.dataDir, true)...)
	if err == nil && opt.TLS {
		err = n.makeCertificate()
	}
	if err == nil && (opt.TLS || opt.Password != "") {
		err = n.writeHBA(opt)
	}
	if err == nil {
		err = n.start(ctx)
	}
	if err == nil && opt.Password != "" {
		err = n.setPassword(ctx, opt.Password)
	}
	if err != nil {
		n.Stop()
		return nil, fmt.Errorf("standalone postgres: %w", err)
	}
	return n, nil
}

// Port is the server's TCP port on 127.0.0.1.
func (n *ReplicaNode) Port() int { return n.port }

// SocketDir is the folder of the server's Unix socket (host= in a DSN).
func (n *ReplicaNode) SocketDir() string { return n.dir }

// writeHBA trusts the socket and asks TCP clients for the password, over TLS only when the
// server has TLS: a client that does not use it finds no pg_hba.conf entry.
func (n *ReplicaNode) writeHBA(opt StandaloneOptions) error {
	kind, method := "host", "trust"
	if opt.TLS {
		kind = "hostssl"
	}
	if opt.Password != "" {
		method = "scram-sha-256"
	}
	hba := fmt.Sprintf("local all all trust\n%[1]s all all 127.0.0.1/32 %[2]s\n%[1]s all all ::1/128 %[2]s\n"+
		"%[1]s replication all 127.0.0.1/32 %[2]s\n", kind, method)
	return n.writeOwned(filepath.Join(n.dataDir, "pg_hba.conf"), []byte(hba))
}

// makeCertificate writes a self-signed certificate and key into the cluster and turns TLS on.
func (n *ReplicaNode) makeCertificate() error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		DNSNames:     []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	certPath, keyPath := filepath.Join(n.dataDir, "server.crt"), filepath.Join(n.dataDir, "server.key")
	if err := n.writeOwned(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})); err != nil {
		return err
	}
	if err := n.writeOwned(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})); err != nil {
		return err
	}
	n.extraArgs = append(n.extraArgs, "-c", "ssl=on", "-c", "ssl_cert_file="+certPath, "-c", "ssl_key_file="+keyPath)
	return nil
}

// writeOwned writes a file only the server user may read (PostgreSQL insists on it for
// the key).
func (n *ReplicaNode) writeOwned(path string, b []byte) error {
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return err
	}
	return n.chown(path)
}

func (n *ReplicaNode) setPassword(ctx context.Context, password string) error {
	conn, err := sql.Open("postgres", n.socketDSN())
	if err != nil {
		return err
	}
	defer conn.Close()
	_, err = conn.ExecContext(ctx, `ALTER ROLE postgres PASSWORD `+pq.QuoteLiteral(password))
	return err
}
