/*
 * muldiv.c: the M extension and shifts on edge values. Every pair of a table
 * of awkward 64-bit values (0, +-1, INT_MIN, LONG_MIN, ...) goes through
 * mul/mulh/mulhu/mulhsu (the high halves through __int128), div/divu/rem/remu
 * (including LONG_MIN / -1 and division by zero), the 32-bit W forms, shifts
 * by variable amounts (amounts >= the width too: the hardware masks them),
 * 32-bit add/sub wrap-around and comparisons; then a long sweep over random
 * operands. It checks itself against the RISC-V spec (q * d + r == n,
 * x / 0 == -1, x % 0 == x, LONG_MIN / -1 == LONG_MIN; mulhu against 32-bit
 * schoolbook multiplication) and returns 5 if anything is off.
 *
 * Division by zero and INT_MIN / -1 are undefined in C: here every operand
 * passes through opaque() (an empty volatile asm), so GCC knows nothing about
 * it and emits the bare div/rem instruction, whose result the ISA defines; the
 * checks look at other opaque() copies of the operands, about which GCC can
 * draw no conclusion from the division (such as "the divisor is not 0").
 */
#include "guest.h"

static inline u64 opaque(u64 x)
{
    __asm__ volatile("" : "+r"(x)); /* volatile: each call a value of its own */
    return x;
}

static const u64 edge[] = {
    0, 1, -1ul, 2, -2ul, 3, 7, -7ul, 10, -10ul,
    0x7fffffff, 0x80000000, 0xffffffff80000000ul, 0xffffffff, 0x100000000ul,
    0x7fffffffffffffffl, 0x8000000000000000ul, 0x8000000000000001ul,
    0x123456789abcdef0ul, 0xfedcba9876543210ul, 0x00000000ffff0000ul,
    0xffffffff00000001ul, 0x5555555555555555ul, 0xaaaaaaaaaaaaaaaaul,
};
#define NEDGE (int)(sizeof edge / sizeof edge[0])

static u32 spec_failures;

static void spec(int ok)
{
    if (!ok)
        spec_failures++;
}

/* The high 64 bits of a * b from 32-bit halves, as a check on mulhu. */
static u64 mulhu_soft(u64 a, u64 b)
{
    u64 al = (u32)a, ah = a >> 32, bl = (u32)b, bh = b >> 32;
    u64 ll = al * bl, lh = al * bh, hl = ah * bl, hh = ah * bh;
    u64 mid = (ll >> 32) + (u32)lh + (u32)hl;
    return hh + (lh >> 32) + (hl >> 32) + (mid >> 32);
}

/* Every operation on one pair, folded into four hashes. */
NOINLINE static void ops(u64 a, u64 b, u64 *hm, u64 *hd, u64 *hw, u64 *hs)
{
    s64 sa = (s64)opaque(a), sb = (s64)opaque(b);
    u64 ua = opaque(a), ub = opaque(b);
    s32 wa = (s32)opaque(a), wb = (s32)opaque(b);
    u32 va = (u32)opaque(a), vb = (u32)opaque(b);

    /* multiplication */
    u64 mul = ua * ub;
    u64 mulh = (u64)(((__int128)sa * sb) >> 64);
    u64 mulhu = (u64)(((unsigned __int128)ua * ub) >> 64);
    u64 mulhsu = (u64)(((__int128)sa * (unsigned __int128)ub) >> 64);
    s64 mulw = (s32)(va * vb);
    spec(mulhu == mulhu_soft(ua, ub));
    spec(mulh == mulhu - (sa < 0 ? ub : 0) - (sb < 0 ? ua : 0));
    spec(mulhsu == mulhu - (sa < 0 ? ub : 0));
    *hm = mix(mix(mix(mix(mix(*hm, mul), mulh), mulhu), mulhsu), (u64)mulw);

    /* 64-bit division; checked on fresh copies A, B of the operands */
    s64 q = sa / sb, r = sa % sb;
    u64 uq = ua / ub, ur = ua % ub;
    u64 A = opaque(a), B = opaque(b);
    if (B == 0) {
        spec(q == -1 && (u64)r == A && uq == -1ul && ur == A);
    } else if (A == 0x8000000000000000ul && B == -1ul) {
        spec((u64)q == 0x8000000000000000ul && r == 0);
    } else {
        spec((u64)q * B + (u64)r == A && uq * B + ur == A && ur < B);
        spec(r == 0 || (r < 0) == ((s64)A < 0));
    }
    *hd = mix(mix(mix(mix(*hd, (u64)q), (u64)r), uq), ur);

    /* 32-bit (W) division: results sign-extended from bit 31 */
    s64 qw = wa / wb, rw = wa % wb;
    s64 uqw = (s32)(va / vb), urw = (s32)(va % vb);
    u32 A32 = (u32)A, B32 = (u32)B;
    if (B32 == 0) {
        spec(qw == -1 && rw == (s32)A32 && uqw == -1 && urw == (s32)A32);
    } else if (A32 == 0x80000000u && B32 == 0xffffffffu) {
        spec(qw == (s32)0x80000000u && rw == 0);
    } else {
        spec((u32)qw * B32 + (u32)rw == A32 && (u32)uqw * B32 + (u32)urw == A32);
    }
    *hw = mix(mix(mix(mix(mix(*hw, (u64)qw), (u64)rw), (u64)uqw), (u64)urw), (u64)mulw);

    /* shifts by the low bits of b (GCC drops the masks: sll masks itself),
     * 32-bit wrap-around, comparisons */
    u64 s = opaque(b);
    u64 sh = mix(ua << (s & 63), ua >> (s & 63));
    sh = mix(sh, (u64)(sa >> (s & 63)));
    sh = mix(sh, (u64)(s64)(s32)(va << (s & 31)));
    sh = mix(sh, (u64)(s64)(s32)(va >> (s & 31)));
    sh = mix(sh, (u64)(s64)(wa >> (s & 31)));
    sh = mix(sh, (u64)(s64)(s32)(va + vb) ^ (u64)(s64)(s32)(va - vb) << 1);
    sh = mix(sh, (u64)(sa < sb) | (u64)(ua < ub) << 1 | (u64)(sa < 5) << 2 |
                 (u64)(ua < 5) << 3 | (u64)(wa < wb) << 4 | (u64)(sa >= -3) << 5);
    sh = mix(sh, (ua << 13) ^ (ua >> 51) ^ (u64)(sa >> 33) ^ (u64)(s64)(wa >> 7));
    *hs = mix(*hs, sh);
}

