#include <stdint.h>
#include "psci.h"
#include "uart.h"

void unexpected_exception(uint64_t vector, uint64_t esr, uint64_t elr,
                          uint64_t far) __attribute__((noreturn));

/* Called from default_vectors with the vector index (0..15). */
void unexpected_exception(uint64_t vector, uint64_t esr, uint64_t elr,
                          uint64_t far)
{
    puts("\nunexpected exception: vector=");
    put_hex(vector, 1);
    puts(" esr=");
    put_hex64(esr);
    puts(" elr=");
    put_hex64(elr);
    puts(" far=");
    put_hex64(far);
    putc('\n');
    psci_system_off();
}
