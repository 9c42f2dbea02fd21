//go:build !unix

package private

import "os"

// ownerOf knows no owners where files have no uid: the mode alone is
// checked.
func ownerOf(os.FileInfo) (int, bool) { return 0, false }