static void show(const char *what, u64 v)
{
    putstr("  ");
    report(what, v);
}

int main(void)
{
    u64 hm = 0, hd = 0, hw = 0, hs = 0;

    /* named edge cases, printed one by one */
    u64 lmin = opaque(0x8000000000000000ul), m1 = opaque(-1ul), z = opaque(0);
    u64 seven = opaque(7), imin = opaque(0xffffffff80000000ul);
    putstr("edge cases:\n");
    show("div LONG_MIN/-1", (u64)((s64)lmin / (s64)m1));
    show("rem LONG_MIN%-1", (u64)((s64)lmin % (s64)m1));
    show("div 7/0", (u64)((s64)seven / (s64)z));
    show("divu 7/0", seven / z);
    show("rem -7%0", (u64)(-(s64)seven % (s64)z));
    show("remu 7%0", seven % z);
    show("divw INT_MIN/-1", (u64)(s64)((s32)imin / (s32)m1));
    show("remw INT_MIN%-1", (u64)(s64)((s32)imin % (s32)m1));
    show("divw 7/0", (u64)(s64)((s32)seven / (s32)z));
    show("divuw INT_MIN/0", (u64)(s64)(s32)((u32)imin / (u32)z));
    show("remw INT_MIN%0", (u64)(s64)((s32)imin % (s32)z));
    show("remuw INT_MIN%0", (u64)(s64)(s32)((u32)imin % (u32)z));
    show("mulh LONG_MIN^2", (u64)(((__int128)(s64)lmin * (s64)lmin) >> 64));
    show("mulhu (-1)^2", (u64)(((unsigned __int128)m1 * m1) >> 64));
    show("mulhsu -1*(2^64-1)", (u64)(((__int128)(s64)m1 * (unsigned __int128)m1) >> 64));
    show("mulw 0x7fffffff*2", (u64)(s64)(s32)((u32)opaque(0x7fffffff) * 2u));
    show("sra LONG_MIN>>63", (u64)((s64)lmin >> (opaque(63) & 63)));
    show("sll 1<<(64+3)", opaque(1) << (opaque(67) & 63));
    show("sraw INT_MIN>>(32+4)", (u64)(s64)((s32)imin >> (opaque(36) & 31)));

    for (int rep = 0; rep < 8; rep++)
        for (int i = 0; i < NEDGE; i++)
            for (int j = 0; j < NEDGE; j++)
                ops(edge[i] + (u64)rep * (rep & 1 ? -1ul : 1),
                    edge[j] ^ (u64)rep << 62, &hm, &hd, &hw, &hs);
    putstr("edge table:\n");
    show("mul", hm);
    show("div", hd);
    show("divw", hw);
    show("shift", hs);

    /* random operands of random widths: small, 32-bit, 64-bit, sign mixes */
    for (int i = 0; i < 160000; i++) {
        u64 a = rnd(), b = rnd(), k = rnd();
        a >>= k & 63;
        b >>= (k >> 6) & 63;
        if (k & 0x10000) a = -a;
        if (k & 0x20000) b = -b;
        if ((k & 0x1c0000) == 0) b = edge[(k >> 24) % NEDGE];
        ops(a, b, &hm, &hd, &hw, &hs);
    }
    putstr("random sweep:\n");
    show("mul", hm);
    show("div", hd);
    show("divw", hw);
    show("shift", hs);

    putstr("spec failures: ");
    putdec(spec_failures);
    putch('\n');
    return spec_failures ? 5 : 0;
}
