/*
 * selfmod.c: code that writes code. A small JIT writes RISC-V instructions
 * into RAM (bare mode: RAM is executable), runs `fence.i` (through GCC's
 * __builtin___clear_cache) and calls them through function pointers:
 *
 *   patch   one `addi a0, a0, IMM; ret`, called until hot, then rewritten
 *           with a new IMM, 200 times
 *   random  random straight-line programs of the base and M instructions
 *           (and their W forms and immediates) inside a counted loop, each
 *           run on many inputs and checked against a C model of RISC-V
 *   itself  a function that stores a new instruction into its own body,
 *           runs fence.i, then executes the instruction it just wrote
 *   data    a loop whose counter lives in the same page as its code
 *   stack   a random program built in an array on the stack and run there
 *   long    a function of 3000 instructions over three pages, run until hot,
 *           then patched in its second and third pages and run again
 *
 * Returns 6 if a JIT result differs from the model or the expected value.
 */
#include "guest.h"

typedef u64 (*fn1)(u64);
typedef u64 (*fn2)(u64, u64);

static u32 jit[4 * 1024] __attribute__((aligned(4096))); /* 4 pages */
static u32 mismatches;

static void check(u64 got, u64 want)
{
    if (got != want)
        mismatches++;
}

static void sync_code(u32 *from, u32 *to)
{
    __builtin___clear_cache((char *)from, (char *)to); /* fence.i */
}

/* --- encoders ----------------------------------------------------------- */

enum { A0 = 10, A1, A2, A3, A4, A5, A6, A7, T0 = 5, T1 = 6, T2 = 7 };

static u32 r_type(u32 f7, u32 rs2, u32 rs1, u32 f3, u32 rd, u32 opc)
{
    return f7 << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | rd << 7 | opc;
}

static u32 i_type(s32 imm, u32 rs1, u32 f3, u32 rd, u32 opc)
{
    return ((u32)imm & 0xfff) << 20 | rs1 << 15 | f3 << 12 | rd << 7 | opc;
}

static u32 s_type(s32 imm, u32 rs2, u32 rs1, u32 f3)
{
    u32 i = (u32)imm;
    return (i >> 5 & 0x7f) << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | (i & 31) << 7 | 0x23;
}

static u32 b_type(s32 off, u32 rs2, u32 rs1, u32 f3)
{
    u32 i = (u32)off;
    return (i >> 12 & 1) << 31 | (i >> 5 & 0x3f) << 25 | rs2 << 20 | rs1 << 15 |
           f3 << 12 | (i >> 1 & 15) << 8 | (i >> 11 & 1) << 7 | 0x63;
}

#define ADDI(rd, rs, imm) i_type(imm, rs, 0, rd, 0x13)
#define RET 0x00008067u
#define NOP ADDI(0, 0, 0)
#define FENCE_I 0x0000100fu

/* --- a C model of the instructions the random programs use ------------- */

#define SMIN 0x8000000000000000ul

