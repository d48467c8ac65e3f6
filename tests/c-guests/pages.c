/*
 * pages.c: control flow and memory access of every kind, spread over many
 * 4 KiB pages. Functions alone on their own page call each other (directly,
 * mutually recursively, and through a table of function pointers); a
 * bytecode interpreter dispatches through a switch jump table; quicksort,
 * a binary search tree and Ackermann's function recurse; a long unrolled
 * function spans several pages; 8/16/32/64-bit signed and unsigned loads and
 * stores, misaligned ones through a packed struct (some straddling a page
 * boundary), and atomic memory operations (AMOs and LR/SC loops).
 */
/* With these flags GCC emits plain (misaligned) loads and stores for the
 * packed struct's fields instead of byte-by-byte code: */
/* c-diff-cflags: -mno-strict-align -mtune=thead-c906 */
#include "guest.h"

/* --- calls between pages --------------------------------------------- */

PAGE_FN static u64 collatz_odd(u64 n, int depth);

/* Collatz steps, the even and odd cases on different pages, calling each
 * other (not tail calls: each adds to the result). */
PAGE_FN static u64 collatz_even(u64 n, int depth)
{
    if (n == 1)
        return (u64)depth;
    n >>= 1;
    u64 r = (n & 1) ? collatz_odd(n, depth + 1) : collatz_even(n, depth + 1);
    return r + (n & 3);
}

PAGE_FN static u64 collatz_odd(u64 n, int depth)
{
    if (n == 1)
        return (u64)depth;
    n = 3 * n + 1;
    return collatz_even(n, depth + 1) ^ (u64)depth;
}

PAGE_FN static u64 op_rotl(u64 a, u64 b) { return (a << (b & 63)) | (a >> (-b & 63)); }
PAGE_FN static u64 op_mulx(u64 a, u64 b) { return a * (b | 1) + (a >> 32); }
NOINLINE static u64 op_add(u64 a, u64 b) { return a + b + 1; }
NOINLINE static u64 op_xor(u64 a, u64 b) { return (a ^ b) * 3; }
NOINLINE static u64 op_sub(u64 a, u64 b) { return a - (b >> 3); }
NOINLINE static u64 op_div(u64 a, u64 b) { return a / ((b & 0xffff) | 1) + b; }
NOINLINE static u64 op_sgn(u64 a, u64 b) { return (u64)((s64)a >> 17) + (u64)((s32)b >> 5); }
NOINLINE static u64 op_min(u64 a, u64 b) { return (s64)a < (s64)b ? a : b ^ 0x5a5a; }

static u64 (*const ops[8])(u64, u64) = {
    op_add, op_rotl, op_xor, op_mulx, op_sub, op_div, op_sgn, op_min,
};

PAGE_FN static u64 indirect_calls(int n)
{
    u64 acc = 0x1234;
    for (int i = 0; i < n; i++) {
        u64 r = rnd();
        acc = ops[r & 7](acc, r >> 8);
    }
    return acc;
}

/* --- a bytecode interpreter: a switch compiled to a jump table ---------- */

enum { PUSH, ADD, SUB, MUL, XOR, SHL, SHR, DUP, SWAP, DROP, OVER, DEC, JNZ, LOAD, STORE, HALT };

PAGE_FN static u64 vm_run(const u8 *code, u64 *mem)
{
    u64 st[32];
    int sp = 0, pc = 0;
    for (;;) {
        u8 op = code[pc++];
        switch (op) {
        case PUSH: st[sp++] = code[pc++]; break;
        case ADD: sp--; st[sp - 1] += st[sp]; break;
        case SUB: sp--; st[sp - 1] -= st[sp]; break;
        case MUL: sp--; st[sp - 1] *= st[sp]; break;
        case XOR: sp--; st[sp - 1] ^= st[sp]; break;
        case SHL: sp--; st[sp - 1] <<= st[sp] & 63; break;
        case SHR: sp--; st[sp - 1] >>= st[sp] & 63; break;
        case DUP: st[sp] = st[sp - 1]; sp++; break;
        case SWAP: { u64 t = st[sp - 1]; st[sp - 1] = st[sp - 2]; st[sp - 2] = t; } break;
        case DROP: sp--; break;
        case OVER: st[sp] = st[sp - 2]; sp++; break;
        case DEC: st[sp - 1]--; break;
        case JNZ: { u8 to = code[pc++]; if (st[--sp]) pc = to; } break;
        case LOAD: st[sp - 1] = mem[st[sp - 1] & 7]; break;
        case STORE: sp -= 2; mem[st[sp + 1] & 7] = st[sp]; break;
        default: return st[sp - 1];
        }
    }
}

