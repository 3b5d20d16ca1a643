# MMU guest images (included by ../Makefile): stage 1 at EL1, stage 2 at EL2,
# TLB maintenance, and the walk benchmark. Sources in mmu/, outputs in $(BIN).
MMU_IMAGES := mmu-el1 mmu-el2 mmu-tlbi walkbench
IMAGES += $(MMU_IMAGES)
MMU_LIB := $(OBJ)/mmu/mmu-lib.o $(OBJ)/mmu/mmu-vectors.o

all: $(MMU_IMAGES:%=$(BIN)/%.elf)

# PAN, TLBI and AT need ARMv8.1 names; -Immu for mmu.h.
$(OBJ)/mmu/%.o: CFLAGS += -march=armv8.1-a -Immu
$(OBJ)/mmu/%.o: ASFLAGS += -march=armv8.1-a

$(BIN)/mmu-el1.elf:   $(OBJ)/mmu/mmu-el1.o $(MMU_LIB)
$(BIN)/mmu-el2.elf:   $(OBJ)/mmu/mmu-el2.o $(MMU_LIB)
$(BIN)/mmu-tlbi.elf:  $(OBJ)/mmu/mmu-tlbi.o $(MMU_LIB)
$(BIN)/walkbench.elf: $(OBJ)/mmu/walkbench.o $(MMU_LIB)

$(MMU_LIB) $(MMU_IMAGES:%=$(OBJ)/mmu/%.o): mmu/mmu.h mmu/mmu.mk