static u64 model(u32 insn, u64 x, u64 y)
{
    u32 opc = insn & 0x7f, f3 = insn >> 12 & 7, f7 = insn >> 25;
    s64 imm = (s32)insn >> 20;
    u64 sh = insn >> 20 & 63;
    s64 sx = (s64)x, sy = (s64)y;
    s32 wx = (s32)x, wy = (s32)y;
    u32 ux = (u32)x, uy = (u32)y;
    switch (opc) {
    case 0x33:
        if (f7 == 1) {
            switch (f3) {
            case 0: return x * y;
            case 1: return (u64)(((__int128)sx * sy) >> 64);
            case 2: return (u64)(((__int128)sx * (unsigned __int128)y) >> 64);
            case 3: return (u64)(((unsigned __int128)x * y) >> 64);
            case 4: return y == 0 ? -1ul : (x == SMIN && sy == -1) ? x : (u64)(sx / sy);
            case 5: return y == 0 ? -1ul : x / y;
            case 6: return y == 0 ? x : (x == SMIN && sy == -1) ? 0 : (u64)(sx % sy);
            default: return y == 0 ? x : x % y;
            }
        }
        switch (f3) {
        case 0: return f7 ? x - y : x + y;
        case 1: return x << (y & 63);
        case 2: return sx < sy;
        case 3: return x < y;
        case 4: return x ^ y;
        case 5: return f7 ? (u64)(sx >> (y & 63)) : x >> (y & 63);
        case 6: return x | y;
        default: return x & y;
        }
    case 0x3b: {
        s32 w;
        if (f7 == 1) {
            switch (f3) {
            case 0: w = (s32)(ux * uy); break;
            case 4: w = uy == 0 ? -1 : (ux == 0x80000000u && wy == -1) ? wx : wx / wy; break;
            case 5: w = uy == 0 ? -1 : (s32)(ux / uy); break;
            case 6: w = uy == 0 ? wx : (ux == 0x80000000u && wy == -1) ? 0 : wx % wy; break;
            default: w = uy == 0 ? wx : (s32)(ux % uy); break;
            }
        } else {
            switch (f3) {
            case 0: w = (s32)(f7 ? ux - uy : ux + uy); break;
            case 1: w = (s32)(ux << (uy & 31)); break;
            default: w = f7 ? wx >> (uy & 31) : (s32)(ux >> (uy & 31)); break;
            }
        }
        return (u64)(s64)w;
    }
    case 0x13:
        switch (f3) {
        case 0: return x + (u64)imm;
        case 1: return x << sh;
        case 2: return sx < imm;
        case 3: return x < (u64)imm;
        case 4: return x ^ (u64)imm;
        case 5: return (insn >> 30 & 1) ? (u64)(sx >> sh) : x >> sh;
        case 6: return x | (u64)imm;
        default: return x & (u64)imm;
        }
    case 0x1b: {
        u32 s5 = insn >> 20 & 31;
        s32 w;
        if (f3 == 0) w = (s32)(ux + (u32)imm);
        else if (f3 == 1) w = (s32)(ux << s5);
        else w = (insn >> 30 & 1) ? wx >> s5 : (s32)(ux >> s5);
        return (u64)(s64)w;
    }
    default: /* lui */
        return (u64)(s64)(s32)(insn & 0xfffff000u);
    }
}

/* One random instruction on a0..a7. */
static u32 random_insn(void)
{
    static const u8 rops[][2] = { /* f7, f3 of OP and OP-32 */
        {0, 0}, {0x20, 0}, {0, 1}, {0, 2}, {0, 3}, {0, 4}, {0, 5}, {0x20, 5}, {0, 6}, {0, 7},
        {1, 0}, {1, 1}, {1, 2}, {1, 3}, {1, 4}, {1, 5}, {1, 6}, {1, 7},
    };
    static const u8 wops[][2] = {
        {0, 0}, {0x20, 0}, {0, 1}, {0, 5}, {0x20, 5}, {1, 0}, {1, 4}, {1, 5}, {1, 6}, {1, 7},
    };
    u64 r = rnd();
    u32 rd = A0 + (r & 7), rs1 = A0 + (r >> 3 & 7), rs2 = A0 + (r >> 6 & 7);
    s32 imm = (s32)(r >> 9 & 0xfff) - 2048;
    u32 sh = r >> 21 & 63;
    switch (r >> 40 & 7) {
    case 0: case 1: case 2: {
        u32 k = (u32)((r >> 44) % 18);
        return r_type(rops[k][0], rs2, rs1, rops[k][1], rd, 0x33);
    }
    case 3: case 4: {
        u32 k = (u32)((r >> 44) % 10);
        return r_type(wops[k][0], rs2, rs1, wops[k][1], rd, 0x3b);
    }
    case 5: {
        static const u8 f3s[] = {0, 2, 3, 4, 6, 7, 1, 5, 5};
        u32 f3 = f3s[(r >> 44) % 9];
        if (f3 == 1 || f3 == 5)
            return i_type((s32)sh | ((r >> 50 & 1) && f3 == 5 ? 0x400 : 0), rs1, f3, rd, 0x13);
        return i_type(imm, rs1, f3, rd, 0x13);
    }
    case 6: {
        u32 f3 = (u32)((r >> 44) % 3);
        f3 = f3 == 2 ? 5 : f3;
        if (f3 == 0)
            return i_type(imm, rs1, 0, rd, 0x1b);
        return i_type((s32)(sh & 31) | ((r >> 50 & 1) && f3 == 5 ? 0x400 : 0), rs1, f3, rd, 0x1b);
    }
    default:
        return (u32)(r >> 12 & 0xfffff000u) | rd << 7 | 0x37;
    }
}