/* counter in mem[0]; mem[1] = mem[1] * 31 + (mem[1] >> 3) ^ counter, ... */
static const u8 vm_prog[] = {
    PUSH, 200, PUSH, 0, STORE,              /* mem[0] = 200 */
    /* 5: loop */
    PUSH, 1, LOAD, PUSH, 31, MUL,           /* m1 * 31 */
    PUSH, 1, LOAD, PUSH, 3, SHR, ADD,       /* + (m1 >> 3) */
    PUSH, 0, LOAD, XOR,                     /* ^ counter */
    DUP, PUSH, 2, LOAD, ADD, PUSH, 2, STORE,/* mem[2] += it */
    PUSH, 1, STORE,                         /* mem[1] = it */
    PUSH, 0, LOAD, DEC, DUP, PUSH, 0, STORE,/* counter-- */
    JNZ, 5,
    PUSH, 1, LOAD, PUSH, 2, LOAD, PUSH, 7, SHL, XOR,
    HALT,
};

/* --- recursion ---------------------------------------------------------- */

NOINLINE static void quicksort(s32 *a, int lo, int hi)
{
    if (lo >= hi)
        return;
    s32 pivot = a[(lo + hi) / 2];
    int i = lo, j = hi;
    while (i <= j) {
        while (a[i] < pivot) i++;
        while (a[j] > pivot) j--;
        if (i <= j) {
            s32 t = a[i]; a[i] = a[j]; a[j] = t;
            i++; j--;
        }
    }
    quicksort(a, lo, j);
    quicksort(a, i, hi);
}

struct tnode { struct tnode *l, *r; s64 key; u32 count; };
static struct tnode tpool[2048];
static int tused;

NOINLINE static struct tnode *tinsert(struct tnode *t, s64 key)
{
    if (!t) {
        t = &tpool[tused++];
        t->key = key;
        t->count = 1;
        return t;
    }
    if (key == t->key) t->count++;
    else if (key < t->key) t->l = tinsert(t->l, key);
    else t->r = tinsert(t->r, key);
    return t;
}

/* In order: a hash of (key, count, depth). */
NOINLINE static u64 twalk(const struct tnode *t, u64 h, int depth)
{
    if (!t)
        return h;
    h = twalk(t->l, h, depth + 1);
    h = mix(h, (u64)t->key * 3 + t->count * 7 + (u64)depth);
    return twalk(t->r, h, depth + 1);
}

NOINLINE static u64 ackermann(u64 m, u64 n)
{
    if (m == 0) return n + 1;
    if (n == 0) return ackermann(m - 1, 1);
    return ackermann(m - 1, ackermann(m, n - 1));
}

/* --- one function over several pages ------------------------------------ */

static u32 tab[64];
#define R(i) h = (h ^ tab[(i) & 63]) * 0x9e3779b1u + (h >> 7) + (i);
#define R4(i) R(i) R(i + 1) R(i + 2) R(i + 3)
#define R16(i) R4(i) R4(i + 4) R4(i + 8) R4(i + 12)
#define R64(i) R16(i) R16(i + 16) R16(i + 32) R16(i + 48)

PAGE_FN static u64 long_function(u64 h)
{
    R64(0) R64(64) R64(128) R64(192) R64(256) R64(320)
    return h;
}

/* --- loads and stores of every width ------------------------------------ */

#define N 512
static s8 a8[N]; static u8 b8[N];
static s16 a16[N]; static u16 b16[N];
static s32 a32[N]; static u32 b32[N];
static s64 a64[N];
union pun { u64 d; u32 w[2]; s32 sw[2]; u16 h[4]; s16 sh[4]; u8 b[8]; s8 sb[8]; };

NOINLINE static u64 widths(int rounds)
{
    u64 sum = 0;
    for (int r = 0; r < rounds; r++) {
        for (int i = 0; i < N; i++) {
            u64 x = rnd();
            a8[i] = (s8)x; b8[i] = (u8)(x >> 8);
            a16[i] = (s16)(x >> 5); b16[i] = (u16)(x >> 21);
            a32[i] = (s32)(x >> 11); b32[i] = (u32)(x >> 29);
            a64[i] = (s64)x;
        }
        for (int i = 0; i < N; i++) {
            int j = (i * 7 + r) & (N - 1);
            sum += (u64)(s64)a8[j] + b8[i] * 3u;
            sum ^= (u64)(s64)a16[i] << 3;
            sum += b16[j] + (u64)(s64)a32[j];
            sum = sum * 5 + b32[i] + (u64)(a64[j] >> 9);
            union pun p;
            p.d = sum;
            sum += (u64)(s64)p.sb[i & 7] + p.b[(i + 3) & 7] + (u64)(s64)p.sh[i & 3]
                 + p.h[(i + 1) & 3] + (u64)(s64)p.sw[i & 1] + p.w[(i + 1) & 1];
            p.b[r & 7] = (u8)i;
            p.h[i & 3] = (u16)r;
            a64[i] = (s64)p.d;
        }
    }
    return sum;
}

/* 29-byte records: most fields misaligned; recs[141].a (bytes 4090..4097)
 * and recs[282].c (8189..8192) straddle a page boundary. */
struct __attribute__((packed)) prec { u8 tag; u64 a; u16 b; u32 c; s16 d; s32 e; s64 f; };
static struct prec recs[300] __attribute__((aligned(4096)));

