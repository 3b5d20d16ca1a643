#include "fmt.h"
#include "uart.h"

void put_hex_min(uint64_t v)
{
    unsigned digits = 1;
    while (digits < 16 && (v >> (digits * 4)) != 0)
        digits++;
    put_hex(v, digits);
}
