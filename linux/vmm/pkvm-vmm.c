/*
 * pkvm-vmm: a minimal VMM on Linux's KVM API, run inside the booted kernel (pKVM in protected mode)
 * to show the kernel's own stage-2 fault handling, world switch and virtual timer at work on the
 * emulator. Freestanding (raw system calls, no libc) so the static binary is small and reproducible.
 *
 *   pkvm-vmm IMAGE.elf [X1 [X2 [X3]]]
 *
 * The guest gets 64 MiB of RAM at 0x4000_0000 (the virt board's RAM base, where the project's guest
 * images are linked), its ELF segments loaded there, PC = the ELF entry, x0 = 0 (no device tree),
 * x1..x3 from the command line (toucher's page count, seed, words per page). MMIO exits to the
 * PL011 at 0x0900_0000 are a write-only UART model (UARTDR written → stdout; UARTFR reads 0: never
 * busy); PSCI SYSTEM_OFF (handled by KVM, as the vCPU is initialised with PSCI 0.2) ends the run
 * with status 0. Any other exit prints one line and ends with status 1.
 */
typedef unsigned long u64;
typedef unsigned int u32;
typedef unsigned short u16;
typedef unsigned char u8;
typedef long s64;

#define GUEST_RAM_BASE 0x40000000ul
#define GUEST_RAM_SIZE (64ul << 20)
#define UART_BASE      0x09000000ul
#define UARTDR         0x000
#define UARTFR         0x018

/* --- system calls (arm64 numbers) --- */
#define SYS_ioctl 29
#define SYS_openat 56
#define SYS_close 57
#define SYS_lseek 62
#define SYS_read 63
#define SYS_write 64
#define SYS_exit_group 94
#define SYS_mmap 222
#define AT_FDCWD (-100)
#define O_RDONLY 0
#define O_RDWR 2
#define O_CLOEXEC 02000000
#define PROT_READ 1
#define PROT_WRITE 2
#define MAP_SHARED 1
#define MAP_PRIVATE 2
#define MAP_ANONYMOUS 0x20
#define MAP_NORESERVE 0x4000

static s64 sys6(s64 n, s64 a, s64 b, s64 c, s64 d, s64 e, s64 f)
{
    register s64 x8 __asm__("x8") = n;
    register s64 x0 __asm__("x0") = a;
    register s64 x1 __asm__("x1") = b;
    register s64 x2 __asm__("x2") = c;
    register s64 x3 __asm__("x3") = d;
    register s64 x4 __asm__("x4") = e;
    register s64 x5 __asm__("x5") = f;
    __asm__ volatile("svc #0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5) : "memory");
    return x0;
}
#define sys3(n, a, b, c) sys6(n, (s64)(a), (s64)(b), (s64)(c), 0, 0, 0)

static u64 slen(const char *s) { u64 n = 0; while (s[n]) n++; return n; }
static void out(int fd, const char *s) { sys3(SYS_write, fd, s, slen(s)); }
static void out_hex(int fd, u64 v)
{
    char b[19]; int i = 18;
    b[i] = 0;
    do { b[--i] = "0123456789abcdef"[v & 15]; v >>= 4; } while (v && i > 2);
    b[--i] = 'x'; b[--i] = '0';
    out(fd, b + i);
}
static void __attribute__((noreturn)) die2(const char *what, const char *detail, s64 err)
{
    out(2, "pkvm-vmm: "); out(2, what);
    if (detail) { out(2, ": "); out(2, detail); }
    if (err) { out(2, " (error "); out_hex(2, (u64)-err); out(2, ")"); }
    out(2, "\n");
    sys3(SYS_exit_group, 1, 0, 0);
    __builtin_unreachable();
}
#define die(what, err) die2(what, 0, err)

static void *memset_(void *d, int c, u64 n) { u8 *p = d; while (n--) *p++ = (u8)c; return d; }
void *memset(void *d, int c, u64 n) { return memset_(d, c, n); }
void *memcpy(void *d, const void *s, u64 n) { u8 *p = d; const u8 *q = s; while (n--) *p++ = *q++; return d; }

static u64 parse_num(const char *s)
{
    u64 v = 0, base = 10;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) { base = 16; s += 2; }
    if (!*s) die2("not a number", s, 0);
    for (; *s; s++) {
        u64 d = *s >= '0' && *s <= '9' ? (u64)(*s - '0') : *s >= 'a' && *s <= 'f' ? (u64)(*s - 'a' + 10) :
                *s >= 'A' && *s <= 'F' ? (u64)(*s - 'A' + 10) : 99;
        if (d >= base) die2("not a number", s, 0);
        v = v * base + d;
    }
    return v;
}

