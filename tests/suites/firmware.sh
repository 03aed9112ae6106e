#!/usr/bin/env bash
# The example firmware (ports/cortex-m) on two emulated boards, MPS3 AN547
# (Cortex-M55) and MPS2 AN386 (Cortex-M4F), each with its `auto` kernel set
# (helium, dsp) and the M4F once more with the tiled set: each run must
# caption and make an image, and fit in 512 KB of RAM.  The tiled run must
# give the same pixels and caption as the host CLI with the scalar kernels
# and the same model, prompt, seed, steps and guidance; the helium and dsp
# runs (a fast exp, int8 activations) an image within 40 dB PSNR of it, and
# the caption the host makes with the same set (dsp: the host runs it in
# portable C) or, where the host has no such set, with the scalar one.
# Needs arm-none-eabi-gcc (+ newlib) and qemu-system-arm: SKIP without
# them, FAIL under CI=true.
set -u
cd "$(dirname "$0")/../.."
RAM_LIMIT=$((512 * 1024))

for tool in arm-none-eabi-gcc qemu-system-arm; do
    if ! command -v "$tool" >/dev/null; then
        if [ "${CI:-}" = true ]; then
            echo "SKIP firmware: tool missing: $tool"
        else
            echo "SKIP firmware: $tool not installed (Debian: gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm)"
        fi
        exit 0
    fi
done
if [ ! -x build/mdm ]; then
    echo "FAIL firmware: build/mdm is not built (make)"; exit 0
fi

value() { sed -n "s/^$1: //p" "$2" | head -1; }

# PSNR in dB of two equal-length hex strings of 8-bit pixels ("inf" when equal)
psnr() {
    python3 -c 'import math,sys
a, b = bytes.fromhex(sys.argv[1]), bytes.fromhex(sys.argv[2])
mse = sum((x - y) ** 2 for x, y in zip(a, b)) / max(len(a), 1)
print("inf" if mse == 0 else "%.1f" % (10 * math.log10(255 * 255 / mse)))' "$1" "$2"
}

for run in m55:auto m4:auto m4:tiled; do
    board=${run%%:*} kset=${run#*:}
    out=build/fw-$board/run-$kset.txt
    if ! make -s "build/fw-$board/firmware.elf" FW_KERNELS="$kset" >"build/fw-$board.log" 2>&1; then
        echo "FAIL firmware-$board: build failed"; tail -20 "build/fw-$board.log"; continue
    fi
    start=$(date +%s)
    make -s "qemu-$board" FW_KERNELS="$kset" >"$out" 2>&1
    rc=$?
    secs=$(( $(date +%s) - start ))
    if [ "$rc" -ne 0 ]; then
        echo "FAIL firmware-$board: QEMU exit status $rc"; grep -v '^image_hex' "$out" | tail -20; continue
    fi
    model=models/$(value model "$out")
    prompt=$(value prompt "$out"); seed=$(value seed "$out"); steps=$(value steps "$out")
    guidance=$(value guidance "$out"); text_steps=$(value text_steps "$out")
    image=$(find tests/data/images -name "$(value image "$out")" | head -1)
    missing=""
    for k in model caption prompt seed steps guidance image_hex flash_bytes ram_bytes \
             instructions_caption instructions_text_to_image; do
        [ -n "$(value "$k" "$out")" ] || missing="$missing $k"
    done
    if [ -n "$missing" ]; then
        echo "FAIL firmware-$board: output lacks:$missing"; continue
    fi
    kernels=$(value kernels "$out")
    board="$board-$kernels"
    echo "PASS firmware-$board: ran in ${secs}s ($kernels kernels, $steps steps)"
    exact=0; case $kernels in scalar|tiled) exact=1;; esac
    host_set=scalar
    [ "$kernels" = dsp ] && host_set=dsp

    # the image of the host CLI, scalar kernels
    host=build/fw-${run%%:*}/host-$kset.pgm
    if build/mdm generate -m "$model" -p "$prompt" --seed "$seed" --steps "$steps" \
            --guidance "$guidance" --kernel scalar -o "$host" >/dev/null; then
        n=$(( $(value image_hex "$out" | wc -c) / 2 ))
        want=$(tail -c "$n" "$host" | od -An -v -tx1 | tr -d ' \n')
        db=$(psnr "$want" "$(value image_hex "$out")")
        if [ "$exact" = 1 ] && [ "$want" = "$(value image_hex "$out")" ]; then
            echo "PASS firmware-$board text-to-image: $n pixels bit-identical to the host's"
        elif [ "$exact" = 1 ]; then
            echo "FAIL firmware-$board text-to-image: pixels differ from build/mdm generate's ($db dB)"
        elif [ "$db" = inf ] || [ "${db%.*}" -ge 40 ]; then
            echo "PASS firmware-$board text-to-image: $db dB PSNR against the host's scalar image (>= 40)"
        else
            echo "FAIL firmware-$board text-to-image: $db dB PSNR against the host's scalar image (< 40)"
        fi
    else
        echo "FAIL firmware-$board text-to-image: host CLI failed"
    fi
    want=$(build/mdm caption -m "$model" -i "$image" --seed "$seed" --steps "$text_steps" \
           --kernel "$host_set")
    if [ "$want" = "$(value caption "$out")" ]; then
        echo "PASS firmware-$board caption: \"$want\" as on the host ($host_set kernels)"
    else
        echo "FAIL firmware-$board caption: \"$(value caption "$out")\", host says \"$want\""
    fi
    ulp=$(value exp_max_ulp "$out")
    if [ -n "$ulp" ]; then # the helium set's vector math on the board (kcheck.c)
        sp=$(value softplus_max_rel_ppb "$out"); si=$(value silu_max_rel_ppb "$out")
        if [ "$ulp" -le 2 ] && [ "$sp" -le 2000 ] && [ "$si" -le 2000 ]; then
            echo "PASS firmware-$board vector math: exp within $ulp ulp of expf, softplus and SiLU within $sp and $si ppb"
        else
            echo "FAIL firmware-$board vector math: exp $ulp ulp (<= 2), softplus $sp ppb, SiLU $si ppb (<= 2000)"
        fi
    fi
    ram=$(value ram_bytes "$out")
    if [ "$ram" -le "$RAM_LIMIT" ]; then
        echo "PASS firmware-$board memory: ram_bytes $ram <= $RAM_LIMIT, flash_bytes $(value flash_bytes "$out")"
    else
        echo "FAIL firmware-$board memory: ram_bytes $ram > $RAM_LIMIT"
    fi
    echo "     instructions: caption $(value instructions_caption "$out"), text-to-image $(value instructions_text_to_image "$out")"
done
