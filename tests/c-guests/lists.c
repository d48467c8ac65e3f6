/*
 * lists.c: ordinary compiled code. A linked list built and insertion-sorted,
 * an integer matrix product, a bitwise CRC-32 over the sorted keys and values, a
 * switch-based state machine over a string, and a loop of 64- and 32-bit
 * signed and unsigned divisions and remainders, repeated for several rounds.
 * Each part's result is folded into its own checksum and printed at the end.
 */
#include "guest.h"

#define ROUNDS 12

struct node {
    struct node *next;
    u32 key;
    u32 val;
};

static struct node pool[4096];
static u32 kv[2 * 4096]; /* the sorted list's keys and values, for the CRC */
static u32 seed = 12345;

static u32 lcg(void)
{
    seed = seed * 1103515245u + 12345u;
    return seed >> 8;
}

NOINLINE static struct node *build(int n)
{
    struct node *h = 0;
    for (int i = 0; i < n; i++) {
        pool[i].key = lcg() & 0xffff;
        pool[i].val = i;
        pool[i].next = h;
        h = &pool[i];
    }
    return h;
}

/* Insertion sort: each node into its place in the sorted list. */
NOINLINE static struct node *sort_list(struct node *h)
{
    struct node *out = 0;
    while (h) {
        struct node *n = h;
        h = h->next;
        struct node **p = &out;
        while (*p && (*p)->key < n->key)
            p = &(*p)->next;
        n->next = *p;
        *p = n;
    }
    return out;
}

NOINLINE static u64 matmul(int n)
{
    static int a[32][32], b[32][32], c[32][32];
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            a[i][j] = (int)(lcg() % 100) - 50;
            b[i][j] = (int)(lcg() % 100) - 50;
        }
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            int s = 0;
            for (int k = 0; k < n; k++)
                s += a[i][k] * b[k][j];
            c[i][j] = s;
        }
    u64 h = 0;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            h = h * 31 + (u64)(long)c[i][j];
    return h;
}

NOINLINE static u32 crc32(const u8 *p, int n, u32 c)
{
    c = ~c;
    for (int i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xedb88320u & -(c & 1));
    }
    return ~c;
}

/* Counts numbers ("12", "3.14") in the text; a switch on the state. */
NOINLINE static int state_machine(const char *s)
{
    int st = 0, count = 0;
    for (; *s; s++) {
        switch (st) {
        case 0:
            st = (*s >= '0' && *s <= '9') ? 1 : 2;
            break;
        case 1:
            if (*s == '.')
                st = 3;
            else if (*s < '0' || *s > '9') {
                st = 2;
                count++;
            }
            break;
        case 3:
            st = (*s >= '0' && *s <= '9') ? 4 : 2;
            break;
        case 4:
            if (*s < '0' || *s > '9') {
                st = 0;
                count += 2;
            }
            break;
        default:
            if (*s == ' ')
                st = 0;
        }
    }
    return count;
}

NOINLINE static u64 divs(long x)
{
    u64 s = 0;
    for (long i = 1; i < 2000; i++) {
        s += (u64)(x / i) + (u64)(x % i);
        s ^= (u64)x / (u64)i;
        s += (u64)(long)((int)x / (int)(i | 1)) + (unsigned)x % (unsigned)i;
        s += (u64)(long)((int)x % (int)(-i));
    }
    return s;
}

int main(void)
{
    u64 h_list = 0, h_mat = 0, h_crc = 0, h_sm = 0, h_div = 0;
    int sorted = 1;

    for (int r = 0; r < ROUNDS; r++) {
        struct node *h = sort_list(build(1500));
        u32 prev = 0;
        u64 sum = 0;
        int n = 0;
        for (; h; h = h->next) {
            if (h->key < prev)
                sorted = 0;
            prev = h->key;
            sum = sum * 7 + h->val;
            kv[n++] = h->key;
            kv[n++] = h->val;
        }
        h_list = mix(h_list, sum);
        h_mat = mix(h_mat, matmul(24));
        h_crc = mix(h_crc, crc32((const u8 *)kv, n * (int)sizeof kv[0], r));
        h_sm = mix(h_sm, state_machine("12.5 abc 7 3.14x 99 1.0 zz 42.42 "));
        h_div = mix(h_div, divs((long)(h_list ^ h_mat ^ h_crc) | 1));
    }
    putstr("lists: ");
    putdec(ROUNDS);
    putstr(" rounds\n");
    report("list", h_list);
    report("sorted", sorted);
    report("matmul", h_mat);
    report("crc32", h_crc);
    report("state", h_sm);
    report("divide", h_div);
    report("total", h_list ^ h_mat ^ h_crc ^ h_sm ^ h_div);
    return sorted ? 0 : 3;
}
