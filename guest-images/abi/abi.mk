# Protected-guest ABI images (included by ../Makefile): the pKVM guest
# hypercalls and MMIO guard (pguest-abi), PSCI CPU_ON of a secondary vCPU
# (pguest-smp). Sources in abi/, outputs in $(BIN); see README.md.
ABI_IMAGES := pguest-abi pguest-smp
IMAGES += $(ABI_IMAGES)

all: $(ABI_IMAGES:%=$(BIN)/%.elf)

$(OBJ)/abi/%.o: CFLAGS += -Iabi

$(BIN)/pguest-abi.elf: $(OBJ)/abi/pguest-abi.o $(OBJ)/abi/abi-vectors.o \
                       $(OBJ)/common/fmt.o $(OBJ)/common/pkvm-guest.o
$(BIN)/pguest-smp.elf: $(OBJ)/abi/pguest-smp.o $(OBJ)/abi/smp-entry.o \
                       $(OBJ)/common/fmt.o $(OBJ)/common/pkvm-guest.o

$(ABI_IMAGES:%=$(OBJ)/abi/%.o): abi/abi.mk
