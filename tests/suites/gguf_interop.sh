#!/usr/bin/env bash
# An independent GGUF reader lists our files as we do: @huggingface/gguf
# (installed with npm into build/npm-gguf) parses models written by
# build/mdm-convert, and its tensor names, types, shapes and offsets, the
# data offset and the main keys must equal what `mdm-convert --info --json`
# reports.  SKIP when node/npm are missing or the package cannot be installed.
set -u
cd "$(dirname "$0")/../.."
name=gguf_interop
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "SKIP $name: tool missing: node or npm"; exit 0
fi
if [ ! -x build/mdm-convert ]; then
    echo "SKIP $name: build/mdm-convert not built (run make)"; exit 0
fi
cache=build/npm-gguf
if [ ! -f "$cache/node_modules/@huggingface/gguf/package.json" ]; then
    mkdir -p "$cache"
    if ! timeout 300 npm install --prefix "$cache" @huggingface/gguf@0.4 --no-audit --no-fund \
            >"$cache/install.log" 2>&1; then
        echo "SKIP $name: tool missing: npm install @huggingface/gguf failed (see $cache/install.log)"; exit 0
    fi
fi
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cat >"$cache/check.mjs" <<'JS'
// node check.mjs MODEL.gguf INFO.json: compare @huggingface/gguf with mdm-convert --info --json
import { gguf } from "@huggingface/gguf";
import { readFileSync } from "node:fs";
const [file, infoFile] = process.argv.slice(2);
const info = JSON.parse(readFileSync(infoFile, "utf8"));
const { metadata, tensorInfos, tensorDataOffset } = await gguf(file, { allowLocalFile: true });
const typeName = { 0: "f32", 1: "f16", 2: "q4_0", 8: "q8_0" };
const fail = (msg) => { console.log(`FAIL ${msg}`); process.exitCode = 1; };
if (metadata["general.architecture"] !== "mdm") fail("general.architecture");
if (metadata["mdm.d_model"] !== info.d_model) fail("mdm.d_model");
if (metadata["mdm.n_layer"] !== info.n_layer) fail("mdm.n_layer");
if (metadata["general.alignment"] !== 64) fail("general.alignment");
if (metadata["tokenizer.ggml.tokens"].length !== info.vocab_size) fail("tokenizer.ggml.tokens");
if (JSON.stringify(metadata["mdm.vae.decoder"]) !== JSON.stringify(info.vae.decoder)) fail("mdm.vae.decoder");
if (Number(tensorDataOffset) !== info.file_bytes - info.data_bytes) fail("tensor data offset");
if (tensorInfos.length !== info.tensors.length) fail(`${tensorInfos.length} tensors, we list ${info.tensors.length}`);
let offset = 0;
tensorInfos.forEach((t, i) => {
  const ours = info.tensors[i] || {};
  const shape = t.shape.map(Number);
  if (t.name !== ours.name || typeName[t.dtype] !== ours.type ||
      JSON.stringify(shape) !== JSON.stringify(ours.shape) || Number(t.offset) !== offset)
    fail(`tensor ${i}: ${t.name} ${typeName[t.dtype]} [${shape}] @${t.offset} vs ${ours.name} ${ours.type} [${ours.shape}] @${offset}`);
  offset += Math.ceil(ours.bytes / 64) * 64;
});
if (!process.exitCode) console.log(`ok ${tensorInfos.length} tensors`);
JS
status=0
for spec in "micro f32" "micro q4_0" "tiny q8_0" "tiny f16"; do
    set -- $spec
    model="$tmp/$1-$2.gguf"
    build/mdm-convert --random "$1" --type "$2" -o "$model" &&
        build/mdm-convert --info "$model" --json >"$tmp/info.json" || {
        echo "FAIL $name $1 $2: mdm-convert failed"; status=1; continue; }
    if out=$(cd "$cache" && node check.mjs "$model" "$tmp/info.json" 2>&1); then
        echo "PASS $name $1 $2 (${out#ok })"
    else
        echo "FAIL $name $1 $2:"; echo "$out" | head -20; status=1
    fi
done
exit $status
