# SMP images (included by ../Makefile): several CPUs on the virt board, run with -smp 4.
#   smp-counter  a spinlock (LDAXR/STXR, STLR) and an LSE counter (LDADD) across 4 CPUs to an
#                exact total; CPUs brought up and down with PSCI, AFFINITY_INFO and error codes.
SMP_IMAGES := smp-counter
IMAGES += $(SMP_IMAGES)

all: $(SMP_IMAGES:%=$(BIN)/%.elf)

# LSE atomics (ARMv8.1).
$(OBJ)/smp/%.o: CFLAGS += -march=armv8.1-a
$(OBJ)/smp/%.o: ASFLAGS += -march=armv8.1-a

$(BIN)/smp-counter.elf: $(OBJ)/smp/smp-counter.o $(OBJ)/smp/smp-entry.o $(OBJ)/common/fmt.o

$(SMP_IMAGES:%=$(OBJ)/smp/%.o): smp/smp.mk
