# GICv3 and generic-timer guest images (included by ../Makefile). Run on QEMU with
# -M virt,gic-version=3,its=off (run-qemu.sh --gic3).
GIC_IMAGES := gic-probe gic-timer gic-sgi gic-vgic gic-uart-echo gic-ipi gic-irqbench gic-ipibench pguest-vtimer
IMAGES += $(GIC_IMAGES)
GIC_LIB := $(OBJ)/gic/gic-lib.o $(OBJ)/gic/gic-vectors.o

all: $(GIC_IMAGES:%=$(BIN)/%.elf)

$(OBJ)/gic/%.o: CFLAGS += -Igic

$(BIN)/gic-probe.elf: $(OBJ)/gic/gic-probe.o $(GIC_LIB)
$(BIN)/gic-timer.elf: $(OBJ)/gic/gic-timer.o $(GIC_LIB)
$(BIN)/gic-sgi.elf: $(OBJ)/gic/gic-sgi.o $(GIC_LIB)
$(BIN)/gic-vgic.elf: $(OBJ)/gic/gic-vgic.o $(GIC_LIB)
$(BIN)/gic-uart-echo.elf: $(OBJ)/gic/gic-uart-echo.o $(GIC_LIB)
$(BIN)/gic-ipi.elf: $(OBJ)/gic/gic-ipi.o $(GIC_LIB)
$(BIN)/gic-irqbench.elf: $(OBJ)/gic/gic-irqbench.o $(GIC_LIB)
$(BIN)/gic-ipibench.elf: $(OBJ)/gic/gic-ipibench.o $(GIC_LIB)
$(BIN)/pguest-vtimer.elf: $(OBJ)/gic/pguest-vtimer.o $(GIC_LIB) $(OBJ)/common/fmt.o $(OBJ)/common/pkvm-guest.o

# The IPI benchmark: gic-ipi with 20000 round trips per CPU.
$(OBJ)/gic/gic-ipibench.o: gic/gic-ipi.c gic/gic.h gic/gic.mk Makefile
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Igic -DROUNDS=20000 -c $< -o $@

$(GIC_LIB) $(GIC_IMAGES:%=$(OBJ)/gic/%.o): gic/gic.h gic/gic.mk
