// goplug.go: a test-only nbdkit plugin in Go (c-shared, cgo): a RAM disk
// whose data lives in Go memory and whose readiness starts a goroutine,
// so that the Go runtime is really running when nbdkit or the viper
// engine serves from it.  tests/test-plugins-lang.sh builds it:
//
//	go build -buildmode=c-shared -o goplug.so .
package main

/*
#cgo CFLAGS: -Wall
#include <stdint.h>
*/
import "C"

import (
	"strconv"
	"sync"
	"time"
	"unsafe"
)

var (
	size    int64 = 64 << 20
	disk    []byte
	lock    sync.RWMutex
	ticker  = make(chan struct{})
	garbage []byte
)

//export goConfig
func goConfig(key, value *C.char) C.int {
	if C.GoString(key) != "size" {
		return -1
	}
	n, err := strconv.ParseInt(C.GoString(value), 10, 64)
	if err != nil || n <= 0 || n > 1<<32 {
		return -1
	}
	size = n
	return 0
}

//export goGetReady
func goGetReady() C.int {
	disk = make([]byte, size)
	// A goroutine that lives as long as the plugin: the runtime's
	// scheduler is busy, as in a real Go plugin with a pool or a cache.
	// The goroutine wakes every millisecond and allocates, so that
	// the runtime's threads (scheduler, timers, GC) are at work.
	go func() {
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				garbage = make([]byte, 4096)
			case <-ticker:
				return
			}
		}
	}()
	return 0
}

//export goUnload
func goUnload() {
	close(ticker)
}

//export goGetSize
func goGetSize() C.int64_t {
	return C.int64_t(size)
}

//export goPread
func goPread(buf unsafe.Pointer, count C.uint32_t, offset C.uint64_t) C.int {
	if uint64(offset)+uint64(count) > uint64(len(disk)) {
		return -1
	}
	lock.RLock()
	copy(unsafe.Slice((*byte)(buf), int(count)), disk[offset:uint64(offset)+uint64(count)])
	lock.RUnlock()
	return 0
}

//export goPwrite
func goPwrite(buf unsafe.Pointer, count C.uint32_t, offset C.uint64_t) C.int {
	if uint64(offset)+uint64(count) > uint64(len(disk)) {
		return -1
	}
	lock.Lock()
	copy(disk[offset:uint64(offset)+uint64(count)], unsafe.Slice((*byte)(buf), int(count)))
	lock.Unlock()
	return 0
}

func main() {}