/* --- KVM API (include/uapi/linux/kvm.h, arm64) --- */
#define KVM_CREATE_VM               0xAE01
#define KVM_GET_VCPU_MMAP_SIZE      0xAE04
#define KVM_CREATE_VCPU             0xAE41
#define KVM_SET_USER_MEMORY_REGION  0x4020AE46
#define KVM_RUN                     0xAE80
#define KVM_SET_ONE_REG             0x4010AEAC
#define KVM_ARM_VCPU_INIT           0x4020AEAE
#define KVM_ARM_PREFERRED_TARGET    0x8020AEAF
#define KVM_ARM_VCPU_PSCI_0_2       2
#define KVM_EXIT_MMIO               6
#define KVM_EXIT_SYSTEM_EVENT       24
#define KVM_SYSTEM_EVENT_SHUTDOWN   1
#define KVM_SYSTEM_EVENT_RESET      2
/* KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | (offset in struct kvm_regs / 4) */
#define CORE_REG(off)               (0x6030000000100000ul | ((off) / 4))
#define REG_X(n)                    CORE_REG((n) * 8)
#define REG_PC                      CORE_REG(32 * 8)

struct kvm_userspace_memory_region { u32 slot, flags; u64 guest_phys_addr, memory_size, userspace_addr; };
struct kvm_one_reg { u64 id, addr; };
struct kvm_vcpu_init { u32 target; u32 features[7]; };

static void set_reg(int vcpu, u64 id, u64 v)
{
    struct kvm_one_reg r = { id, (u64)&v };
    s64 e = sys3(SYS_ioctl, vcpu, KVM_SET_ONE_REG, &r);
    if (e < 0) die("KVM_SET_ONE_REG", e);
}

/* --- ELF loading (PT_LOAD segments at their physical addresses) --- */
static u64 load_elf(const u8 *f, u64 size, u8 *ram)
{
    if (size < 64 || f[0] != 0x7f || f[1] != 'E' || f[2] != 'L' || f[3] != 'F' || f[4] != 2 || f[5] != 1)
        die("image is not a 64-bit little-endian ELF", 0);
    if (*(const u16 *)(f + 18) != 183) die("image is not an AArch64 ELF", 0);
    u64 entry = *(const u64 *)(f + 24), phoff = *(const u64 *)(f + 32);
    u16 phentsize = *(const u16 *)(f + 54), phnum = *(const u16 *)(f + 56);
    if (phentsize < 56 || phoff > size || (u64)phnum * phentsize > size - phoff) die("bad ELF program headers", 0);
    for (u16 i = 0; i < phnum; i++) {
        const u8 *ph = f + phoff + (u64)i * phentsize;
        if (*(const u32 *)ph != 1) continue;
        u64 off = *(const u64 *)(ph + 8), pa = *(const u64 *)(ph + 24);
        u64 filesz = *(const u64 *)(ph + 32), memsz = *(const u64 *)(ph + 40);
        if (filesz > memsz || off > size || filesz > size - off) die("bad ELF segment", 0);
        if (pa < GUEST_RAM_BASE || memsz > GUEST_RAM_SIZE || pa - GUEST_RAM_BASE > GUEST_RAM_SIZE - memsz)
            die("ELF segment outside guest RAM", 0);
        memcpy(ram + (pa - GUEST_RAM_BASE), f + off, filesz);
        memset(ram + (pa - GUEST_RAM_BASE) + filesz, 0, memsz - filesz);
    }
    return entry;
}

static u8 image[8u << 20];

