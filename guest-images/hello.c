/* hello.elf: print one line naming the exception level, then power off. */
#include "sysreg.h"
#include "uart.h"

int main(void)
{
    puts("Hello from pkvm-emu guest at EL");
    putc((char)('0' + current_el()));
    putc('\n');
    return 0;
}
