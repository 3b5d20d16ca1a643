# SMP images (included by ../Makefile): several CPUs on the virt board, run with -smp 4.
#   smp-counter  a spinlock (LDAXR/STXR, STLR) and an LSE counter (LDADD) across 4 CPUs to an
#                exact total; CPUs brought up and down with PSCI, AFFINITY_INFO and error codes.
#   bootinfo     prints x0 and its load address; carries an arm64 Image header (loader tests).
#   smp-step     each CPU loops on its own registers, one sleeps in WFI, one stays off (gdb tests).
SMP_IMAGES := smp-counter bootinfo smp-step
IMAGES += $(SMP_IMAGES)

all: $(SMP_IMAGES:%=$(BIN)/%.elf)

# LSE atomics (ARMv8.1).
$(OBJ)/smp/%.o: CFLAGS += -march=armv8.1-a
$(OBJ)/smp/%.o: ASFLAGS += -march=armv8.1-a

$(BIN)/smp-counter.elf: $(OBJ)/smp/smp-counter.o $(OBJ)/smp/smp-entry.o $(OBJ)/common/fmt.o

# bootinfo is standalone (no common start code): linked at 0x40080000, the Image load address.
$(BIN)/bootinfo.elf: $(OBJ)/smp/bootinfo.o smp/smp.mk
	@mkdir -p $(dir $@)
	$(CC) -static -nostdlib -nostartfiles -no-pie -Wl,-Ttext=0x40080000 -Wl,--build-id=none \
	    -Wl,-z,norelro -Wl,-z,noexecstack -Wl,-z,max-page-size=4096 -o $@ $(OBJ)/smp/bootinfo.o

# smp-step is standalone too.
$(BIN)/smp-step.elf: $(OBJ)/smp/smp-step.o smp/smp.mk
	@mkdir -p $(dir $@)
	$(CC) -static -nostdlib -nostartfiles -no-pie -Wl,-Ttext=0x40080000 -Wl,--build-id=none \
	    -Wl,-z,norelro -Wl,-z,noexecstack -Wl,-z,max-page-size=4096 -o $@ $(OBJ)/smp/smp-step.o

$(SMP_IMAGES:%=$(OBJ)/smp/%.o): smp/smp.mk
