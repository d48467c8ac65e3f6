/*
 * guest.h: what the C guests share (no libc: they are linked -nostdlib).
 *
 * Console output goes straight to the 16550 UART's THR at 0x10000000 (its LSR
 * always says "ready" on trapvisor and QEMU). Every guest prints lines of the
 * form "NAME HEX" through report(), so a difference points at one part.
 */
#ifndef GUEST_H
#define GUEST_H

typedef unsigned char u8;
typedef signed char s8;
typedef unsigned short u16;
typedef short s16;
typedef unsigned int u32;
typedef int s32;
typedef unsigned long u64;
typedef long s64;
typedef unsigned long size_t;

#define UNUSED __attribute__((unused))
#define NOINLINE __attribute__((noinline))
/* A function alone on its own 4 KiB page (or pages). */
#define PAGE_FN __attribute__((noinline, aligned(4096)))

static volatile u8 *const UART_THR = (volatile u8 *)0x10000000;

static UNUSED void putch(char c) { *UART_THR = (u8)c; }

static UNUSED void putstr(const char *s)
{
    while (*s)
        putch(*s++);
}

static UNUSED void puthex(u64 v)
{
    for (int i = 60; i >= 0; i -= 4)
        putch("0123456789abcdef"[(v >> i) & 15]);
}

static UNUSED void putdec(s64 v)
{
    char buf[24];
    int n = 0;
    u64 u = v < 0 ? -(u64)v : (u64)v;
    do {
        buf[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        putch('-');
    while (n)
        putch(buf[--n]);
}

/* "name 0123456789abcdef\n" */
static UNUSED void report(const char *name, u64 v)
{
    putstr(name);
    putch(' ');
    puthex(v);
    putch('\n');
}

/* Fold v into the running hash h (an FNV-style multiply and a shift). */
static inline UNUSED u64 mix(u64 h, u64 v)
{
    h ^= v;
    h *= 0x100000001b3ul;
    h ^= h >> 29;
    return h;
}

/* xorshift64: deterministic pseudo-random numbers. */
static u64 rng_state = 0x9e3779b97f4a7c15ul;
static inline UNUSED u64 rnd(void)
{
    u64 x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return rng_state = x;
}

/*
 * GCC may turn loops and struct copies into calls to these even with
 * -nostdlib, so each guest has them; "no-tree-loop-distribute-patterns"
 * stops GCC from turning their own loops back into calls to themselves.
 */
#define NO_LIBCALL __attribute__((optimize("no-tree-loop-distribute-patterns"), used))

NO_LIBCALL void *memcpy(void *d, const void *s, size_t n)
{
    u8 *dp = d;
    const u8 *sp = s;
    while (n--)
        *dp++ = *sp++;
    return d;
}

NO_LIBCALL void *memmove(void *d, const void *s, size_t n)
{
    u8 *dp = d;
    const u8 *sp = s;
    if (dp < sp) {
        while (n--)
            *dp++ = *sp++;
    } else {
        while (n--)
            dp[n] = sp[n];
    }
    return d;
}

NO_LIBCALL void *memset(void *d, int c, size_t n)
{
    u8 *dp = d;
    while (n--)
        *dp++ = (u8)c;
    return d;
}

NO_LIBCALL int memcmp(const void *a, const void *b, size_t n)
{
    const u8 *ap = a, *bp = b;
    for (; n; n--, ap++, bp++)
        if (*ap != *bp)
            return *ap < *bp ? -1 : 1;
    return 0;
}

#endif