int vmm_main(int argc, char **argv)
{
    if (argc < 2 || argc > 5) die("usage: pkvm-vmm IMAGE.elf [X1 [X2 [X3]]]", 0);
    u64 xs[3] = { 0, 0, 0 };
    for (int i = 2; i < argc; i++) xs[i - 2] = parse_num(argv[i]);

    s64 fd = sys3(SYS_openat, AT_FDCWD, argv[1], O_RDONLY | O_CLOEXEC);
    if (fd < 0) die2("cannot open", argv[1], fd);
    u64 size = 0;
    for (;;) {
        if (size == sizeof image) die2("image larger than 8 MiB", argv[1], 0);
        s64 n = sys3(SYS_read, fd, image + size, sizeof image - size);
        if (n < 0) die2("cannot read", argv[1], n);
        if (n == 0) break;
        size += (u64)n;
    }
    sys3(SYS_close, fd, 0, 0);

    s64 kvm = sys3(SYS_openat, AT_FDCWD, "/dev/kvm", O_RDWR | O_CLOEXEC);
    if (kvm < 0) die("cannot open /dev/kvm", kvm);
    s64 vm = sys3(SYS_ioctl, kvm, KVM_CREATE_VM, 0);
    if (vm < 0) die("KVM_CREATE_VM", vm);

    s64 ram = sys6(SYS_mmap, 0, GUEST_RAM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (ram < 0 && ram > -4096) die("mmap of guest RAM", ram);
    u64 entry = load_elf(image, size, (u8 *)ram);
    struct kvm_userspace_memory_region region = { 0, 0, GUEST_RAM_BASE, GUEST_RAM_SIZE, (u64)ram };
    s64 e = sys3(SYS_ioctl, vm, KVM_SET_USER_MEMORY_REGION, &region);
    if (e < 0) die("KVM_SET_USER_MEMORY_REGION", e);

    s64 vcpu = sys3(SYS_ioctl, vm, KVM_CREATE_VCPU, 0);
    if (vcpu < 0) die("KVM_CREATE_VCPU", vcpu);
    struct kvm_vcpu_init init;
    memset(&init, 0, sizeof init);
    e = sys3(SYS_ioctl, vm, KVM_ARM_PREFERRED_TARGET, &init);
    if (e < 0) die("KVM_ARM_PREFERRED_TARGET", e);
    init.features[0] |= 1u << KVM_ARM_VCPU_PSCI_0_2;
    e = sys3(SYS_ioctl, vcpu, KVM_ARM_VCPU_INIT, &init);
    if (e < 0) die("KVM_ARM_VCPU_INIT", e);
    set_reg(vcpu, REG_PC, entry);
    set_reg(vcpu, REG_X(0), 0);
    for (int i = 0; i < 3; i++) set_reg(vcpu, REG_X(i + 1), xs[i]);

    s64 mapsz = sys3(SYS_ioctl, kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (mapsz < 0) die("KVM_GET_VCPU_MMAP_SIZE", mapsz);
    s64 run = sys6(SYS_mmap, 0, mapsz, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
    if (run < 0 && run > -4096) die("mmap of kvm_run", run);
    volatile u8 *r = (volatile u8 *)run;

    for (;;) {
        e = sys3(SYS_ioctl, vcpu, KVM_RUN, 0);
        if (e < 0) die("KVM_RUN", e);
        u32 reason = *(volatile u32 *)(r + 8);
        if (reason == KVM_EXIT_MMIO) {
            u64 pa = *(volatile u64 *)(r + 32);
            volatile u8 *data = r + 40;
            u32 len = *(volatile u32 *)(r + 48);
            u8 is_write = r[52];
            if (pa >= UART_BASE && pa < UART_BASE + 0x1000) {
                if (is_write && pa - UART_BASE == UARTDR) { char c = (char)data[0]; sys3(SYS_write, 1, &c, 1); }
                else if (!is_write) for (u32 i = 0; i < len && i < 8; i++) data[i] = 0; /* UARTFR: never busy */
                continue;
            }
            out(2, "pkvm-vmm: guest access to unknown device at "); out_hex(2, pa); out(2, "\n");
            sys3(SYS_exit_group, 1, 0, 0);
        }
        if (reason == KVM_EXIT_SYSTEM_EVENT) {
            u32 type = *(volatile u32 *)(r + 32);
            if (type == KVM_SYSTEM_EVENT_SHUTDOWN || type == KVM_SYSTEM_EVENT_RESET) return 0;
        }
        out(2, "pkvm-vmm: unexpected KVM exit reason "); out_hex(2, reason); out(2, "\n");
        return 1;
    }
}

/* Entry: the kernel leaves argc at [sp], argv after it. */
__asm__(
    ".text\n.global _start\n_start:\n"
    "  ldr x0, [sp]\n  add x1, sp, #8\n  and sp, x1, #~15\n"
    "  bl vmm_main\n  mov x8, #94\n  svc #0\n");