#define BODY 24
#define LOOPS 3

/* Builds at p: a2..a7 from a0/a1, t0 = LOOPS, the body in a loop, then
 * a0 = a0 ^ a1 ^ ... ^ a7 (so that no register's result goes unseen), ret. */
static int build_random(u32 *p, u32 *body)
{
    int n = 0;
    for (int k = 2; k < 8; k++)
        p[n++] = i_type((s32)(k * 291 - 1000), A0 + (k & 1), 4, A0 + k, 0x13); /* xori */
    p[n++] = ADDI(T0, 0, LOOPS);
    int top = n;
    for (int i = 0; i < BODY; i++)
        p[n++] = body[i] = random_insn();
    p[n++] = ADDI(T0, T0, -1);
    p[n] = b_type((top - n) * 4, 0, T0, 1); /* bne t0, x0, top */
    n++;
    for (int k = 1; k < 8; k++)
        p[n++] = r_type(0, A0 + k, A0, 4, A0, 0x33); /* xor a0, a0, ak */
    p[n++] = RET;
    return n;
}

static u64 run_model(const u32 *body, u64 a0, u64 a1)
{
    u64 r[32] = {0};
    r[A0] = a0;
    r[A1] = a1;
    for (int k = 2; k < 8; k++)
        r[A0 + k] = r[A0 + (k & 1)] ^ (u64)(s64)(k * 291 - 1000);
    for (int l = 0; l < LOOPS; l++)
        for (int i = 0; i < BODY; i++) {
            u32 in = body[i];
            r[in >> 7 & 31] = model(in, r[in >> 15 & 31], r[in >> 20 & 31]);
        }
    return r[A0] ^ r[A1] ^ r[A2] ^ r[A3] ^ r[A4] ^ r[A5] ^ r[A6] ^ r[A7];
}

/* --- the tests ---------------------------------------------------------- */

NOINLINE static u64 test_patch(void)
{
    u64 h = 0;
    fn1 f = (fn1)(void *)jit;
    for (int gen = 0; gen < 200; gen++) {
        s32 imm = gen * 19 - 1900;
        jit[0] = ADDI(A0, A0, imm);
        jit[1] = RET;
        sync_code(jit, jit + 2);
        u64 s = (u64)gen;
        for (int i = 0; i < 2000; i++)
            s = f(s);
        check(s, (u64)gen + 2000 * (u64)(s64)imm);
        h = mix(h, s);
    }
    return h;
}

NOINLINE static u64 test_random(void)
{
    static u32 body[BODY];
    u32 *code = jit + 1024; /* the second page */
    fn2 f = (fn2)(void *)code;
    u64 h = 0;
    for (int prog = 0; prog < 60; prog++) {
        int n = build_random(code, body);
        sync_code(code, code + n);
        for (int i = 0; i < 60; i++) {
            u64 a = rnd(), b = rnd();
            if (i & 1) a >>= b & 63;
            if (i & 2) b = (u64)(s64)(s32)(a >> 7);
            u64 got = f(a, b);
            check(got, run_model(body, a, b));
            h = mix(h, got);
        }
    }
    return h;
}

/* a0 = value, a1 = the instruction to write into slot and then run */
NOINLINE static u64 test_itself(void)
{
    u32 *code = jit + 2048; /* the third page */
    code[0] = 0x00000317u;             /* auipc t1, 0 */
    code[1] = s_type(16, A1, T1, 2);   /* sw a1, 16(t1) */
    code[2] = FENCE_I;
    code[3] = NOP;
    code[4] = NOP;                     /* the slot */
    code[5] = RET;
    sync_code(code, code + 6);
    fn2 f = (fn2)(void *)code;
    u64 v = 1, h = 0;
    for (int i = 0; i < 12000; i++) {
        u32 k = (u32)i % 5, imm = (u32)(i * 7) & 0x7ff;
        u32 insn = k == 0 ? ADDI(A0, A0, (s32)imm)
                 : k == 1 ? i_type((s32)imm, A0, 4, A0, 0x13)          /* xori */
                 : k == 2 ? i_type((s32)(imm & 63), A0, 1, A0, 0x13)   /* slli */
                 : k == 3 ? r_type(1, A0, A0, 0, A0, 0x33)             /* mul a0,a0,a0 */
                          : i_type((s32)(imm & 31) | 0x400, A0, 5, A0, 0x1b); /* sraiw */
        u64 got = f(v, insn);
        check(got, model(insn, v, v));
        check(code[4], insn);
        v = got + 0x9e3779b97f4a7c15ul;
        h = mix(h, got);
    }
    return h;
}

