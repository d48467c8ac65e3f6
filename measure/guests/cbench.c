/*
 * cbench.c: the CPU-bound compiled C of `trapvisor bench` (workload c-cpu).
 *
 * Four kernels of the kind CoreMark times, written afresh: a linked list
 * (built, searched, reversed and merge-sorted), an integer matrix product,
 * a state machine that scans a text of numbers, and a CRC-16 over all the
 * results. Each round works on data derived from the previous round's
 * result, so nothing can be hoisted out of the loop. The number of rounds
 * is the 64-bit word `iterations` in .data: the bench writes it before
 * boot (the scaling runs use fewer rounds).
 *
 * Nothing here traps: natively and under the monitor alike, every
 * instruction but the few UART stores at the end runs directly on the hart.
 *
 * `scripts/bench-c.sh` compiles this file to cbench.s with GCC (see its
 * header for the flags); trapvisor assembles cbench.s itself, so the bench
 * needs no compiler.
 */
#include "guest.h"

volatile u64 iterations = 300;

/* ---- list ---------------------------------------------------------------- */

struct item {
    struct item *next;
    s32 key;
    u32 data;
};

#define NITEMS 256
static struct item items[NITEMS];

NOINLINE static struct item *list_build(u64 seed)
{
    struct item *head = 0;
    for (int i = 0; i < NITEMS; i++) {
        seed = seed * 6364136223846793005ul + 1442695040888963407ul;
        items[i].key = (s32)(seed >> 40) - (1 << 23);
        items[i].data = (u32)i;
        items[i].next = head;
        head = &items[i];
    }
    return head;
}

NOINLINE static struct item *list_reverse(struct item *h)
{
    struct item *out = 0;
    while (h) {
        struct item *n = h->next;
        h->next = out;
        out = h;
        h = n;
    }
    return out;
}

NOINLINE static struct item *list_find(struct item *h, s32 key)
{
    for (; h; h = h->next)
        if (h->key == key)
            return h;
    return 0;
}

/* Bottom-up merge sort of a list (as CoreMark's core_list_mergesort). */
NOINLINE static struct item *list_sort(struct item *list)
{
    for (int k = 1;; k *= 2) {
        struct item *p = list, *tail = 0;
        list = 0;
        int merges = 0;
        while (p) {
            merges++;
            struct item *q = p;
            int psize = 0;
            for (int i = 0; i < k && q; i++) {
                psize++;
                q = q->next;
            }
            int qsize = k;
            while (psize > 0 || (qsize > 0 && q)) {
                struct item *e;
                if (psize == 0) {
                    e = q, q = q->next, qsize--;
                } else if (qsize == 0 || !q || p->key <= q->key) {
                    e = p, p = p->next, psize--;
                } else {
                    e = q, q = q->next, qsize--;
                }
                if (tail)
                    tail->next = e;
                else
                    list = e;
                tail = e;
            }
            p = q;
        }
        tail->next = 0;
        if (merges <= 1)
            return list;
    }
}

NOINLINE static u64 list_bench(u64 seed)
{
    struct item *h = list_build(seed);
    u64 acc = 0;
    for (int i = 0; i < 16; i++) {
        struct item *f = list_find(h, items[(seed + 37 * i) % NITEMS].key);
        acc = mix(acc, f ? f->data : 0xffff);
        h = list_reverse(h);
    }
    h = list_sort(h);
    for (struct item *p = h; p; p = p->next)
        acc = mix(acc, (u32)p->key);
    return acc;
}

/* ---- matrix -------------------------------------------------------------- */

#define N 24
static s32 ma[N][N], mb[N][N];
static s64 mc[N][N];

NOINLINE static u64 matrix_bench(u64 seed)
{
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            ma[i][j] = (s32)(seed & 0xffff) - 0x8000;
            mb[i][j] = (s32)((seed >> 16) & 0xfff);
        }
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            s64 s = 0;
            for (int k = 0; k < N; k++)
                s += (s64)ma[i][k] * mb[k][j];
            mc[i][j] = s;
        }
    u64 acc = 0;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++)
            acc = mix(acc, (u64)(mc[i][j] >> 2) + (u64)(mc[i][j] & 3));
    return acc;
}

/* ---- state machine ------------------------------------------------------- */

enum state { START, INT, FRAC, EXP_SIGN, EXP, SCI, INVALID, NSTATES };

static char text[512];

NOINLINE static void text_build(u64 seed)
{
    static const char alphabet[] = "0123456789+-.eE, x";
    for (u32 i = 0; i < sizeof text - 1; i++) {
        seed = seed * 2862933555777941757ul + 3037000493ul;
        text[i] = alphabet[(seed >> 33) % (sizeof alphabet - 1)];
    }
    text[sizeof text - 1] = 0;
}

NOINLINE static u64 state_bench(u64 seed)
{
    u32 counts[NSTATES] = {0};
    text_build(seed);
    enum state s = START;
    u32 transitions = 0;
    for (const char *p = text; *p; p++) {
        char c = *p;
        enum state next = s;
        if (c == ',' || c == ' ') {
            counts[s]++;
            next = START;
        } else {
            switch (s) {
            case START:
                next = (c >= '0' && c <= '9') || c == '+' || c == '-' ? INT : c == '.' ? FRAC : INVALID;
                break;
            case INT:
                next = (c >= '0' && c <= '9') ? INT : c == '.' ? FRAC : (c == 'e' || c == 'E') ? EXP_SIGN : INVALID;
                break;
            case FRAC:
                next = (c >= '0' && c <= '9') ? FRAC : (c == 'e' || c == 'E') ? EXP_SIGN : INVALID;
                break;
            case EXP_SIGN:
                next = (c == '+' || c == '-' || (c >= '0' && c <= '9')) ? EXP : INVALID;
                break;
            case EXP:
                next = (c >= '0' && c <= '9') ? SCI : INVALID;
                break;
            case SCI:
                next = (c >= '0' && c <= '9') ? SCI : INVALID;
                break;
            default:
                break;
            }
        }
        transitions += next != s;
        s = next;
    }
    u64 acc = transitions;
    for (int i = 0; i < NSTATES; i++)
        acc = mix(acc, counts[i]);
    return acc;
}

/* ---- CRC ----------------------------------------------------------------- */

NOINLINE static u16 crc16(u64 v, u16 crc)
{
    for (int i = 0; i < 8; i++) {
        u8 b = (u8)(v >> (8 * i));
        crc ^= b;
        for (int k = 0; k < 8; k++)
            crc = (crc & 1) ? (crc >> 1) ^ 0xa001 : crc >> 1;
    }
    return crc;
}

int main(void)
{
    u64 rounds = iterations;
    u64 seed = 0x243f6a8885a308d3ul;
    u16 crc_list = 0, crc_matrix = 0, crc_state = 0;
    for (u64 r = 0; r < rounds; r++) {
        u64 l = list_bench(seed);
        u64 m = matrix_bench(seed ^ l);
        u64 s = state_bench(seed ^ m);
        crc_list = crc16(l, crc_list);
        crc_matrix = crc16(m, crc_matrix);
        crc_state = crc16(s, crc_state);
        seed = mix(seed, l ^ m ^ s);
    }
    report("rounds", rounds);
    report("list", crc_list);
    report("matrix", crc_matrix);
    report("state", crc_state);
    report("seed", seed);
    return 0;
}
