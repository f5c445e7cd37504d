package llvm

import (
	"context"
	"debug/elf"
	"os/exec"
	"testing"
)

// TestOwnRuntime: on x86-64 Linux a network binary links runtimeC (static, no
// interpreter), and a module that needs more of libc than runtimeC has (puts) still
// builds and runs through the glibc fallback.
func TestOwnRuntime(t *testing.T) {
	needTools(t)
	tc, err := findToolchain()
	if err != nil {
		t.Fatal(err)
	}
	if !tc.ownRuntime() {
		t.Skipf("host %q links glibc", tc.hostTriple())
	}
	const own = `@stdout = external global i8*
declare i64 @fwrite(i8*, i64, i64, i8*)
declare i32 @fflush(i8*)
@msg = private constant [3 x i8] c"ok\0A"
define i32 @main() {
  %o = load i8*, i8** @stdout
  %p = getelementptr [3 x i8], [3 x i8]* @msg, i64 0, i64 0
  call i64 @fwrite(i8* %p, i64 1, i64 3, i8* %o)
  ret i32 7
}
`
	const libc = `declare i32 @puts(i8*)
@msg = private constant [3 x i8] c"ok\00"
define i32 @main() {
  %p = getelementptr [3 x i8], [3 x i8]* @msg, i64 0, i64 0
  call i32 @puts(i8* %p)
  ret i32 7
}
`
	tests := []struct {
		name   string
		module string
		static bool
	}{
		{"own", own, true},
		{"fallback", libc, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bin, err := build(context.Background(), tc.module)
			if err != nil {
				t.Fatal(err)
			}
			f, err := elf.Open(bin)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			interp := false
			for _, p := range f.Progs {
				interp = interp || p.Type == elf.PT_INTERP
			}
			if interp == tc.static {
				t.Errorf("dynamic interpreter present = %v, want %v", interp, !tc.static)
			}
			out, err := exec.Command(bin).Output()
			ee, ok := err.(*exec.ExitError)
			if !ok || ee.ExitCode() != 7 {
				t.Fatalf("exit: %v, want status 7", err)
			}
			// main's return goes through exit, which flushes the buffered output
			if string(out) != "ok\n" {
				t.Errorf("output %q, want %q", out, "ok\n")
			}
		})
	}
}
