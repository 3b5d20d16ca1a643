/* Number formatting beyond uart.h, for the images that link common/fmt.o. */
#ifndef GUEST_FMT_H
#define GUEST_FMT_H

#include <stdint.h>

/* Lower-case hex without leading zeros (at least one digit): 0, 1f, 100. */
void put_hex_min(uint64_t v);

#endif
