package nativeclient

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"

	"github.com/ipcbus/ipcbus/internal/private"
	"github.com/ipcbus/ipcbus/internal/tokenfile"
)

// token returns the token a client presents on a, when the caller gave
// none: the address's own (?token=), else the token of $IPCBUS_ADDR when
// that names the same listener (a child process of the hub's starter
// inherits "tcp:127.0.0.1:P?token=T" and connects to port P), else
// $IPCBUS_TOKEN, else the one in the hub's token file at DefaultTokenPath
// when that file is this user's alone and lists a's listener. On a Unix
// socket no token is sent: the hub knows its peer's user from the kernel.
// The Node client finds it the same way (web/src/node/address.js).
func (a Addr) token() string {
	if a.Network == "unix" {
		return ""
	}
	if a.Token != "" {
		return a.Token
	}
	listener := a.listener()
	if env := os.Getenv(EnvAddr); env != "" && listener != "" {
		if e, err := ParseAddr(env); err == nil && e.Token != "" && e.listener() == listener {
			return e.Token
		}
	}
	if t := os.Getenv(EnvToken); t != "" {
		return t
	}
	if listener == "" {
		return ""
	}
	f, err := tokenfile.Read(DefaultTokenPath())
	if err != nil || !f.For(listener) {
		return ""
	}
	return f.Token
}

// listener names a's listener as a token file lists it: "tcp:host:port" or
// "ws:host:port".
func (a Addr) listener() string {
	switch a.Network {
	case "tcp":
		return "tcp:" + a.Address
	case "ws":
		if u, err := url.Parse(a.Address); err == nil {
			return "ws:" + u.Host
		}
	}
	return ""
}

// withToken returns a WebSocket URL that carries token.
func withToken(wsURL, token string) string {
	u, err := url.Parse(wsURL)
	if err != nil || token == "" {
		return wsURL
	}
	q := u.Query()
	q.Set("token", token)
	u.RawQuery = q.Encode()
	return u.String()
}

// ErrUntrustedSocket is returned for a Unix socket a client will not
// connect to: one in a folder that group or others may write (whoever can
// write it could have put their own socket there, to receive what the
// client says), or, for the default socket, in a folder of another user.
var ErrUntrustedSocket = errors.New("ipcbus: untrusted socket folder")

// checkSocket checks the folder of the Unix socket at path.
func checkSocket(path string) error {
	owner := private.AnyOwner // a hub of another user may admit this one (--allow-uid)
	if path == DefaultUnixPath() {
		owner = os.Getuid()
	}
	dir := filepath.Dir(path)
	if err := private.Dir(dir, owner); err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return fmt.Errorf("ipcbus: socket folder: %w", err)
		}
		return fmt.Errorf("%w: %s %v", ErrUntrustedSocket, dir, err)
	}
	return nil
}
