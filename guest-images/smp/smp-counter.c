/*
 * smp-counter.elf (run with 4 CPUs): CPU 0 brings CPUs 1-3 up with PSCI CPU_ON; every CPU adds 1
 * to a plain counter under a spinlock (LDAXR/STXR, released by STLR) and to an LSE counter
 * (LDADD) ITERS times, then turns itself off with CPU_OFF. CPU 0 waits until AFFINITY_INFO
 * reports each off, brings CPU 1 up a second time for another round, and prints the totals,
 * which are exact only if the lock and the atomics work across CPUs. It also checks PSCI's
 * version, FEATURES and error codes (ALREADY_ON, INVALID_PARAMETERS, NOT_SUPPORTED). Only CPU 0
 * prints, so the output does not depend on the interleaving.
 */
#include <stdint.h>
#include "fmt.h"
#include "psci.h"
#include "uart.h"

#define ITERS 20000u
#define NCPUS 4u

#define PSCI_CPU_OFF         0x84000002u
#define PSCI_CPU_ON_64       0xc4000003u
#define PSCI_AFFINITY_INFO   0xc4000004u
#define PSCI_FEATURES        0x8400000au

extern char secondary_entry[];

static volatile uint32_t lock_word;
static volatile uint64_t locked_counter;
static volatile uint64_t lse_counter;
static volatile uint32_t started[8];
static volatile uint64_t mpidr_seen[8];
static volatile uint32_t go;

static inline uint64_t read_mpidr(void)
{
    uint64_t v;
    __asm__ volatile("mrs %0, mpidr_el1" : "=r"(v));
    return v;
}

static void spin_lock(volatile uint32_t *l)
{
    uint32_t tmp;
    __asm__ volatile(
        "   sevl\n"
        "1: wfe\n"
        "2: ldaxr   %w0, [%1]\n"
        "   cbnz    %w0, 1b\n"
        "   stxr    %w0, %w2, [%1]\n"
        "   cbnz    %w0, 2b\n"
        : "=&r"(tmp)
        : "r"(l), "r"(1u)
        : "memory");
}

static void spin_unlock(volatile uint32_t *l)
{
    __asm__ volatile("stlr wzr, [%0]" : : "r"(l) : "memory");
}

static void work(void)
{
    for (uint32_t i = 0; i < ITERS; i++) {
        spin_lock(&lock_word);
        locked_counter = locked_counter + 1;
        spin_unlock(&lock_word);
        __asm__ volatile("ldadd %x0, xzr, [%1]" : : "r"((uint64_t)1), "r"(&lse_counter) : "memory");
    }
}

void secondary_main(uint64_t index)
{
    mpidr_seen[index] = read_mpidr();
    started[index] = started[index] + 1;
    while (!go)
        __asm__ volatile("wfe" ::: "memory");
    work();
    psci_call(PSCI_CPU_OFF, 0, 0, 0);
    puts("smp: CPU_OFF returned\n");
    for (;;)
        __asm__ volatile("wfi");
}

static void put_ret(const char *what, uint64_t r)
{
    puts(what);
    put_hex64(r);
    putc('\n');
}

static void wait_off(uint64_t cpu)
{
    uint64_t st;
    while ((st = psci_call(PSCI_AFFINITY_INFO, cpu, 0, 0)) != 1)
        ;
    puts("smp: cpu");
    putc((char)('0' + cpu));
    puts(" AFFINITY_INFO off\n");
}

int main(void)
{
    puts("smp: cpu0 mpidr ");
    put_hex_min(read_mpidr());
    putc('\n');
    put_ret("smp: PSCI_VERSION ", psci_call(PSCI_VERSION, 0, 0, 0));
    put_ret("smp: FEATURES(CPU_ON) ", psci_call(PSCI_FEATURES, PSCI_CPU_ON_64, 0, 0));
    put_ret("smp: FEATURES(0x84000099) ", psci_call(PSCI_FEATURES, 0x84000099u, 0, 0));
    for (uint64_t c = 0; c < NCPUS + 1; c++) {
        puts("smp: AFFINITY_INFO cpu");
        putc((char)('0' + c));
        put_ret(" ", psci_call(PSCI_AFFINITY_INFO, c, 0, 0));
    }
    put_ret("smp: CPU_ON cpu9 ", psci_call(PSCI_CPU_ON_64, 9, (uint64_t)secondary_entry, 9));
    put_ret("smp: CPU_ON cpu0 ", psci_call(PSCI_CPU_ON_64, 0, (uint64_t)secondary_entry, 0));
    for (uint64_t c = 1; c < NCPUS; c++) {
        uint64_t r = psci_call(PSCI_CPU_ON_64, c, (uint64_t)secondary_entry, c);
        if (r != 0)
            put_ret("smp: CPU_ON failed ", r);
    }
    for (uint64_t c = 1; c < NCPUS; c++)
        while (started[c] == 0)
            __asm__ volatile("yield" ::: "memory");
    /* CPU 1 is on (it waits for `go`): a second CPU_ON is refused. */
    put_ret("smp: CPU_ON cpu1 again ", psci_call(PSCI_CPU_ON_64, 1, (uint64_t)secondary_entry, 1));
    go = 1;
    __asm__ volatile("dsb sy\n\tsev" ::: "memory");
    work();
    for (uint64_t c = 1; c < NCPUS; c++)
        wait_off(c);
    for (uint64_t c = 1; c < NCPUS; c++) {
        puts("smp: cpu");
        putc((char)('0' + c));
        puts(" mpidr ");
        put_hex_min(mpidr_seen[c]);
        putc('\n');
    }
    /* CPU 1 once more: a CPU turned off can be turned on again. */
    put_ret("smp: CPU_ON cpu1 (2nd) ", psci_call(PSCI_CPU_ON_64, 1, (uint64_t)secondary_entry, 1));
    while (started[1] != 2) /* (QEMU may report it off before its first instruction) */
        __asm__ volatile("yield" ::: "memory");
    wait_off(1);
    puts("smp: cpu1 started ");
    put_hex_min(started[1]);
    puts(" times\nsmp: locked counter ");
    put_hex_min(locked_counter);
    puts("\nsmp: lse counter ");
    put_hex_min(lse_counter);
    puts(locked_counter == (NCPUS + 1) * ITERS && lse_counter == (NCPUS + 1) * ITERS ? "\nsmp: totals exact\n" : "\nsmp: totals WRONG\n");
    return 0;
}
