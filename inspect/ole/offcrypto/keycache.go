package offcrypto

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/binary"
	"sync"
)

// The iterated password hash of [MS-OFFCRYPTO] 2.3.4.7 (Standard: SHA-1,
// 50000 rounds) and 2.3.4.11 (Agile: spinCount rounds of hashAlgorithm):
//
//	H0 = H(salt + password)
//	Hn = H(iterator + Hn-1), iterator = 0 .. spin-1 as a 32-bit little-endian integer
//
// is the whole cost of trying a password. Everything after it (block keys,
// verifier, key decryption) is a handful of hashes and AES blocks. spinHash
// computes Hn; keyCache remembers it per (password, salt, spin, algorithm)
// so that an attachment inspected again (a retried delivery, a message split
// per recipient, the same file in many mails) does not pay twice.

// spinHash runs the spin loop without allocating per round: one fixed buffer
// holds iterator || H, and each round overwrites H in place. SHA-512 (Agile
// as Office writes it) and SHA-1 (Standard, and Agile from older writers)
// have loops of their own that call the hash directly, with no indirect call
// per round; the rarer hashes go through hashAlg.round.
func spinHash(h *hashAlg, salt, password []byte, spin uint32) []byte {
	var buf [4 + 64]byte
	d := h.new()
	d.Write(salt)
	d.Write(password)
	d.Sum(buf[4:4]) // H0 lands in buf[4 : 4+size]
	switch h.id {
	case "SHA512":
		spinSHA512((*[4 + sha512.Size]byte)(buf[:]), spin)
	case "SHA1":
		spinSHA1((*[4 + sha1.Size]byte)(buf[:4+sha1.Size]), spin)
	default:
		b := buf[:4+h.size]
		for i := uint32(0); i < spin; i++ {
			binary.LittleEndian.PutUint32(b[:4], i)
			h.round(b)
		}
	}
	out := make([]byte, h.size)
	copy(out, buf[4:4+h.size])
	return out
}

// spinSHA512 runs spin rounds of H = SHA-512(iterator || H) on b = iterator
// || H. The input of a round is 68 bytes: one compression of the block
// function per round, plus sha512.Sum512's padding and copying (a digest on
// the stack: no allocation).
func spinSHA512(b *[4 + sha512.Size]byte, spin uint32) {
	for i := uint32(0); i < spin; i++ {
		binary.LittleEndian.PutUint32(b[:4], i)
		*(*[sha512.Size]byte)(b[4:]) = sha512.Sum512(b[:])
	}
}

// spinSHA1 is spinSHA512 for SHA-1 (24-byte rounds).
func spinSHA1(b *[4 + sha1.Size]byte, spin uint32) {
	for i := uint32(0); i < spin; i++ {
		binary.LittleEndian.PutUint32(b[:4], i)
		*(*[sha1.Size]byte)(b[4:]) = sha1.Sum(b[:])
	}
}

// keyCacheSize bounds the cache: one entry is a 32-byte key and a hash of at
// most 64 bytes.
const keyCacheSize = 64

type cacheKey [sha256.Size]byte

type cacheEntry struct {
	hn   []byte // never modified after insertion
	used uint64 // clock value of the last hit, for LRU eviction
}

// keyCache is a small LRU of spin-loop results, safe for concurrent use. Its
// keys are SHA-256 digests of the inputs, so no password is held in memory.
type keyCache struct {
	mu      sync.Mutex
	clock   uint64
	entries map[cacheKey]*cacheEntry
	hits    uint64
	misses  uint64
}

var derivedKeys = &keyCache{entries: make(map[cacheKey]*cacheEntry, keyCacheSize)}

func makeCacheKey(h *hashAlg, salt, password []byte, spin uint32) cacheKey {
	d := sha256.New()
	var hdr [12]byte
	binary.LittleEndian.PutUint32(hdr[0:], spin)
	binary.LittleEndian.PutUint32(hdr[4:], uint32(len(salt)))
	binary.LittleEndian.PutUint32(hdr[8:], uint32(len(h.id)))
	d.Write(hdr[:])
	d.Write([]byte(h.id))
	d.Write(salt)
	d.Write(password)
	var k cacheKey
	d.Sum(k[:0])
	return k
}

// iteratedHash returns Hn for (password, salt, spin, h), from the cache when
// it was computed before. The result must not be modified.
func (c *keyCache) iteratedHash(h *hashAlg, salt, password []byte, spin uint32) []byte {
	k := makeCacheKey(h, salt, password, spin)
	c.mu.Lock()
	c.clock++
	if e, ok := c.entries[k]; ok {
		e.used = c.clock
		c.hits++
		c.mu.Unlock()
		return e.hn
	}
	c.misses++
	c.mu.Unlock()

	// Computed outside the lock: two goroutines missing the same key at once
	// both compute it, which is cheaper than making every other caller wait.
	hn := spinHash(h, salt, password, spin)

	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[k]; ok {
		return e.hn
	}
	if len(c.entries) >= keyCacheSize {
		var oldest cacheKey
		first := true
		var min uint64
		for key, e := range c.entries {
			if first || e.used < min {
				oldest, min, first = key, e.used, false
			}
		}
		delete(c.entries, oldest)
	}
	c.clock++
	c.entries[k] = &cacheEntry{hn: hn, used: c.clock}
	return hn
}

// reset empties the cache (tests and cold benchmarks).
func (c *keyCache) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.entries)
	c.hits, c.misses = 0, 0
}

// stats reports hits, misses and the current size (tests).
func (c *keyCache) stats() (hits, misses uint64, size int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hits, c.misses, len(c.entries)
}
