# ---- firmware: the example for two emulated Cortex-M boards (ports/cortex-m) ----
#   make qemu-m55   build build/fw-m55/firmware.elf (MPS3 AN547, Cortex-M55), run it in QEMU
#   make qemu-m4    the same for MPS2 AN386 (Cortex-M4F): build/fw-m4/firmware.elf
#   make firmware   build both without running them
# The library is built with PORT=none into build/fw-<board>/.  What the
# firmware embeds and runs is set here (FW_MODEL is read at build time).
FW_CROSS          ?= arm-none-eabi-
FW_MODEL          ?= models/mdm-fmnist-q4_0.gguf
FW_IMAGE          ?= tests/data/images/fmnist_t10k_0.pgm
FW_PROMPT         ?= a photo of a sneaker
FW_SEED           ?= 1
FW_STEPS          ?= 4
FW_TEXT_STEPS     ?= 16
FW_GUIDANCE_MILLI ?= 3000
FW_KERNELS        ?= auto
FW_PROFILE        ?=
# FW_PROFILE=1: sample the PC every 64 Ki instructions (profile.c); the
# counts are then per sample, tools/firmware/profile.py sums them by function
FW_POOL_BYTES ?= 393216
QEMU_ARM          ?= qemu-system-arm
FW_CPU_m55        := -mcpu=cortex-m55 -mfloat-abi=hard
FW_CPU_m4         := -mcpu=cortex-m4 -mfpu=fpv4-sp-d16 -mfloat-abi=hard
FW_LD_m55         := mps3-an547.ld
FW_LD_m4          := mps2-an386.ld
FW_QEMU_m55       := mps3-an547
FW_QEMU_m4        := mps2-an386
FW_SRC            := $(addprefix ports/cortex-m/,startup.c semihost.c clock.c profile.c kcheck.c firmware.c blobs.S)
FW_OPT             = -O2 -ffunction-sections -fdata-sections $(FW_CPU_$(1))
FW_DEFS            = -DFW_BOARD='"$(FW_QEMU_$(1))"' -DFW_MODEL_PATH='"$(abspath $(FW_MODEL))"' \
                     -DFW_MODEL_NAME='"$(notdir $(FW_MODEL))"' -DFW_IMAGE_NAME='"$(notdir $(FW_IMAGE))"' \
                     -DFW_IMAGE_PATH='"$(abspath $(FW_IMAGE))"' -DFW_PROMPT='"$(FW_PROMPT)"' \
                     -DFW_SEED=$(FW_SEED) -DFW_STEPS=$(FW_STEPS) -DFW_TEXT_STEPS=$(FW_TEXT_STEPS) \
                     -DFW_GUIDANCE_MILLI=$(FW_GUIDANCE_MILLI) -DFW_KERNELS='"$(FW_KERNELS)"' \
                     -DFW_POOL_BYTES=$(FW_POOL_BYTES) $(if $(FW_PROFILE),-DFW_PROFILE)

.PHONY: firmware qemu-m55 qemu-m4 FORCE
firmware: build/fw-m55/firmware.elf build/fw-m4/firmware.elf

build/fw-%/libmdm.a: FORCE
	@$(MAKE) --no-print-directory PORT=none CROSS= CC=$(FW_CROSS)gcc AR=$(FW_CROSS)ar \
	    BUILD=build/fw-$* OPT="$(call FW_OPT,$*)" lib

# Always relinked: the prompt, seed and model are make variables.
build/fw-%/firmware.elf: build/fw-%/libmdm.a FORCE
	$(FW_CROSS)gcc -std=c11 $(WARN) $(call FW_OPT,$*) -I. -Isrc -Iports/cortex-m \
	    $(call FW_DEFS,$*) -nostartfiles -Wl,--gc-sections -Lports/cortex-m -T $(FW_LD_$*) \
	    $(FW_SRC) $< -lm -o $@

# -icount shift=0: one instruction is 1 ns of virtual time, which SysTick counts.
FW_RUN = $(QEMU_ARM) -M $(FW_QEMU_$(1)) -nographic -monitor none -serial none \
	    -semihosting-config enable=on,target=native -icount shift=0 -kernel build/fw-$(1)/firmware.elf
qemu-m55: build/fw-m55/firmware.elf
	$(call FW_RUN,m55)
qemu-m4: build/fw-m4/firmware.elf
	$(call FW_RUN,m4)
