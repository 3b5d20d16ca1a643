# Self-hosted debug and PMU guest images (included by ../Makefile): kvm-unit-tests-style checks of
# debug exceptions and of the PMU's counters and overflow interrupt, compared with QEMU.
SD_IMAGES := selfdebug-debug selfdebug-pmu
IMAGES += $(SD_IMAGES)
SD_LIB := $(OBJ)/selfdebug/sd-lib.o $(OBJ)/gic/gic-lib.o $(OBJ)/gic/gic-vectors.o

all: $(SD_IMAGES:%=$(BIN)/%.elf)

$(OBJ)/selfdebug/%.o: CFLAGS += -Igic -Iselfdebug

$(BIN)/selfdebug-debug.elf: $(OBJ)/selfdebug/debug.o $(SD_LIB)
$(BIN)/selfdebug-pmu.elf: $(OBJ)/selfdebug/pmu.o $(SD_LIB)

$(SD_LIB) $(SD_IMAGES:selfdebug-%=$(OBJ)/selfdebug/%.o): selfdebug/sd.h gic/gic.h selfdebug/selfdebug.mk
