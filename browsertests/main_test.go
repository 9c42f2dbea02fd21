package browsertests

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"
)

// The suite shares one browser and one built web dir; each test starts its
// own hub and opens its own tabs.
var (
	webDir     string          // what the hubs serve: web/ built, plus testdata
	browserCtx context.Context // the browser; tabs are its children
)

// chromium is the real binary (/usr/bin/chromium is a shell wrapper).
func chromium() string {
	if p := os.Getenv("IPCBUS_CHROMIUM"); p != "" {
		return p
	}
	return "/usr/lib/chromium/chromium"
}

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	exe := chromium()
	if _, err := os.Stat(exe); err != nil {
		fmt.Fprintf(os.Stderr, "browsertests: no Chromium at %s (apt-get install chromium, or set IPCBUS_CHROMIUM): %v\n", exe, err)
		return 1
	}
	tmp, err := os.MkdirTemp("", "ipcbus-browsertests-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "browsertests:", err)
		return 1
	}
	defer os.RemoveAll(tmp)
	webDir = filepath.Join(tmp, "web")
	if err := buildWeb(webDir); err != nil {
		fmt.Fprintln(os.Stderr, "browsertests: build web:", err)
		return 1
	}

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.UserDataDir(filepath.Join(tmp, "profile")),
		chromedp.Flag("headless", "new"),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		// MessagePort's close event (off by default in Chromium 156; an
		// Electron app turns it on with webPreferences.enableBlinkFeatures):
		// closing one end of a transferred port tells the other.
		chromedp.Flag("enable-blink-features", "MessagePortCloseEvent"),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancelBrowser := chromedp.NewContext(allocCtx)
	defer cancelBrowser()
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		fmt.Fprintln(os.Stderr, "browsertests: start Chromium:", err)
		return 1
	}
	browserCtx = ctx
	defer stopMain()
	return m.Run()
}

// buildWeb runs web/build.sh into dir, as the Makefile does, and adds the
// test pages under dir/test/.
func buildWeb(dir string) error {
	cmd := exec.Command("sh", "../web/build.sh", dir)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(dir, "test"), 0o755); err != nil {
		return err
	}
	pages, err := filepath.Glob("testdata/*.html")
	if err != nil {
		return err
	}
	scripts, err := filepath.Glob("testdata/*.js")
	if err != nil {
		return err
	}
	pages = append(pages, scripts...)
	for _, p := range pages {
		if err := copyFile(p, filepath.Join(dir, "test", filepath.Base(p))); err != nil {
			return err
		}
	}
	return nil
}

func copyFile(from, to string) error {
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.Create(to)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return err
	}
	return dst.Close()
}
