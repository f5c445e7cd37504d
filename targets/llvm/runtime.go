package llvm

// runtimeC is the libc subset a native network calls (fread, fwrite, fflush, malloc,
// exit, memcpy, memset, stdin, stdout) and a _start that calls main, written on raw
// Linux x86-64 system calls. Linking it with -nostdlib -static instead of glibc saves
// ≈ 0.6 ms CPU per process start on the build machine: glibc's start-up cache
// detection (init_cacheinfo → intel_check_word) issues cpuid in a loop, and each cpuid
// traps to the hypervisor in a VM (measured: an empty glibc program costs 0.65–0.86 ms
// of CPU, this runtime's start 0.05 ms). fwrite buffers 64 KB (the pipe's capacity);
// malloc maps each block (the program allocates two, never frees). It is used on
// x86-64 Linux only, and build falls back to the glibc link if it fails to compile or
// link. The module text does not change: it still declares the libc functions.
const runtimeC = `/* snnc llvm runtime: the libc subset a native network calls (x86-64 Linux) */
typedef unsigned long size_t;
typedef long ssize_t;

static long sys3(long n, long a, long b, long c) {
	long r;
	__asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
	return r;
}
static long sys6(long n, long a, long b, long c, long d, long e, long f) {
	long r;
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	__asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9) : "rcx", "r11", "memory");
	return r;
}

enum { SYS_read = 0, SYS_write = 1, SYS_mmap = 9, SYS_exit_group = 231, EINTR = 4 };

/* stdin and stdout are opaque handles: the program only passes them back. */
char snn_rt_in, snn_rt_out;
char *stdin = &snn_rt_in, *stdout = &snn_rt_out;

#define OUTBUF (1 << 16)
static char obuf[OUTBUF];
static size_t olen;

static int writeall(const char *p, size_t n) {
	while (n > 0) {
		long r = sys3(SYS_write, 1, (long)p, (long)n);
		if (r == -EINTR) continue;
		if (r < 0) return -1;
		p += r; n -= (size_t)r;
	}
	return 0;
}

int fflush(void *f) {
	(void)f;
	int r = writeall(obuf, olen);
	olen = 0;
	return r;
}

void *memcpy(void *d, const void *s, size_t n) {
	void *r = d;
	__asm__ volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
	return r;
}

void *memset(void *d, int c, size_t n) {
	void *r = d;
	__asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
	return r;
}

size_t fwrite(const void *p, size_t size, size_t count, void *f) {
	(void)f;
	size_t n = size * count;
	if (olen + n > OUTBUF) {
		if (fflush(0) < 0) return 0;
		if (n > OUTBUF) return writeall(p, n) < 0 ? 0 : count;
	}
	memcpy(obuf + olen, p, n);
	olen += n;
	return count;
}

size_t fread(void *p, size_t size, size_t count, void *f) {
	(void)f;
	size_t n = size * count, got = 0;
	while (got < n) {
		long r = sys3(SYS_read, 0, (long)((char *)p + got), (long)(n - got));
		if (r == -EINTR) continue;
		if (r <= 0) break;
		got += (size_t)r;
	}
	return size ? got / size : 0;
}

void *malloc(size_t n) {
	/* a few blocks per run, never freed: one anonymous mapping each */
	long r = sys6(SYS_mmap, 0, (long)(n ? n : 1), 3 /* RW */, 0x22 /* PRIVATE|ANON */, -1, 0);
	return r < 0 && r > -4096 ? 0 : (void *)r;
}

void exit(int code) {
	fflush(0);
	sys3(SYS_exit_group, code, 0, 0);
	for (;;) {}
}

int main(void);

__asm__(".text\n.global _start\n_start:\n"
	"\txor %ebp, %ebp\n"
	"\tand $-16, %rsp\n"
	"\tcall main\n"
	"\tmov %eax, %edi\n"
	"\tcall exit\n"
	"\thlt\n");
`
