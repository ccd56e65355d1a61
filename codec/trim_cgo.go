//go:build cgo && linux

package codec

/*
#cgo LDFLAGS: -ldl
#include <dlfcn.h>
#include <stddef.h>

// trim calls glibc's malloc_trim when the C library has one (musl has
// not), looked up at run time so the build does not depend on it.
static void trim(void) {
	int (*fn)(size_t) = (int (*)(size_t))dlsym(RTLD_DEFAULT, "malloc_trim");
	if (fn) fn(0);
}
*/
import "C"

// ReleaseMemory returns the C heap's free memory to the operating system
// (glibc's malloc_trim; nothing elsewhere). The codecs run on whatever
// threads Go gives their calls, and glibc keeps an arena per thread that
// holds on to freed buffers: a server that churns sessions otherwise keeps
// 100 MiB and more of freed codec memory resident (BENCHMARKS.md, "Soak").
// Call it after closing a session's codecs; it takes about a millisecond.
func ReleaseMemory() { C.trim() }
