package offcrypto

import (
	"bytes"
	"encoding/binary"
	"sync"
	"testing"
)

// The key cache is package state: these tests do not run in parallel with
// others that count hits.

func TestKeyCacheHitsAndMisses(t *testing.T) {
	derivedKeys.reset()
	h := hashByID("SHA512")
	salt := []byte("0123456789abcdef")
	pw := utf16le(DefaultPassword)
	a := derivedKeys.iteratedHash(h, salt, pw, 100)
	b := derivedKeys.iteratedHash(h, salt, pw, 100)
	if hits, misses, n := derivedKeys.stats(); hits != 1 || misses != 1 || n != 1 {
		t.Fatalf("hits=%d misses=%d size=%d, want 1 1 1", hits, misses, n)
	}
	if !bytes.Equal(a, b) || !bytes.Equal(a, naiveSpin(h, salt, DefaultPassword, 100)) {
		t.Fatal("cached value differs from the computed one")
	}
	// Every part of the key matters.
	derivedKeys.iteratedHash(h, salt, pw, 101)
	derivedKeys.iteratedHash(hashByID("SHA384"), salt, pw, 100)
	derivedKeys.iteratedHash(h, []byte("0123456789abcdeF"), pw, 100)
	derivedKeys.iteratedHash(h, salt, utf16le("VelvetSweatshoP"), 100)
	if _, misses, n := derivedKeys.stats(); misses != 5 || n != 5 {
		t.Fatalf("misses=%d size=%d, want 5 5", misses, n)
	}
}

func TestKeyCacheBounded(t *testing.T) {
	derivedKeys.reset()
	h := hashByID("SHA1")
	pw := utf16le(DefaultPassword)
	salt := func(i int) []byte { return binary.LittleEndian.AppendUint32(nil, uint32(i)) }
	for i := 0; i < 3*keyCacheSize; i++ {
		derivedKeys.iteratedHash(h, salt(i), pw, 1)
		if i == 0 {
			continue
		}
		// Keep entry 0 in use: LRU must not evict it.
		derivedKeys.iteratedHash(h, salt(0), pw, 1)
	}
	_, _, n := derivedKeys.stats()
	if n != keyCacheSize {
		t.Fatalf("size = %d, want %d", n, keyCacheSize)
	}
	hits0, _, _ := derivedKeys.stats()
	derivedKeys.iteratedHash(h, salt(0), pw, 1)
	if hits, _, _ := derivedKeys.stats(); hits != hits0+1 {
		t.Fatal("the most recently used entry was evicted")
	}
	derivedKeys.iteratedHash(h, salt(1), pw, 1)
	if hits, _, _ := derivedKeys.stats(); hits != hits0+1 {
		t.Fatal("an old entry survived eviction")
	}
}

func TestKeyCacheConcurrent(t *testing.T) {
	derivedKeys.reset()
	h := hashByID("SHA256")
	pw := utf16le(DefaultPassword)
	want := map[int][]byte{}
	for s := 0; s < 4; s++ {
		want[s] = naiveSpin(h, []byte{byte(s)}, DefaultPassword, 500)
	}
	var wg sync.WaitGroup
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				s := (g + i) % 4
				if got := derivedKeys.iteratedHash(h, []byte{byte(s)}, pw, 500); !bytes.Equal(got, want[s]) {
					t.Errorf("goroutine %d: wrong hash for salt %d", g, s)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// TestDecryptPackageUsesCache: inspecting the same attachment twice derives
// the key once.
func TestDecryptPackageUsesCache(t *testing.T) {
	info, pkg, _ := testAgile(t, DefaultPassword)
	derivedKeys.reset()
	for i := 0; i < 3; i++ {
		var out bytes.Buffer
		if err := DecryptPackage(info, bytes.NewReader(pkg), int64(len(pkg)), DefaultPassword, &out); err != nil {
			t.Fatal(err)
		}
	}
	if hits, misses, _ := derivedKeys.stats(); misses != 1 || hits != 2 {
		t.Fatalf("hits=%d misses=%d, want 2 1", hits, misses)
	}
}

// TestSpinHashEveryAlgorithm: the specialised loops (SHA-512, SHA-1) and the
// generic one give the hash chain of the specification, for no round, one
// round and many.
func TestSpinHashEveryAlgorithm(t *testing.T) {
	salt := []byte("0123456789abcdef")
	for _, h := range hashAlgs {
		for _, spin := range []uint32{0, 1, 1000} {
			got := spinHash(h, salt, utf16le(DefaultPassword), spin)
			if want := naiveSpin(h, salt, DefaultPassword, int(spin)); !bytes.Equal(got, want) {
				t.Errorf("%s, %d rounds: %x, want %x", h.id, spin, got, want)
			}
		}
	}
}
