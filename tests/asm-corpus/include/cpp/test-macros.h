/* test-macros.h: test macros in the style of the official riscv-tests
 * (test_macros.h), written for trapvisor's corpus. */
#ifndef TEST_MACROS_H
#define TEST_MACROS_H

#define TESTNUM gp

#define MASK_XLEN(x) ((x) & 0xFFFFFFFFFFFFFFFF)
#if __riscv_xlen == 64
# define SEXT_IMM(x) ((x) | (-(((x) >> 11) & 1) << 11))
#else
# define SEXT_IMM(x) ((x) | (-(((x) >> 11) & 1) << 11))
#endif

#define TEST_CASE( testnum, testreg, correctval, code... ) \
test_ ## testnum: \
    li  TESTNUM, testnum; \
    code; \
    li  x7, MASK_XLEN(correctval); \
    bne testreg, x7, fail;

#define TEST_RR_OP( testnum, inst, result, val1, val2 ) \
    TEST_CASE( testnum, x14, result, \
      li  x1, MASK_XLEN(val1); \
      li  x2, MASK_XLEN(val2); \
      inst x14, x1, x2; \
    )

#define TEST_IMM_OP( testnum, inst, result, val1, imm ) \
    TEST_CASE( testnum, x14, result, \
      li  x1, MASK_XLEN(val1); \
      inst x14, x1, SEXT_IMM(imm); \
    )

#define TEST_LD_OP( testnum, inst, result, offset, base ) \
    TEST_CASE( testnum, x14, result, \
      li  x15, result; /* Tell the exception handler the expected result. */ \
      la  x2, base; \
      inst x14, offset(x2); \
    )

#define STR(x) #x
#define XSTR(x) STR(x)
#define NAME_OF(n) test_ ## n ## _name

#define TEST_PASSFAIL \
        bne x0, TESTNUM, pass; \
fail: \
        li a0, 1; j done; \
pass: \
        li a0, 0; \
done:

#endif
