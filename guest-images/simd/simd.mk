# Advanced SIMD / crypto images (included by ../Makefile): C compiled the ordinary way (no
# -mgeneral-regs-only, -O3 so gcc vectorizes) with arm_neon.h intrinsics. simd.elf prints the
# results of a string/memcpy workload and AES/SHA-1/SHA-256/SHA-512/SHA3 digests of known test
# vectors; simdbench.elf is the same work in a loop for bench/cpu.ts. Sources in simd/.
SIMD_IMAGES := simd simdbench
IMAGES += $(SIMD_IMAGES)

all: $(SIMD_IMAGES:%=$(BIN)/%.elf)

SIMD_CFLAGS := $(filter-out -mgeneral-regs-only -O2,$(CFLAGS)) -O3 -march=armv8.2-a+crypto+sha3+dotprod+rdma

$(OBJ)/simd/simd.o: simd/simd.c $(HEADERS) simd/simd.mk Makefile
	@mkdir -p $(dir $@)
	$(CC) $(SIMD_CFLAGS) -c $< -o $@
$(OBJ)/simd/simdbench.o: simd/simd.c $(HEADERS) simd/simd.mk Makefile
	@mkdir -p $(dir $@)
	$(CC) $(SIMD_CFLAGS) -DBENCH_ROUNDS=200 -c $< -o $@

$(BIN)/simd.elf: $(OBJ)/simd/simd.o
$(BIN)/simdbench.elf: $(OBJ)/simd/simdbench.o