NOINLINE static u64 test_data(void)
{
    u32 *code = jit + 3072; /* the fourth page; its counter at +2048 bytes */
    int n = 0;
    code[n++] = 0x00000317u;                        /* auipc t1, 0 */
    code[n++] = ADDI(T1, T1, 2047);
    code[n++] = ADDI(T1, T1, 1);                    /* t1 = &counter */
    code[n++] = i_type(0, T1, 3, T2, 0x03);         /* loop: ld t2, 0(t1) */
    code[n++] = r_type(0, A1, T2, 0, T2, 0x33);     /* add t2, t2, a1 */
    code[n++] = s_type(0, T2, T1, 3);               /* sd t2, 0(t1) */
    code[n++] = r_type(1, A1, A1, 0, A1, 0x33);     /* mul a1, a1, a1 */
    code[n++] = ADDI(A1, A1, 3);
    code[n++] = ADDI(A0, A0, -1);
    code[n] = b_type(-6 * 4, 0, A0, 1);             /* bne a0, x0, loop */
    n++;
    code[n++] = i_type(0, T1, 3, A0, 0x03);         /* ld a0, 0(t1) */
    code[n++] = RET;
    sync_code(code, code + n);
    fn2 f = (fn2)(void *)code;
    u64 *counter = (u64 *)(void *)(code + 512);
    u64 h = 0;
    for (int r = 0; r < 40; r++) {
        *counter = (u64)r;
        u64 want = (u64)r, b = (u64)r * 12345;
        for (int i = 0; i < 5000; i++) {
            want += b;
            b = b * b + 3;
        }
        u64 got = f(5000, (u64)r * 12345);
        check(got, want);
        h = mix(h, got);
    }
    return h;
}

NOINLINE static u64 test_stack(void)
{
    /* A page of its own: stores to the locals (at -O0, every statement
     * stores to the stack) stay off the page being run, which would make
     * QEMU drop its translations of that page at every one of them. */
    u32 code[1024] __attribute__((aligned(4096)));
    u32 body[BODY];
    int n = build_random(code, body);
    sync_code(code, code + n);
    fn2 f = (fn2)(void *)code;
    u64 h = 0;
    for (int i = 0; i < 2000; i++) {
        u64 a = rnd(), b = (u64)i;
        u64 got = f(a, b);
        check(got, run_model(body, a, b));
        h = mix(h, got);
    }
    return h;
}

NOINLINE static u64 test_long(void)
{
    enum { LEN = 3000 };
    u32 *code = jit;
    u64 sum = 0;
    for (int i = 0; i < LEN; i++) {
        s32 imm = (s32)(i % 97) - 48;
        code[i] = (i % 3 == 2) ? i_type(imm, A0, 4, A0, 0x13) : ADDI(A0, A0, imm);
    }
    code[LEN] = RET;
    sync_code(code, code + LEN + 1);
    fn1 f = (fn1)(void *)code;
    u64 h = 0;
    for (int round = 0; round < 2; round++) {
        if (round == 1) {
            code[LEN - 5] = ADDI(A0, A0, 1000);  /* the third page */
            code[1500] = ADDI(A0, A0, -1);       /* the second page */
            sync_code(code + 1500, code + LEN);
        }
        for (int i = 0; i < 300; i++) {
            u64 v = (u64)i * 0x1234567;
            u64 got = f(v);
            if (i % 50 == 0) {
                u64 want = v;
                for (int k = 0; k < LEN; k++)
                    want = model(code[k], want, 0);
                check(got, want);
            }
            h = mix(h, got);
            sum += got;
        }
    }
    return mix(h, sum);
}

int main(void)
{
    report("patch", test_patch());
    report("random", test_random());
    report("itself", test_itself());
    report("data", test_data());
    report("stack", test_stack());
    report("long", test_long());
    putstr("mismatches: ");
    putdec(mismatches);
    putch('\n');
    return mismatches ? 6 : 0;
}
