/* Printing helpers called from selftest.S (C calling convention). */
#include <stdint.h>
#include "uart.h"

/* "name: vvvvvvvvvvvvvvvv" */
void report(const char *name, uint64_t v)
{
    puts(name);
    puts(": ");
    put_hex64(v);
    putc('\n');
}

/* "name: vvvvvvvvvvvvvvvv nzcv=f" (nzcv is the raw NZCV register) */
void report_f(const char *name, uint64_t v, uint64_t nzcv)
{
    puts(name);
    puts(": ");
    put_hex64(v);
    puts(" nzcv=");
    put_hex(nzcv >> 28, 1);
    putc('\n');
}

/* "name: aaaaaaaaaaaaaaaa bbbbbbbbbbbbbbbb" */
void report2(const char *name, uint64_t a, uint64_t b)
{
    puts(name);
    puts(": ");
    put_hex64(a);
    putc(' ');
    put_hex64(b);
    putc('\n');
}
