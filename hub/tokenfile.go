package hub

import (
	"os"

	"github.com/ipcbus/ipcbus/internal/tokenfile"
)

// Token returns the token TCP and WebSocket connections must present: the
// configured one, or the one generated at New.
func (h *Hub) Token() string { return h.token }

// TokenFile returns the path of the token file the hub writes (see
// Config.TokenFile), or "" for none.
func (h *Hub) TokenFile() string { return h.cfg.TokenFile }

// writeTokenFileLocked writes Config.TokenFile, when there is one, with the
// token and the TCP and WebSocket addresses it is good for.
func (h *Hub) writeTokenFileLocked() error {
	if h.cfg.TokenFile == "" {
		return nil
	}
	f := tokenfile.File{Token: h.token}
	for _, kind := range []string{"tcp", "ws"} {
		if a := h.addrLocked(kind); a != "" {
			f.Addrs = append(f.Addrs, a)
		}
	}
	if err := tokenfile.Write(h.cfg.TokenFile, f); err != nil {
		return err
	}
	h.tokenFile = true
	return nil
}

// removeTokenFileLocked removes the token file Listen wrote, unless another
// hub has written one there since.
func (h *Hub) removeTokenFileLocked() {
	if !h.tokenFile {
		return
	}
	h.tokenFile = false
	if f, err := tokenfile.Read(h.cfg.TokenFile); err == nil && f.Token == h.token {
		os.Remove(h.cfg.TokenFile)
	}
}