NOINLINE static u64 misaligned(int rounds)
{
    u64 h = 0;
    for (int r = 0; r < rounds; r++) {
        for (int i = 0; i < 300; i++) {
            u64 x = rnd();
            recs[i].tag = (u8)x;
            recs[i].a = x;
            recs[i].b = (u16)(x >> 3);
            recs[i].c = (u32)(x >> 17);
            recs[i].d = (s16)(x >> 40);
            recs[i].e = (s32)(x >> 30);
            recs[i].f = (s64)(x * 0x9e3779b97f4a7c15ul);
        }
        for (int i = 0; i < 300; i++) {
            const struct prec *p = &recs[(i * 17 + r) % 300];
            h = mix(h, p->a + p->b + p->tag);
            h = mix(h, (u64)p->c + (u64)(s64)p->d + (u64)(s64)p->e + (u64)p->f);
        }
        /* byte copies between unaligned places */
        memmove((u8 *)recs + 3, (u8 *)recs + 50 + r % 7, 1000);
        for (int i = 0; i < 300; i += 37)
            h = mix(h, recs[i].a ^ (u64)recs[i].f);
    }
    return h;
}

/* --- atomics ------------------------------------------------------------ */

static u32 at32[16];
static u64 at64[16];

NOINLINE static u64 atomics(int n)
{
    u64 h = 0;
    for (int i = 0; i < n; i++) {
        u64 x = rnd();
        u32 *p = &at32[x & 15];
        u64 *q = &at64[(x >> 4) & 15];
        h += __atomic_fetch_add(p, (u32)(x >> 8), __ATOMIC_SEQ_CST);
        h ^= __atomic_fetch_xor(q, x, __ATOMIC_ACQ_REL);
        h += __atomic_fetch_and(p, (u32)(x >> 20) | 0x80000001u, __ATOMIC_RELAXED);
        h += __atomic_fetch_or(q, x >> 50, __ATOMIC_ACQUIRE);
        h = h * 3 + __atomic_exchange_n(&at64[x & 15], h, __ATOMIC_SEQ_CST);
        h += __atomic_fetch_sub(&at32[(x >> 9) & 15], 7u, __ATOMIC_RELEASE);
        h ^= __atomic_fetch_nand(&at64[(x >> 13) & 15], x, __ATOMIC_SEQ_CST);
        u32 expect = (x & 1) ? *p : (u32)x;   /* sometimes right, sometimes wrong */
        int ok = __atomic_compare_exchange_n(p, &expect, (u32)(x >> 32), 0,
                                             __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
        h = h * 7 + (u64)ok + expect;
        u64 e64 = (x & 2) ? *q : x;
        ok = __atomic_compare_exchange_n(q, &e64, h, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
        h = h * 11 + (u64)ok + e64;
        __atomic_store_n(&at32[(x >> 40) & 15], (u32)h, __ATOMIC_SEQ_CST);
        h += __atomic_load_n(&at64[(x >> 44) & 15], __ATOMIC_SEQ_CST);
    }
    for (int i = 0; i < 16; i++)
        h = mix(h, at32[i] + at64[i]);
    return h;
}

int main(void)
{
    u64 h;

    h = 0;
    for (u64 n = 1; n < 6000; n++)
        h = mix(h, (n & 1) ? collatz_odd(n, 0) : collatz_even(n, 0));
    report("collatz", h);

    report("indirect", indirect_calls(400000));

    static u64 vm_mem[8];
    h = 0;
    for (int i = 0; i < 300; i++) {
        vm_mem[1] = (u64)i;
        vm_mem[2] = 0;
        h = mix(h, vm_run(vm_prog, vm_mem));
    }
    report("vm", h);

    static s32 arr[3000];
    h = 0;
    for (int r = 0; r < 20; r++) {
        for (int i = 0; i < 3000; i++)
            arr[i] = (s32)rnd() >> (r & 15);
        quicksort(arr, 0, 2999);
        for (int i = 0; i < 3000; i++) {
            if (i && arr[i - 1] > arr[i])
                return 4;
            h = mix(h, (u64)(s64)arr[i]);
        }
    }
    report("quicksort", h);

    h = 0;
    for (int r = 0; r < 20; r++) {
        struct tnode *root = 0;
        tused = 0;
        for (int i = 0; i < 2000; i++)
            tpool[i].l = tpool[i].r = 0;
        for (int i = 0; i < 2000; i++)
            root = tinsert(root, (s64)(rnd() % 1500) - 700);
        h = twalk(root, h, 0);
    }
    report("tree", h);

    report("ackermann", ackermann(2, 500) * 1000 + ackermann(3, 6));

    for (int i = 0; i < 64; i++)
        tab[i] = (u32)rnd();
    h = 0;
    for (int i = 0; i < 5000; i++)
        h = long_function(h + (u64)i);
    report("long", h);

    report("widths", widths(60));
    report("misaligned", misaligned(40));
    report("atomics", atomics(100000));
    return 0;
}
