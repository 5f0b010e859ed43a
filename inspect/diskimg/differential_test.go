package diskimg

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/officemilter/officemilter/inspect"
)

// Differential tests: what this package reads is compared with what
// independent readers read from the same bytes: qemu-img for the virtual
// disks, mtools for FAT volumes. They skip when the tools are missing
// (apt-get install qemu-utils mtools).

func need(t *testing.T, tool string) string {
	t.Helper()
	p, err := exec.LookPath(tool)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s not installed (make test-deps installs mtools and qemu-utils)", tool)
		}
		t.Skipf("%s not installed", tool)
	}
	return p
}

// TestVirtualDisksMatchQemu: every byte of the virtual disk of each VHD
// and VHDX fixture equals what qemu-img converts it to.
func TestVirtualDisksMatchQemu(t *testing.T) {
	qemu := need(t, "qemu-img")
	for _, c := range []struct {
		file, format string
		fam          inspect.Family
	}{{"fixed.vhd", "vpc", inspect.FamilyVHD}, {"dynamic.vhd", "vpc", inspect.FamilyVHD}, {"disk.vhdx", "vhdx", inspect.FamilyVHDX}} {
		t.Run(c.file, func(t *testing.T) {
			b := fixture(t, c.file)
			dir := t.TempDir()
			in, out := filepath.Join(dir, c.file), filepath.Join(dir, "raw")
			if err := os.WriteFile(in, b, 0o600); err != nil {
				t.Fatal(err)
			}
			if msg, err := exec.Command(qemu, "convert", "-f", c.format, "-O", "raw", in, out).CombinedOutput(); err != nil {
				t.Fatalf("qemu-img: %v %s", err, msg)
			}
			want, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			p := inspect.Part{R: bytes.NewReader(b), Size: int64(len(b))}
			var d disk
			if c.fam == inspect.FamilyVHD {
				d, _, _, err = openVHD(p)
			} else {
				d, err = openVHDX(p)
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(io.NewSectionReader(d.r, 0, d.size))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("virtual disk differs from qemu-img's (%d vs %d bytes)", len(got), len(want))
			}
		})
	}
}

// TestFATMatchesMtools: the files listed and their content equal what
// mtools (mdir, mcopy) reads, for the fixtures and for variants with a
// deleted entry and a damaged long name.
func TestFATMatchesMtools(t *testing.T) {
	mdir, mcopy := need(t, "mdir"), need(t, "mcopy")
	fat12 := fixture(t, "fat12.img")
	variant := func(f func(b []byte)) []byte {
		b := append([]byte{}, fat12...)
		f(b)
		return b
	}
	images := map[string][]byte{
		"fat12": fat12, "fat16": fixture(t, "fat16.img"), "fat32": fixture(t, "fat32.img"),
		"deleted": variant(func(b []byte) { b[bytes.Index(b, []byte("SETUP   EXE"))] = 0xE5 }),
		"long name checksum": variant(func(b []byte) {
			off := bytes.Index(b, []byte("LETTER~1DOC"))
			b[off-32+13]++
		}),
	}
	for name, b := range images {
		t.Run(name, func(t *testing.T) {
			img := filepath.Join(t.TempDir(), "x.img")
			if err := os.WriteFile(img, b, 0o600); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(mdir, "-/", "-b", "-i", img, "::")
			cmd.Env = append(os.Environ(), "MTOOLS_SKIP_CHECK=1")
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("mdir: %v", err)
			}
			var want []string
			for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
				if l = strings.TrimPrefix(l, "::/"); l != "" && !strings.HasSuffix(l, "/") {
					want = append(want, l)
				}
			}
			rec, err := inspectImage(t, inspect.FamilyIMG, b, inspect.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			got := rec.Names()
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Fatalf("listed %q, mtools %q", got, want)
			}
			for _, n := range got {
				cmd := exec.Command(mcopy, "-n", "-i", img, "::/"+n, "-")
				cmd.Env = append(os.Environ(), "MTOOLS_SKIP_CHECK=1")
				data, err := cmd.Output()
				if err != nil {
					t.Fatalf("mcopy %s: %v", n, err)
				}
				if !bytes.Equal(rec.Data(n), data) {
					t.Errorf("%s differs from mtools' copy", n)
				}
			}
		})
	}
}
