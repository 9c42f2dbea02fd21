// Package browsertests runs ipcbus renderers in headless Chromium: the
// preload (client.wasm and its JavaScript) injected the way Electron runs
// it, talking through an in-process hub to other pages and to native Go
// clients. It is a module of its own so that chromedp stays out of the
// library's go.mod.
package browsertests
