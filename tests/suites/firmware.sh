#!/usr/bin/env bash
# The example firmware (ports/cortex-m) on two emulated boards, MPS3 AN547
# (Cortex-M55) and MPS2 AN386 (Cortex-M4F): each must run the caption and
# the text-to-image, make the same pixels and caption as the host CLI with
# the scalar kernels and the same model, prompt, seed, steps and guidance,
# and fit in 512 KB of RAM.  Needs arm-none-eabi-gcc (+ newlib) and
# qemu-system-arm: SKIP without them, FAIL under CI=true.
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

for board in m55 m4; do
    out=build/fw-$board/run.txt
    if ! make -s "build/fw-$board/firmware.elf" >"build/fw-$board.log" 2>&1; then
        echo "FAIL firmware-$board: build failed"; tail -20 "build/fw-$board.log"; continue
    fi
    start=$(date +%s)
    make -s "qemu-$board" >"$out" 2>&1
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
    echo "PASS firmware-$board: ran in ${secs}s ($(value kernels "$out") kernels, $steps steps)"

    # the same image from the host CLI, scalar kernels
    host=build/fw-$board/host.pgm
    if build/mdm generate -m "$model" -p "$prompt" --seed "$seed" --steps "$steps" \
            --guidance "$guidance" --kernel scalar -o "$host" >/dev/null; then
        n=$(( $(value image_hex "$out" | wc -c) / 2 ))
        want=$(tail -c "$n" "$host" | od -An -v -tx1 | tr -d ' \n')
        if [ "$want" = "$(value image_hex "$out")" ]; then
            echo "PASS firmware-$board text-to-image: $n pixels bit-identical to the host's"
        else
            echo "FAIL firmware-$board text-to-image: pixels differ from build/mdm generate's"
        fi
    else
        echo "FAIL firmware-$board text-to-image: host CLI failed"
    fi
    want=$(build/mdm caption -m "$model" -i "$image" --seed "$seed" --steps "$text_steps" \
           --kernel scalar)
    if [ "$want" = "$(value caption "$out")" ]; then
        echo "PASS firmware-$board caption: \"$want\" as on the host"
    else
        echo "FAIL firmware-$board caption: \"$(value caption "$out")\", host says \"$want\""
    fi
    ram=$(value ram_bytes "$out")
    if [ "$ram" -le "$RAM_LIMIT" ]; then
        echo "PASS firmware-$board memory: ram_bytes $ram <= $RAM_LIMIT, flash_bytes $(value flash_bytes "$out")"
    else
        echo "FAIL firmware-$board memory: ram_bytes $ram > $RAM_LIMIT"
    fi
    echo "     instructions: caption $(value instructions_caption "$out"), text-to-image $(value instructions_text_to_image "$out")"
done
