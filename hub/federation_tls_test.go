package hub_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/ipcbus/ipcbus/hub"
	"github.com/ipcbus/ipcbus/hub/hubtest"
	"github.com/ipcbus/ipcbus/shared/bus"
)

// testPKI writes a CA, a server certificate for 127.0.0.1 and a client
// certificate, PEM files in a temporary folder.
type testPKI struct {
	ca                         *x509.CertPool
	server                     tls.Certificate
	caFile, certFile, keyFile  string
	otherCAFile, notAPEMCAFile string
}

func newTestPKI(t *testing.T) *testPKI {
	t.Helper()
	dir := t.TempDir()
	write := func(name, kind string, der []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	newKey := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	sign := func(tmpl, parent *x509.Certificate, pub, priv any) *x509.Certificate {
		der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, priv)
		if err != nil {
			t.Fatal(err)
		}
		c, _ := x509.ParseCertificate(der)
		return c
	}
	now := time.Now()
	caKey := newKey()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"}, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	ca := sign(caTmpl, caTmpl, &caKey.PublicKey, caKey)
	leaf := func(serial int64, usage x509.ExtKeyUsage) (*x509.Certificate, *ecdsa.PrivateKey) {
		k := newKey()
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "127.0.0.1"}, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
			IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, ExtKeyUsage: []x509.ExtKeyUsage{usage}, KeyUsage: x509.KeyUsageDigitalSignature}
		return sign(tmpl, ca, &k.PublicKey, caKey), k
	}
	srvCert, srvKey := leaf(2, x509.ExtKeyUsageServerAuth)
	cliCert, cliKey := leaf(3, x509.ExtKeyUsageClientAuth)
	keyDER := func(k *ecdsa.PrivateKey) []byte {
		b, err := x509.MarshalECPrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	otherKey := newKey()
	otherTmpl := &x509.Certificate{SerialNumber: big.NewInt(4), Subject: pkix.Name{CommonName: "other CA"}, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	other := sign(otherTmpl, otherTmpl, &otherKey.PublicKey, otherKey)
	p := &testPKI{
		ca:          x509.NewCertPool(),
		server:      tls.Certificate{Certificate: [][]byte{srvCert.Raw}, PrivateKey: srvKey},
		caFile:      write("ca.pem", "CERTIFICATE", ca.Raw),
		certFile:    write("client.pem", "CERTIFICATE", cliCert.Raw),
		keyFile:     write("client-key.pem", "EC PRIVATE KEY", keyDER(cliKey)),
		otherCAFile: write("other-ca.pem", "CERTIFICATE", other.Raw),
	}
	p.notAPEMCAFile = filepath.Join(dir, "not-a-pem")
	if err := os.WriteFile(p.notAPEMCAFile, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	p.ca.AddCert(ca)
	return p
}

// tlsNATS starts a NATS server on loopback that requires TLS and a client
// certificate signed by the test CA.
func tlsNATS(t *testing.T, p *testPKI) *server.Server {
	t.Helper()
	s, err := server.NewServer(&server.Options{
		Host: "127.0.0.1", Port: -1, NoLog: true, NoSigs: true,
		TLS: true, TLSVerify: true, TLSTimeout: 5,
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{p.server}, ClientCAs: p.ca, ClientAuth: tls.RequireAndVerifyClientCert, MinVersion: tls.VersionTLS12},
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("NATS server not ready")
	}
	t.Cleanup(func() { s.Shutdown(); s.WaitForShutdown() })
	return s
}

// Two hubs join a NATS server that requires TLS with a client
// certificate; a send and a request cross between them.
func TestFederationOverTLS(t *testing.T) {
	p := newTestPKI(t)
	s := tlsNATS(t, p)
	var hubs []*hub.Hub
	for i := range 2 {
		hubs = append(hubs, hubtest.Start(t, hub.Config{NATS: hub.NATSConfig{
			URLs: []string{s.ClientURL()}, HubID: uint32(i + 1),
			TLSCAFile: p.caFile, TLSCertFile: p.certFile, TLSKeyFile: p.keyFile,
		}}))
	}
	hubtest.Eventually(t, 10*time.Second, "both hubs connected over TLS", func() bool {
		return hubs[0].NATSConnectedURL() != "" && hubs[1].NATSConnectedURL() != ""
	})
	a := hubtest.Dial(t, hubs[0], "a", nil)
	b := hubtest.Dial(t, hubs[1], "b", nil)
	echo(b, "echo")
	awaitResponder(t, a, bus.Target{}, "echo")
	resp, err := a.Request(fedCtx(t), "echo", "over TLS")
	if err != nil {
		t.Fatal(err)
	}
	if v, err := resp.Value(); err != nil || v != "over TLS" {
		t.Fatalf("echoed %v, %v", v, err)
	}
}

// TLS files that cannot be used stop the hub at start, with an error that
// names what is wrong.
func TestFederationTLSFilesChecked(t *testing.T) {
	p := newTestPKI(t)
	for _, tc := range []struct {
		name string
		cfg  hub.NATSConfig
		want string
	}{
		{"missing CA", hub.NATSConfig{TLSCAFile: filepath.Join(t.TempDir(), "none.pem")}, "NATS TLS CA"},
		{"CA not PEM", hub.NATSConfig{TLSCAFile: p.notAPEMCAFile}, "no PEM certificate"},
		{"cert without key", hub.NATSConfig{TLSCertFile: p.certFile}, "go together"},
		{"key not matching", hub.NATSConfig{TLSCertFile: p.certFile, TLSKeyFile: p.caFile}, "client certificate"},
		{"with embedded", hub.NATSConfig{Embedded: true, TLSCAFile: p.caFile}, "in-process"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			if !cfg.Embedded {
				cfg.URLs = []string{"tls://127.0.0.1:1"}
			}
			h, err := hub.New(hub.Config{UnixPath: filepath.Join(t.TempDir(), "s"), NATS: cfg})
			if err == nil {
				err = h.Listen()
				h.Kill()
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one with %q", err, tc.want)
			}
		})
	}
}
