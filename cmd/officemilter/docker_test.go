package main

import (
	"bytes"
	"crypto/rand"
	"debug/elf"
	"encoding/hex"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// dockerInstr is one instruction of the Dockerfile, continuation lines
// joined.
type dockerInstr struct {
	stage int // index of the FROM it belongs to
	cmd   string
	args  string
}

func parseDockerfile(t *testing.T, name string) []dockerInstr {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	var out []dockerInstr
	stage := -1
	var cur string
	for _, line := range strings.Split(string(data), "\n") {
		trimmed := strings.TrimSpace(line)
		if cur == "" && (trimmed == "" || strings.HasPrefix(trimmed, "#")) {
			continue
		}
		if strings.HasSuffix(trimmed, "\\") {
			cur += strings.TrimSuffix(trimmed, "\\") + " "
			continue
		}
		cur += trimmed
		cmd, args, _ := strings.Cut(cur, " ")
		cmd = strings.ToUpper(cmd)
		if cmd == "FROM" {
			stage++
		}
		out = append(out, dockerInstr{stage, cmd, strings.TrimSpace(args)})
		cur = ""
	}
	return out
}

// TestDockerfile checks the Dockerfile without a registry: every path it
// copies from the build context exists, its build command (run as
// written, with /out in a temporary directory) gives a static binary that
// runs. Then, where podman works (CI installs it; see the Makefile), it
// builds the runtime stage from that binary, runs it with --network host
// and checks that the milter strips a .doc, that the image's HEALTHCHECK
// passes and that it runs as an unprivileged user.
func TestDockerfile(t *testing.T) {
	const root = "../.."
	instrs := parseDockerfile(t, filepath.Join(root, "Dockerfile"))
	var build, install, runtime []dockerInstr
	last := instrs[len(instrs)-1].stage
	for _, in := range instrs {
		switch {
		case in.cmd == "COPY" && !strings.Contains(in.args, "--from="):
			f := strings.Fields(in.args)
			for _, src := range f[:len(f)-1] {
				if strings.HasPrefix(src, "--") {
					continue
				}
				if _, err := os.Stat(filepath.Join(root, src)); err != nil {
					t.Errorf("Dockerfile copies %s, which does not exist: %v", src, err)
				}
			}
		case in.cmd == "RUN" && strings.Contains(in.args, "go build"):
			build = append(build, in)
		case in.cmd == "RUN" && strings.Contains(in.args, "install -d"):
			install = append(install, in)
		}
		if in.stage == last {
			runtime = append(runtime, in)
		}
	}
	if len(build) != 1 || len(install) != 1 || !strings.Contains(build[0].args, "CGO_ENABLED=0") {
		t.Fatalf("want one RUN with CGO_ENABLED=0 go build and one with install -d: %+v", build)
	}
	if runtime[0].args != "scratch AS runtime" {
		t.Errorf("runtime stage: FROM %s", runtime[0].args)
	}

	tmp := t.TempDir()
	out := filepath.Join(tmp, "out")
	sh := func(script string) {
		t.Helper()
		script = strings.ReplaceAll(strings.ReplaceAll(script, "/out/", out+"/"), "${VERSION}", "dockerfile-test")
		cmd := exec.Command("sh", "-c", script)
		cmd.Dir = root
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", script, err, b)
		}
	}
	sh(build[0].args)
	bin := filepath.Join(out, "usr/local/bin/officemilter")
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Errorf("binary is not static: has %v", p.Type)
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("binary needs %v", libs)
	}
	f.Close()
	if v, err := exec.Command(bin, "version").Output(); err != nil || !strings.Contains(string(v), "officemilter dockerfile-test") {
		t.Errorf("version: %q %v", v, err)
	}

	podman, err := exec.LookPath("podman")
	if err != nil || os.Geteuid() != 0 {
		if os.Getenv("CI") != "" {
			t.Fatalf("podman (as root) is needed under CI to build and run the image (make test-deps installs it): %v", err)
		}
		t.Skip("podman not installed or not root: the image is not built")
	}
	sh(install[0].args)
	var cf strings.Builder
	for _, in := range runtime {
		args := in.args
		if in.cmd == "COPY" {
			args = strings.Replace(args, "--from=build /out/", "out/", 1)
		}
		cf.WriteString(in.cmd + " " + args + "\n")
	}
	if err := os.WriteFile(filepath.Join(tmp, "Containerfile"), []byte(cf.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	var rnd [6]byte
	rand.Read(rnd[:])
	name := "officemilter-test-" + hex.EncodeToString(rnd[:])
	// Workarounds for containers inside containers: no CAP_SYS_RESOURCE
	// (explicit ulimits), crun refuses hybrid cgroups (runc).
	global := []string{}
	if _, err := exec.LookPath("runc"); err == nil {
		global = append(global, "--runtime", "runc")
	}
	pm := func(args ...string) (string, error) {
		cmd := exec.Command(podman, append(append([]string{}, global...), args...)...)
		var b bytes.Buffer
		cmd.Stdout, cmd.Stderr = &b, &b
		err := cmd.Run()
		return b.String(), err
	}
	t0 := time.Now()
	if b, err := pm("build", "--format", "docker", "--pull=never", "-q", "-t", name, "-f", filepath.Join(tmp, "Containerfile"), tmp); err != nil {
		t.Fatalf("podman build: %v\n%s", err, b)
	}
	t.Cleanup(func() { pm("rmi", "-f", name) })
	built := time.Since(t0)
	if u, err := pm("image", "inspect", "--format", "{{.Config.User}}", name); err != nil || strings.TrimSpace(u) != "65532:65532" {
		t.Errorf("image user %q %v", u, err)
	}
	port := freePort(t)
	addr := "127.0.0.1:" + port
	// The volumes as host directories owned by the image's user (podman,
	// unlike docker, leaves a new anonymous volume owned by root).
	vols := []string{}
	for _, v := range []string{"/var/spool/officemilter", "/var/lib/officemilter/quarantine"} {
		d := filepath.Join(tmp, "vol", filepath.Base(v))
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(d, 65532, 65532); err != nil {
			t.Fatal(err)
		}
		vols = append(vols, "-v", d+":"+v)
	}
	args := []string{"run", "-d", "--name", name, "--network", "host", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024",
		"-e", "OFFICEMILTER_LISTEN=inet:" + addr}
	if b, err := pm(append(append(args, vols...), name)...); err != nil {
		t.Fatalf("podman run: %v\n%s", err, b)
	}
	t.Cleanup(func() {
		if t.Failed() {
			logs, _ := pm("logs", name)
			t.Logf("container log:\n%s", logs)
		}
		pm("rm", "-f", "-v", "-t", "2", name)
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the container's milter did not listen on %s", addr)
		}
		time.Sleep(50 * time.Millisecond)
	}
	up := time.Since(t0)
	if !milterStrips(t, addr) {
		t.Error("the container's milter did not strip the .doc (quarantine volume not writable?)")
	}
	if b, err := pm("healthcheck", "run", name); err != nil {
		t.Errorf("HEALTHCHECK: %v %s", err, b)
	}
	if b, err := pm("exec", name, "/usr/local/bin/officemilter", "quarantine", "list"); err != nil || !strings.Contains(b, "Bericht.doc") {
		t.Errorf("quarantine list in the container: %v\n%s", err, b)
	}
	t.Logf("image built in %s, milter answering %s after the start of the build", built.Round(time.Millisecond), up.Round(time.Millisecond))
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}
